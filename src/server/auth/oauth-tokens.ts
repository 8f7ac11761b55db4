// OAuth access and refresh tokens. Refresh tokens rotate on every use; a rotated token used
// again means it leaked, so the whole family (every token of that sign-in) is revoked.
import type { Selectable } from "kysely";
import { HostingError } from "../../api/errors.js";
import { HINT } from "../hints.js";
import type { Db } from "../store/db.js";
import type { OAuthTokensTable } from "../store/schema.js";
import { OAuthError } from "./oauth-error.js";
import { hashSecret, isoAfter, newId, newSecret, nowIso, TOKEN_PREFIX } from "./secrets.js";

export type OAuthTokenRow = Selectable<OAuthTokensTable>;

export const ACCESS_TOKEN_TTL_SECONDS = 3600;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 86_400;

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  scope: string;
}

export async function issueTokenPair(
  db: Db,
  grant: { userId: string; clientId: string; scope: string; familyId?: string },
): Promise<TokenResponse> {
  const familyId = grant.familyId ?? newId("fam");
  const now = Date.now();
  const access = newSecret(TOKEN_PREFIX.accessToken);
  const refresh = newSecret(TOKEN_PREFIX.refreshToken);
  const base = { family_id: familyId, user_id: grant.userId, client_id: grant.clientId, scope: grant.scope };
  const created = new Date(now).toISOString();
  await db
    .insertInto("oauth_tokens")
    .values([
      {
        ...base,
        id: newId("tok"),
        kind: "access",
        token_hash: hashSecret(access),
        created_at: created,
        expires_at: isoAfter(ACCESS_TOKEN_TTL_SECONDS, now),
      },
      {
        ...base,
        id: newId("tok"),
        kind: "refresh",
        token_hash: hashSecret(refresh),
        created_at: created,
        expires_at: isoAfter(REFRESH_TOKEN_TTL_SECONDS, now),
      },
    ])
    .execute();
  return {
    access_token: access,
    token_type: "Bearer",
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: refresh,
    scope: grant.scope,
  };
}

async function findToken(db: Db, token: string, kind: "access" | "refresh"): Promise<OAuthTokenRow | undefined> {
  return db
    .selectFrom("oauth_tokens")
    .selectAll()
    .where("token_hash", "=", hashSecret(token))
    .where("kind", "=", kind)
    .executeTakeFirst();
}

/** The live access token a bearer token names, or 401 saying why it does not work. */
export async function authenticateAccessToken(db: Db, token: string): Promise<OAuthTokenRow> {
  const row = await findToken(db, token, "access");
  if (!row || row.revoked_at)
    throw new HostingError("unauthorized", "this access token is not valid", { hint: HINT.signInAgain });
  if (row.expires_at <= nowIso()) {
    throw new HostingError("unauthorized", "this access token has expired", {
      hint: "Refresh it with the refresh token (the CLI does this itself), or run `deco-hosting login`",
    });
  }
  return row;
}

export async function revokeFamily(db: Db, familyId: string): Promise<void> {
  await db
    .updateTable("oauth_tokens")
    .set({ revoked_at: nowIso() })
    .where("family_id", "=", familyId)
    .where("revoked_at", "is", null)
    .execute();
}

/** How long after its first use a refresh token may be presented again by the same client. */
export const REUSE_GRACE_MS = 10_000;

/** Exchanges a refresh token for a new pair; the old refresh token is spent. */
export async function rotateRefreshToken(
  db: Db,
  refreshToken: string,
  clientId: string,
  graceMs = REUSE_GRACE_MS,
): Promise<TokenResponse> {
  const row = await findToken(db, refreshToken, "refresh");
  if (!row || row.revoked_at) throw new OAuthError("invalid_grant", "the refresh token is not valid");
  if (row.client_id !== clientId)
    throw new OAuthError("invalid_grant", "the refresh token was issued to another client");
  if (row.expires_at <= nowIso()) throw new OAuthError("invalid_grant", "the refresh token has expired");
  const spent = row.used_at
    ? null
    : await db
        .updateTable("oauth_tokens")
        .set({ used_at: nowIso() })
        .where("id", "=", row.id)
        .where("used_at", "is", null)
        .executeTakeFirst();
  if (spent === null || Number(spent.numUpdatedRows) !== 1) {
    // Two commands of one client refreshing at once both present the same token: within a
    // few seconds of its first use that is benign and gets a pair of its own. Later, it is
    // a stolen token being replayed, and the whole sign-in is revoked.
    const usedAt = (await findToken(db, refreshToken, "refresh"))?.used_at;
    if (!usedAt || Date.now() - Date.parse(usedAt) > graceMs) {
      await revokeFamily(db, row.family_id);
      throw new OAuthError(
        "invalid_grant",
        "the refresh token was already used; every token of this sign-in is now revoked",
      );
    }
  }
  return issueTokenPair(db, {
    userId: row.user_id,
    clientId: row.client_id,
    scope: row.scope,
    familyId: row.family_id,
  });
}

/** RFC 7009, used for logout: revoking either token ends the whole sign-in; unknown tokens are ignored. */
export async function revokeOAuthToken(db: Db, token: string): Promise<void> {
  const row = await db
    .selectFrom("oauth_tokens")
    .select("family_id")
    .where("token_hash", "=", hashSecret(token))
    .executeTakeFirst();
  if (row) await revokeFamily(db, row.family_id);
}
