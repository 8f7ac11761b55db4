// Browser sign-in: a one-time link starts a session held in an HttpOnly cookie. The session
// carries its own CSRF token, which every form it posts must echo.
import { randomBytes } from "node:crypto";
import type { Selectable } from "kysely";
import type { Db } from "../store/db.js";
import type { SessionsTable } from "../store/schema.js";
import type { UserRow } from "./accounts.js";
import { hashSecret, isoAfter, newId, newSecret, nowIso, TOKEN_PREFIX } from "./secrets.js";

export type SessionRow = Selectable<SessionsTable>;

/**
 * The session cookie of a server reached at `publicUrl`. Over HTTPS it is `__Host-`: Secure,
 * host-only, path /, so no other host (a tenant's subdomain included) can set or shadow it.
 * Over plain HTTP (the embedded default on loopback) browsers refuse the prefix; it is then
 * host-only all the same, and no tenant app listens on the API's host (apps have no port).
 */
export function sessionCookie(publicUrl: string): { name: string; secure: boolean } {
  const secure = publicUrl.startsWith("https:");
  return { name: secure ? "__Host-dh_session" : "dh_session", secure };
}
export const SIGN_IN_LINK_TTL_SECONDS = 24 * 3600;
export const SESSION_TTL_SECONDS = 7 * 86_400;

export async function createSignInLink(db: Db, userId: string, publicUrl: string): Promise<string> {
  const token = newSecret(TOKEN_PREFIX.signInLink);
  await db
    .insertInto("signin_links")
    .values({
      id: newId("lnk"),
      token_hash: hashSecret(token),
      user_id: userId,
      created_at: nowIso(),
      expires_at: isoAfter(SIGN_IN_LINK_TTL_SECONDS),
      used_at: null,
    })
    .execute();
  return `${publicUrl}/signin/${token}`;
}

/** Spends a sign-in link; undefined when it is unknown, used or expired. */
export async function redeemSignInLink(db: Db, token: string): Promise<string | undefined> {
  const now = nowIso();
  const row = await db
    .selectFrom("signin_links")
    .select(["id", "user_id"])
    .where("token_hash", "=", hashSecret(token))
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  if (!row) return undefined;
  const spent = await db
    .updateTable("signin_links")
    .set({ used_at: now })
    .where("id", "=", row.id)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(spent.numUpdatedRows) === 1 ? row.user_id : undefined;
}

export async function createSession(db: Db, userId: string): Promise<{ token: string; row: SessionRow }> {
  const token = newSecret(TOKEN_PREFIX.session);
  const row: SessionRow = {
    id: newId("ses"),
    token_hash: hashSecret(token),
    user_id: userId,
    csrf_token: randomBytes(32).toString("base64url"),
    created_at: nowIso(),
    expires_at: isoAfter(SESSION_TTL_SECONDS),
  };
  await db.insertInto("sessions").values(row).execute();
  return { token, row };
}

export async function findSession(db: Db, token: string): Promise<{ session: SessionRow; user: UserRow } | undefined> {
  const session = await db
    .selectFrom("sessions")
    .selectAll()
    .where("token_hash", "=", hashSecret(token))
    .where("expires_at", ">", nowIso())
    .executeTakeFirst();
  if (!session) return undefined;
  const user = await db.selectFrom("users").selectAll().where("id", "=", session.user_id).executeTakeFirst();
  return user ? { session, user } : undefined;
}
