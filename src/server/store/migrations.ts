// Schema migrations, oldest first. Never edit one that has shipped: append a new one.
import type { Kysely, Migration } from "kysely";
import { deploymentsMigration } from "./deployments-migration.js";
import { invitationsMigration } from "./invitations-migration.js";
import { isolationMigration } from "./isolation-migration.js";

export interface NamedMigration extends Migration {
  name: string;
}

// Migrations see the database as it was when they were written, not as schema.ts says now.
// biome-ignore lint/suspicious/noExplicitAny: a migration cannot be typed by the current schema
type AnyDb = Kysely<any>;

const foundation: NamedMigration = {
  name: "0001_foundation",
  async up(db: AnyDb) {
    await db.schema
      .createTable("users")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("email", "text", (c) => c.notNull().unique())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("teams")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("slug", "text", (c) => c.notNull().unique())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("memberships")
      .addColumn("team_id", "text", (c) => c.notNull().references("teams.id").onDelete("cascade"))
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("joined_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("memberships_pk", ["team_id", "user_id"])
      .execute();
    await db.schema.createIndex("memberships_by_user").on("memberships").columns(["user_id", "joined_at"]).execute();

    await db.schema
      .createTable("api_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("team_id", "text", (c) => c.notNull().references("teams.id").onDelete("cascade"))
      .addColumn("created_by", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("prefix", "text", (c) => c.notNull())
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("last_used_at", "text")
      .addColumn("expires_at", "text")
      .addColumn("revoked_at", "text")
      .execute();
    await db.schema.createIndex("api_keys_by_team").on("api_keys").column("team_id").execute();

    await db.schema
      .createTable("oauth_tokens")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("family_id", "text", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("client_id", "text", (c) => c.notNull())
      .addColumn("scope", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("used_at", "text")
      .addColumn("revoked_at", "text")
      .execute();
    await db.schema.createIndex("oauth_tokens_by_family").on("oauth_tokens").column("family_id").execute();

    await db.schema
      .createTable("device_codes")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("device_code_hash", "text", (c) => c.notNull().unique())
      .addColumn("user_code", "text", (c) => c.notNull().unique())
      .addColumn("client_id", "text", (c) => c.notNull())
      .addColumn("scope", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("cascade"))
      .addColumn("interval_seconds", "integer", (c) => c.notNull())
      .addColumn("last_polled_at", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("signin_links")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("used_at", "text")
      .execute();

    await db.schema
      .createTable("sessions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("csrf_token", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("sites")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("team_id", "text", (c) => c.notNull().references("teams.id").onDelete("cascade"))
      .addColumn("name", "text", (c) => c.notNull().unique())
      .addColumn("git_url", "text")
      .addColumn("git_branch", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("sites_by_team").on("sites").columns(["team_id", "name"]).execute();
  },
};

export const migrations: NamedMigration[] = [
  foundation,
  deploymentsMigration,
  isolationMigration,
  invitationsMigration,
];
