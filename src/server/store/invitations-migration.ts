// Migration 0004: invitations to a team, pending until the person holding the link accepts.
import type { Kysely } from "kysely";
import type { NamedMigration } from "./migrations.js";

// biome-ignore lint/suspicious/noExplicitAny: a migration cannot be typed by the current schema
type AnyDb = Kysely<any>;

export const invitationsMigration: NamedMigration = {
  name: "0004_invitations",
  async up(db: AnyDb) {
    await db.schema
      .createTable("invitations")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("team_id", "text", (c) => c.notNull().references("teams.id").onDelete("cascade"))
      .addColumn("email", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("invited_by", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("accepted_at", "text")
      .addColumn("accepted_by", "text")
      .execute();
  },
};
