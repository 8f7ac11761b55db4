// Migration 0002: deployments, their files, production history, per-team blob ownership
// and log lines.
import type { Kysely } from "kysely";
import type { NamedMigration } from "./migrations.js";

// biome-ignore lint/suspicious/noExplicitAny: a migration cannot be typed by the current schema
type AnyDb = Kysely<any>;

export const deploymentsMigration: NamedMigration = {
  name: "0002_deployments",
  async up(db: AnyDb) {
    await db.schema.alterTable("sites").addColumn("production_deployment_id", "text").execute();

    await db.schema
      .createTable("deployments")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("site_id", "text", (c) => c.notNull().references("sites.id").onDelete("cascade"))
      .addColumn("environment", "text")
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("reason", "text")
      .addColumn("target", "text", (c) => c.notNull())
      .addColumn("message", "text")
      .addColumn("source_json", "text", (c) => c.notNull())
      .addColumn("kind", "text")
      .addColumn("config_json", "text")
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("ready_at", "text")
      .execute();
    await db.schema.createIndex("deployments_by_site").on("deployments").columns(["site_id", "created_at"]).execute();
    await db.schema.createIndex("deployments_by_state").on("deployments").column("state").execute();

    // What was uploaded (source) and, for static deployments, what is served (output).
    for (const table of ["deployment_files", "deployment_outputs"]) {
      await db.schema
        .createTable(table)
        .addColumn("deployment_id", "text", (c) => c.notNull().references("deployments.id").onDelete("cascade"))
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("sha256", "text", (c) => c.notNull())
        .addColumn("size", "integer", (c) => c.notNull())
        .addColumn("mode", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ["deployment_id", "path"])
        .execute();
    }

    await db.schema
      .createTable("production_history")
      .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("site_id", "text", (c) => c.notNull().references("sites.id").onDelete("cascade"))
      .addColumn("deployment_id", "text", (c) => c.notNull().references("deployments.id").onDelete("cascade"))
      .addColumn("promoted_by", "text", (c) => c.notNull())
      .addColumn("promoted_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("production_history_by_site")
      .on("production_history")
      .columns(["site_id", "id"])
      .execute();

    // Blobs are stored once for everyone, but a team may only reference what it uploaded,
    // so the missing-blob answer never reveals another team's files.
    await db.schema
      .createTable("team_blobs")
      .addColumn("team_id", "text", (c) => c.notNull().references("teams.id").onDelete("cascade"))
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("size", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("team_blobs_pk", ["team_id", "sha256"])
      .execute();

    // A plain rowid key (no AUTOINCREMENT): ids still only grow while rows are appended and
    // old ones pruned, without a sqlite_sequence update on every log line.
    await db.schema
      .createTable("logs")
      .addColumn("id", "integer", (c) => c.primaryKey())
      .addColumn("deployment_id", "text", (c) => c.notNull().references("deployments.id").onDelete("cascade"))
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("stream", "text", (c) => c.notNull())
      .addColumn("message", "text", (c) => c.notNull())
      .addColumn("ts", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("logs_by_deployment").on("logs").columns(["deployment_id", "id"]).execute();
  },
};
