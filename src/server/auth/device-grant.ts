// OAuth 2.0 Device Authorization Grant (RFC 8628): the CLI gets a device code and shows the
// user a short code; the user approves it on the verification page; the CLI polls for tokens.

import { randomInt } from "node:crypto";
import { HostingError } from "../../api/errors.js";
import { DEVICE_CLIENT_ID, type DeviceAuthorization } from "../../api/oauth.js";
import type { Db } from "../store/db.js";
import { isUniqueViolation } from "../store/db.js";
import type { DeviceCodesTable } from "../store/schema.js";
import { OAuthError } from "./oauth-error.js";
import { issueTokenPair, type TokenResponse } from "./oauth-tokens.js";
import { hashSecret, isoAfter, newId, newSecret, nowIso, TOKEN_PREFIX } from "./secrets.js";

export { DEVICE_CLIENT_ID, DEVICE_CODE_GRANT_TYPE } from "../../api/oauth.js";
export const DEFAULT_SCOPE = "hosting";
const SLOW_DOWN_STEP_SECONDS = 5;

// RFC 8628 §6.1: consonants only, so codes read unambiguously and never spell words.
const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LENGTH = 8;

export interface DeviceGrantConfig {
  ttlSeconds: number;
  intervalSeconds: number;
  /** How long a spent refresh token still works for the same client (concurrent refreshes). */
  refreshReuseGraceMs?: number;
  verificationUri: string;
}

export function checkClient(clientId: unknown): string {
  if (clientId !== DEVICE_CLIENT_ID)
    throw new OAuthError("invalid_client", `unknown client_id; use '${DEVICE_CLIENT_ID}'`);
  return clientId;
}

/** What a person types, however they typed it: case and dashes do not matter. */
export function normalizeUserCode(input: string): string {
  return input.toUpperCase().replace(/[^A-Z]/g, "");
}

export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

function newUserCode(): string {
  let code = "";
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

export async function startDeviceAuthorization(
  db: Db,
  config: DeviceGrantConfig,
  request: { clientId: string; scope?: string },
): Promise<DeviceAuthorization> {
  const now = nowIso();
  // Expired codes are useless; dropping them keeps the user-code space free.
  await db.deleteFrom("device_codes").where("expires_at", "<=", now).execute();
  const deviceCode = newSecret(TOKEN_PREFIX.deviceCode);
  for (let attempt = 0; ; attempt++) {
    const userCode = newUserCode();
    try {
      await db
        .insertInto("device_codes")
        .values({
          id: newId("dev"),
          device_code_hash: hashSecret(deviceCode),
          user_code: userCode,
          client_id: request.clientId,
          scope: request.scope || DEFAULT_SCOPE,
          status: "pending",
          user_id: null,
          interval_seconds: config.intervalSeconds,
          last_polled_at: null,
          created_at: now,
          expires_at: isoAfter(config.ttlSeconds),
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err) && attempt < 5) continue;
      throw err;
    }
    const shown = formatUserCode(userCode);
    return {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: config.verificationUri,
      verification_uri_complete: `${config.verificationUri}?user_code=${encodeURIComponent(shown)}`,
      expires_in: config.ttlSeconds,
      interval: config.intervalSeconds,
    };
  }
}

/** One poll of the token endpoint: tokens once approved, else the RFC's reason to wait or stop. */
export async function pollDeviceCode(db: Db, deviceCode: string, clientId: string): Promise<TokenResponse> {
  const row = await db
    .selectFrom("device_codes")
    .selectAll()
    .where("device_code_hash", "=", hashSecret(deviceCode))
    .executeTakeFirst();
  if (!row || row.client_id !== clientId) throw new OAuthError("invalid_grant", "unknown device code");
  if (row.status === "used") throw new OAuthError("invalid_grant", "this device code was already exchanged for tokens");
  const now = Date.now();
  if (row.expires_at <= new Date(now).toISOString()) {
    throw new OAuthError("expired_token", "the device code expired; start the sign-in again");
  }
  await throttle(db, row, now);
  if (row.status === "denied") throw new OAuthError("access_denied", "the user denied this sign-in");
  if (row.status === "pending" || !row.user_id) {
    throw new OAuthError("authorization_pending", "waiting for the user to approve the code");
  }
  const spent = await db
    .updateTable("device_codes")
    .set({ status: "used" })
    .where("id", "=", row.id)
    .where("status", "=", "approved")
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1)
    throw new OAuthError("invalid_grant", "this device code was already exchanged for tokens");
  return issueTokenPair(db, { userId: row.user_id, clientId: row.client_id, scope: row.scope });
}

/** RFC 8628 §3.5: a client polling faster than its interval gets slow_down and 5 s more. */
async function throttle(db: Db, row: DeviceCodesTable, now: number): Promise<void> {
  const tooSoon = row.last_polled_at !== null && now - Date.parse(row.last_polled_at) < row.interval_seconds * 1000;
  const interval = tooSoon ? row.interval_seconds + SLOW_DOWN_STEP_SECONDS : row.interval_seconds;
  await db
    .updateTable("device_codes")
    .set({ last_polled_at: new Date(now).toISOString(), interval_seconds: interval })
    .where("id", "=", row.id)
    .execute();
  if (tooSoon) throw new OAuthError("slow_down", `polling too fast; wait ${interval} seconds between polls`);
}

/** The verification page's decision: binds the signed-in user to the code, or denies it. */
export async function decideUserCode(db: Db, userCodeInput: string, userId: string, approve: boolean): Promise<string> {
  const userCode = normalizeUserCode(userCodeInput);
  const shown = formatUserCode(userCode);
  const decided = await db
    .updateTable("device_codes")
    .set(approve ? { status: "approved", user_id: userId } : { status: "denied" })
    .where("user_code", "=", userCode)
    .where("status", "=", "pending")
    .where("expires_at", ">", nowIso())
    .executeTakeFirst();
  if (Number(decided.numUpdatedRows) !== 1) {
    throw new HostingError("not_found", `the code ${shown} is not waiting for approval`, {
      hint: "Check the code shown in your terminal; codes expire, so start the sign-in again if it has",
    });
  }
  return shown;
}
