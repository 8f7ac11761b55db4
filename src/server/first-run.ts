// What an empty data dir needs before anyone can sign in: an owner with a team and a one-time
// link for their browser; and, for the embedded local server, an owner token in a 0600 file.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createTeam, createUser } from "./auth/accounts.js";
import { createApiKey } from "./auth/api-keys.js";
import { createSignInLink } from "./auth/sessions.js";
import type { Db } from "./store/db.js";

export const DEFAULT_OWNER_EMAIL = "owner@localhost";
export const DEFAULT_TEAM_SLUG = "default";
export const LOCAL_API_KEY_NAME = "local";

/** Creates the first owner when there are no users; returns their sign-in link, or null. */
export async function bootstrapOwner(db: Db, opts: { ownerEmail: string; publicUrl: string }): Promise<string | null> {
  const anyone = await db.selectFrom("users").select("id").limit(1).executeTakeFirst();
  if (anyone) return null;
  const owner = await createUser(db, opts.ownerEmail);
  await createTeam(db, DEFAULT_TEAM_SLUG, "Default", owner.id);
  return createSignInLink(db, owner.id, opts.publicUrl);
}

/** Writes an owner API key of the first owner's team to `file`, unless the file exists. */
export async function ensureLocalToken(db: Db, file: string): Promise<boolean> {
  if (existsSync(file)) return false;
  const owner = await db
    .selectFrom("memberships")
    .select(["user_id", "team_id"])
    .where("role", "=", "owner")
    .orderBy("joined_at")
    .limit(1)
    .executeTakeFirst();
  if (!owner) throw new Error("cannot create the local token: no team has an owner");
  const { token } = await createApiKey(db, {
    teamId: owner.team_id,
    createdBy: owner.user_id,
    name: LOCAL_API_KEY_NAME,
    role: "owner",
  });
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, token, { mode: 0o600, flag: "wx" });
  return true;
}
