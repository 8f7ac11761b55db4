// The OAuth side of the CLI: the device authorization grant (RFC 8628), refresh and revoke.
import { setTimeout as delay } from "node:timers/promises";
import { HostingError } from "../api/errors.js";
import { nodeFetch } from "../api/node/http-fetch.js";
import { DEVICE_CLIENT_ID as CLIENT_ID, DEVICE_CODE_GRANT_TYPE as DEVICE_GRANT } from "../api/oauth.js";
import { type FetchLike, type FetchResponse, unreachable } from "../api/transports.js";
import type { StoredTokens } from "./token-store.js";

export interface DeviceCode {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
  interval: number;
}

export interface OAuthDeps {
  fetch?: FetchLike;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  signal?: AbortSignal;
}

interface OAuthAnswer {
  ok: boolean;
  status: number;
  body: Record<string, unknown>;
}

async function postForm(
  apiUrl: string,
  path: string,
  form: Record<string, string>,
  deps: OAuthDeps,
): Promise<OAuthAnswer> {
  const doFetch = deps.fetch ?? nodeFetch;
  let res: FetchResponse;
  try {
    res = await doFetch(`${apiUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams(form).toString(),
      signal: deps.signal,
    });
  } catch (err) {
    throw unreachable(apiUrl, err);
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new HostingError("upstream", `${apiUrl}${path} answered HTTP ${res.status} with a body that is not JSON`, {
      hint: "Check --api-url: it should point at a deco-hosting server",
    });
  }
  return { ok: res.ok, status: res.status, body };
}

/** An OAuth error body `{error, error_description}`, or our own `{error: {code, …}}`. */
function oauthError(answer: OAuthAnswer): HostingError {
  if (typeof answer.body.error === "object") return HostingError.fromBody(answer.body, answer.status);
  const code = String(answer.body.error ?? "");
  const description = typeof answer.body.error_description === "string" ? answer.body.error_description : code;
  if (code === "invalid_grant")
    return new HostingError("unauthorized", `the sign-in is no longer valid (${description})`);
  if (code === "rate_limited" || answer.status === 429)
    return new HostingError("rate_limited", description || "too many requests", {
      hint: "Wait a minute, then run the command again",
    });
  return HostingError.fromBody(
    { error: { code: "invalid_input", message: description || `HTTP ${answer.status}` } },
    answer.status,
  );
}

export async function requestDeviceCode(apiUrl: string, deps: OAuthDeps = {}): Promise<DeviceCode> {
  const answer = await postForm(apiUrl, "/oauth/device/code", { client_id: CLIENT_ID }, deps);
  if (!answer.ok) throw oauthError(answer);
  const b = answer.body;
  if (typeof b.device_code !== "string" || typeof b.user_code !== "string") {
    throw new HostingError("upstream", `${apiUrl} did not answer a device code`, {
      hint: "Check --api-url: it should point at a deco-hosting server",
    });
  }
  return {
    deviceCode: b.device_code,
    userCode: b.user_code,
    verificationUri: String(b.verification_uri),
    verificationUriComplete: String(b.verification_uri_complete ?? b.verification_uri),
    expiresIn: Number(b.expires_in) || 900,
    interval: Number(b.interval) || 5,
  };
}

function tokensFrom(body: Record<string, unknown>, now: number): StoredTokens {
  const tokens: StoredTokens = { accessToken: String(body.access_token) };
  if (typeof body.refresh_token === "string") tokens.refreshToken = body.refresh_token;
  if (typeof body.expires_in === "number") tokens.expiresAt = new Date(now + body.expires_in * 1000).toISOString();
  return tokens;
}

/**
 * Polls the token endpoint until the user approves the code: waits `interval` seconds
 * between polls, adds 5 s on slow_down, stops on expired_token and access_denied.
 */
export async function pollForToken(apiUrl: string, code: DeviceCode, deps: OAuthDeps = {}): Promise<StoredTokens> {
  const sleep = deps.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  const now = deps.now ?? Date.now;
  const deadline = now() + code.expiresIn * 1000;
  const expired = () =>
    new HostingError("unauthorized", "the sign-in code expired before it was approved", {
      hint: `Approve the code in the browser within ${Math.round(code.expiresIn / 60)} minutes of it being shown`,
    });
  let interval = code.interval;
  for (;;) {
    await sleep(interval * 1000, deps.signal);
    if (now() >= deadline) throw expired();
    const form = { grant_type: DEVICE_GRANT, device_code: code.deviceCode, client_id: CLIENT_ID };
    const answer = await postForm(apiUrl, "/oauth/token", form, deps);
    if (answer.ok) return tokensFrom(answer.body, now());
    switch (answer.body.error) {
      case "authorization_pending":
        continue;
      case "slow_down":
        interval += 5;
        continue;
      case "rate_limited":
        // The server limits token calls per address (others here may be signing in too).
        interval = Math.max(interval, code.interval + 5);
        continue;
      case "expired_token":
        throw expired();
      case "access_denied":
        throw new HostingError("forbidden", "the sign-in request was denied in the browser", {
          hint: "Approve the code with an account that may use this server, or ask its owner for access",
        });
      default:
        throw oauthError(answer);
    }
  }
}

/** Trades a refresh token for new tokens; throws `unauthorized` when it is no longer valid. */
export async function refreshTokens(apiUrl: string, refreshToken: string, deps: OAuthDeps = {}): Promise<StoredTokens> {
  const form = { grant_type: "refresh_token", refresh_token: refreshToken, client_id: CLIENT_ID };
  const answer = await postForm(apiUrl, "/oauth/token", form, deps);
  if (!answer.ok) throw oauthError(answer);
  const tokens = tokensFrom(answer.body, (deps.now ?? Date.now)());
  tokens.refreshToken ??= refreshToken;
  return tokens;
}

export async function revokeToken(apiUrl: string, token: string, deps: OAuthDeps = {}): Promise<void> {
  const answer = await postForm(apiUrl, "/oauth/revoke", { token, client_id: CLIENT_ID }, deps);
  if (!answer.ok) throw oauthError(answer);
}
