// Migration 0003: the uid number each site's code runs under, and whether each deployment's
// tenant code ran in the sandbox.
import type { Kysely } from "kysely";
import type { NamedMigration } from "./migrations.js";

// biome-ignore lint/suspicious/noExplicitAny: a migration cannot be typed by the current schema
type AnyDb = Kysely<any>;

export const isolationMigration: NamedMigration = {
  name: "0003_isolation",
  async up(db: AnyDb) {
    await db.schema.alterTable("sites").addColumn("run_uid", "integer").execute();
    await db.schema.createIndex("sites_by_run_uid").unique().on("sites").column("run_uid").execute();
    // Every uid ever given out, never deleted: a new site never inherits a deleted one's uid
    // (and with it the kernel's per-uid state, such as its keyrings).
    await db.schema
      .createTable("run_uids")
      .addColumn("uid", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("site_id", "text", (c) => c.notNull())
      .execute();
    // null: no tenant code ran (a static upload served as it is); 1 sandboxed; 0 --no-sandbox.
    await db.schema.alterTable("deployments").addColumn("sandboxed", "integer").execute();
    await db.schema.alterTable("deployments").addColumn("git_credentials", "text").execute();
    // When a team came to own a blob: garbage collection spares recent uploads.
    await db.schema.alterTable("team_blobs").addColumn("created_at", "text").execute();
  },
};
