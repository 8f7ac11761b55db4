// Drives the browser side of sign-in over real HTTP, the way a person would: open the
// one-time link, read the verification page, submit its form.
import {
  DEVICE_CLIENT_ID as CLIENT_ID,
  DEVICE_CODE_GRANT_TYPE as DEVICE_GRANT,
  type DeviceAuthorization,
} from "../../src/api/oauth.js";

export { CLIENT_ID, DEVICE_GRANT };

export type DeviceCode = DeviceAuthorization;

export async function postForm(url: string, fields: Record<string, string>, cookie?: string): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (cookie) headers.cookie = cookie;
  return fetch(url, { method: "POST", headers, body: new URLSearchParams(fields).toString(), redirect: "manual" });
}

export async function requestDeviceCode(url: string): Promise<DeviceCode> {
  const res = await postForm(`${url}/oauth/device/code`, { client_id: CLIENT_ID });
  if (res.status !== 200) throw new Error(`device code request failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as DeviceCode;
}

export async function pollToken(
  url: string,
  deviceCode: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await postForm(`${url}/oauth/token`, {
    grant_type: DEVICE_GRANT,
    device_code: deviceCode,
    client_id: CLIENT_ID,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Opens a one-time sign-in link and returns the session cookie it sets (`name=value`). */
export async function openSignInLink(signInUrl: string): Promise<string> {
  const res = await fetch(signInUrl, { redirect: "manual" });
  if (res.status !== 302) throw new Error(`sign-in link answered ${res.status}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("dh_session="));
  if (!cookie) throw new Error("sign-in link set no session cookie");
  return cookie.split(";")[0] as string;
}

export function csrfTokenOf(html: string): string {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error("no CSRF token on the verification page");
  return m[1];
}

/** Approves or denies `userCode` on the verification page as the browser holding `cookie`. */
export async function decide(
  url: string,
  cookie: string,
  userCode: string,
  action: "approve" | "deny",
): Promise<Response> {
  const page = await fetch(`${url}/device?user_code=${encodeURIComponent(userCode)}`, { headers: { cookie } });
  const csrf = csrfTokenOf(await page.text());
  return postForm(`${url}/device`, { csrf_token: csrf, user_code: userCode, action }, cookie);
}

/** Accepts an invitation for a new account in a fresh browser; returns the session cookie it sets. */
export async function acceptInvitationLink(inviteUrl: string): Promise<string> {
  const res = await fetch(inviteUrl, { method: "POST", body: new URLSearchParams({ action: "approve" }) });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("dh_session="));
  if (res.status !== 200 || !cookie) throw new Error(`accepting the invitation answered ${res.status}`);
  return cookie.split(";")[0] as string;
}

/** The whole device flow for the person a sign-in or invitation link belongs to; returns their tokens. */
export async function signInWithDeviceFlow(
  url: string,
  link: string,
): Promise<{ access_token: string; refresh_token: string }> {
  const code = await requestDeviceCode(url);
  const cookie = link.includes("/invite/") ? await acceptInvitationLink(link) : await openSignInLink(link);
  const decided = await decide(url, cookie, code.user_code, "approve");
  if (decided.status !== 200) throw new Error(`approval failed: ${decided.status}`);
  const { status, body } = await pollToken(url, code.device_code);
  if (status !== 200) throw new Error(`token exchange failed: ${JSON.stringify(body)}`);
  return body as { access_token: string; refresh_token: string };
}
