// API keys: long-lived team credentials for CI and agents, each with a role on one team.
import type { Selectable } from "kysely";
import { HostingError } from "../../api/errors.js";
import type { ApiKey, Role } from "../../api/schemas.js";
import { HINT } from "../hints.js";
import type { Db } from "../store/db.js";
import type { ApiKeysTable } from "../store/schema.js";
import { atLeast } from "./accounts.js";
import { hashSecret, isoAfter, newId, newSecret, nowIso, TOKEN_PREFIX } from "./secrets.js";

export type ApiKeyRow = Selectable<ApiKeysTable>;

const DISPLAY_PREFIX_LENGTH = 12;
// Writing last_used_at on every request would turn reads into writes; a minute is precise enough.
const LAST_USED_RESOLUTION_MS = 60_000;

export function toApiKey(row: ApiKeyRow, teamSlug: string): ApiKey {
  return {
    id: row.id,
    name: row.name,
    team: teamSlug,
    role: row.role,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export async function createApiKey(
  db: Db,
  opts: { teamId: string; createdBy: string; name: string; role: Role; expiresInDays?: number },
): Promise<{ row: ApiKeyRow; token: string }> {
  const token = newSecret(TOKEN_PREFIX.apiKey);
  const row: ApiKeyRow = {
    id: newId("key"),
    team_id: opts.teamId,
    created_by: opts.createdBy,
    name: opts.name,
    role: opts.role,
    prefix: token.slice(0, DISPLAY_PREFIX_LENGTH),
    token_hash: hashSecret(token),
    created_at: nowIso(),
    last_used_at: null,
    expires_at: opts.expiresInDays === undefined ? null : isoAfter(opts.expiresInDays * 86_400),
    revoked_at: null,
  };
  await db.insertInto("api_keys").values(row).execute();
  return { row, token };
}

export async function listApiKeys(db: Db, teamId: string): Promise<ApiKeyRow[]> {
  return db.selectFrom("api_keys").selectAll().where("team_id", "=", teamId).orderBy("created_at").execute();
}

/** Revokes a key of the team; revoking twice is harmless and keeps the first revocation time. */
/**
 * Revokes a key of the team. `byRole` must be at least the key's own role: an admin cannot
 * take away an owner's key (nor, by revoking it, lock the owner's CI out).
 */
export async function revokeApiKey(db: Db, teamId: string, keyId: string, byRole: Role): Promise<ApiKeyRow> {
  const key = await db
    .selectFrom("api_keys")
    .select("role")
    .where("id", "=", keyId)
    .where("team_id", "=", teamId)
    .executeTakeFirst();
  if (key && !atLeast(byRole, key.role)) {
    throw new HostingError("forbidden", `this key has the ${key.role} role; revoking it needs that role`, {
      hint: `Ask an ${key.role} of the team to revoke it`,
    });
  }
  await db
    .updateTable("api_keys")
    .set({ revoked_at: nowIso() })
    .where("id", "=", keyId)
    .where("team_id", "=", teamId)
    .where("revoked_at", "is", null)
    .execute();
  const row = await db
    .selectFrom("api_keys")
    .selectAll()
    .where("id", "=", keyId)
    .where("team_id", "=", teamId)
    .executeTakeFirst();
  if (!row)
    throw new HostingError("not_found", `no API key with id '${keyId}' on this team`, { hint: HINT.listApiKeys });
  return row;
}

/** The live key a bearer token names, or 401 saying why it does not work. */
export async function authenticateApiKey(db: Db, token: string): Promise<ApiKeyRow> {
  const row = await db
    .selectFrom("api_keys")
    .selectAll()
    .where("token_hash", "=", hashSecret(token))
    .executeTakeFirst();
  if (!row) throw new HostingError("unauthorized", "this API key is not valid", { hint: HINT.newApiKey });
  if (row.revoked_at)
    throw new HostingError("unauthorized", `API key '${row.name}' was revoked`, { hint: HINT.newApiKey });
  const now = nowIso();
  if (row.expires_at && row.expires_at <= now) {
    throw new HostingError("unauthorized", `API key '${row.name}' expired at ${row.expires_at}`, {
      hint: HINT.newApiKey,
    });
  }
  if (!row.last_used_at || Date.parse(now) - Date.parse(row.last_used_at) > LAST_USED_RESOLUTION_MS) {
    await db.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", row.id).execute();
  }
  return row;
}
