// The OAuth endpoints of the device flow: device code, token (device code and refresh
// grants) and revocation. They speak RFC 6749/8628/7009, not the API's error shape.
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { checkClient, DEVICE_CODE_GRANT_TYPE, pollDeviceCode, startDeviceAuthorization } from "../auth/device-grant.js";
import { OAuthError } from "../auth/oauth-error.js";
import { revokeOAuthToken, rotateRefreshToken } from "../auth/oauth-tokens.js";
import type { AppEnv, ServerContext } from "../context.js";
import { MAX_JSON_BODY_BYTES, payloadTooLarge } from "./errors.js";
import { clientAddress, createRateLimiter } from "./rate-limit.js";

// Per client address. A person signing in polls about 12 times a minute and makes one code.
const NEW_CODES_PER_MINUTE = 20;
const TOKEN_CALLS_PER_MINUTE = 120;
const WRONG_CODES_PER_MINUTE = 20;

export function registerOAuthRoutes(app: Hono<AppEnv>, server: ServerContext): void {
  const { db } = server;
  const limit = bodyLimit({ maxSize: MAX_JSON_BODY_BYTES, onError: payloadTooLarge });
  const newCodes = createRateLimiter(NEW_CODES_PER_MINUTE, 60_000);
  const tokenCalls = createRateLimiter(TOKEN_CALLS_PER_MINUTE, 60_000);
  const wrongCodes = createRateLimiter(WRONG_CODES_PER_MINUTE, 60_000);

  app.post("/oauth/device/code", limit, (c) => {
    const who = clientAddress(c);
    if (!newCodes.take(who)) return rateLimited(c, newCodes.retryAfter(who), "too many sign-ins started");
    return oauth(c, async (form) => {
      const clientId = checkClient(form.client_id);
      return startDeviceAuthorization(db, server.deviceGrant, { clientId, scope: form.scope });
    });
  });

  app.post("/oauth/token", limit, async (c) => {
    const who = clientAddress(c);
    if (!tokenCalls.take(who)) return rateLimited(c, tokenCalls.retryAfter(who), "too many token requests");
    if (wrongCodes.blocked(who)) return rateLimited(c, wrongCodes.retryAfter(who), "too many unknown codes or tokens");
    const res = await oauth(c, async (form) => {
      const clientId = checkClient(form.client_id);
      if (form.grant_type === DEVICE_CODE_GRANT_TYPE) {
        if (!form.device_code) throw new OAuthError("invalid_request", "device_code is required");
        return pollDeviceCode(db, form.device_code, clientId);
      }
      if (form.grant_type === "refresh_token") {
        if (!form.refresh_token) throw new OAuthError("invalid_request", "refresh_token is required");
        return rotateRefreshToken(db, form.refresh_token, clientId, server.deviceGrant.refreshReuseGraceMs);
      }
      throw new OAuthError(
        "unsupported_grant_type",
        `grant_type must be '${DEVICE_CODE_GRANT_TYPE}' or 'refresh_token'`,
      );
    });
    // A guess at a device code or a refresh token counts against the address.
    if (res.status === 400 && (await res.clone().json()).error === "invalid_grant") wrongCodes.take(who);
    return res;
  });

  app.post("/oauth/revoke", limit, (c) =>
    oauth(c, async (form) => {
      if (form.token) await revokeOAuthToken(db, form.token);
      return {};
    }),
  );
}

function rateLimited(c: Context, retryAfter: number, what: string): Response {
  c.header("Retry-After", String(retryAfter));
  c.header("Cache-Control", "no-store");
  return c.json(
    { error: "rate_limited", error_description: `${what} from this address; retry in ${retryAfter} s` },
    429,
  );
}

async function oauth(
  c: Context,
  handle: (form: Record<string, string | undefined>) => Promise<object>,
): Promise<Response> {
  c.header("Cache-Control", "no-store");
  try {
    return c.json(await handle(await readForm(c)));
  } catch (err) {
    if (err instanceof OAuthError) return c.json(err.toJSON(), 400);
    throw err;
  }
}

/** OAuth clients post forms; JSON is accepted too because it is what everything else speaks. */
async function readForm(c: Context): Promise<Record<string, string | undefined>> {
  const type = c.req.header("content-type") ?? "";
  const text = await c.req.text();
  let entries: [string, unknown][];
  if (type.includes("application/json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text || "{}");
    } catch {
      throw new OAuthError("invalid_request", "malformed JSON body");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new OAuthError("invalid_request", "the JSON body must be an object");
    }
    entries = Object.entries(parsed);
  } else {
    entries = [...new URLSearchParams(text).entries()];
  }
  const form: Record<string, string | undefined> = {};
  for (const [k, v] of entries) if (typeof v === "string") form[k] = v;
  return form;
}
