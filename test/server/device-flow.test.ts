import { afterEach, describe, expect, it } from "vitest";
import {
  CLIENT_ID,
  csrfTokenOf,
  decide,
  openSignInLink,
  pollToken,
  postForm,
  requestDeviceCode,
  signInWithDeviceFlow,
} from "../helpers/device-sign-in.js";
import { clientFor, startTestServer, type TestServer } from "../helpers/server.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("OAuth device authorization grant", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(
    opts: { deviceCodeTtlSeconds?: number; devicePollIntervalSeconds?: number; refreshReuseGraceSeconds?: number } = {},
  ) {
    server = await startTestServer({ devicePollIntervalSeconds: 0, ...opts });
    return server;
  }

  it("signs in through the verification page over real HTTP and the token acts as that user", async () => {
    const s = await start();
    const code = await requestDeviceCode(s.url);
    expect(code.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(code.verification_uri).toBe(`${s.url}/device`);
    expect(code.verification_uri_complete).toBe(`${s.url}/device?user_code=${code.user_code}`);
    expect(code.expires_in).toBe(600);

    const signedOut = await fetch(code.verification_uri_complete);
    expect(await signedOut.text()).toContain("not signed in");

    const link = await fetch(s.signInUrl, { redirect: "manual" });
    expect(link.status).toBe(302);
    expect(link.headers.get("location")).toBe("/device");
    const setCookie = link.headers.getSetCookie()[0] ?? "";
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const cookie = setCookie.split(";")[0] as string;
    expect((await fetch(s.signInUrl, { redirect: "manual" })).status).toBe(400);

    expect((await pollToken(s.url, code.device_code)).body.error).toBe("authorization_pending");

    const page = await fetch(code.verification_uri_complete, { headers: { cookie } });
    const html = await page.text();
    expect(html).toContain(`value="${code.user_code}"`);
    expect(html).toContain("owner@localhost");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const csrf = csrfTokenOf(html);

    const forged = await postForm(
      `${s.url}/device`,
      { csrf_token: "forged", user_code: code.user_code, action: "approve" },
      cookie,
    );
    expect(forged.status).toBe(403);
    expect((await pollToken(s.url, code.device_code)).body.error).toBe("authorization_pending");

    const approved = await postForm(
      `${s.url}/device`,
      { csrf_token: csrf, user_code: code.user_code.toLowerCase(), action: "approve" },
      cookie,
    );
    expect(approved.status).toBe(200);
    expect(await approved.text()).toContain("approved");

    const { status, body } = await pollToken(s.url, code.device_code);
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "hosting" });
    expect(body.access_token).toMatch(/^dho_/);
    expect(body.refresh_token).toMatch(/^dhr_/);

    const me = await clientFor(s.url, body.access_token as string).whoami();
    expect(me).toMatchObject({
      user: { email: "owner@localhost" },
      team: { slug: "default", role: "owner" },
      via: "oauth",
    });
  });

  it("an approved code works once only", async () => {
    const s = await start();
    const code = await requestDeviceCode(s.url);
    await decide(s.url, await openSignInLink(s.signInUrl), code.user_code, "approve");
    expect((await pollToken(s.url, code.device_code)).status).toBe(200);
    const again = await pollToken(s.url, code.device_code);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: "invalid_grant", error_description: expect.any(String) });
  });

  it("a denied code answers access_denied", async () => {
    const s = await start();
    const code = await requestDeviceCode(s.url);
    const res = await decide(s.url, await openSignInLink(s.signInUrl), code.user_code, "deny");
    expect(await res.text()).toContain("denied");
    const poll = await pollToken(s.url, code.device_code);
    expect(poll.status).toBe(400);
    expect(poll.body.error).toBe("access_denied");
  });

  it("an expired code answers expired_token and can no longer be approved", async () => {
    const s = await start({ deviceCodeTtlSeconds: 1 });
    const code = await requestDeviceCode(s.url);
    expect(code.expires_in).toBe(1);
    await sleep(1100);
    const poll = await pollToken(s.url, code.device_code);
    expect(poll.status).toBe(400);
    expect(poll.body.error).toBe("expired_token");
    const late = await decide(s.url, await openSignInLink(s.signInUrl), code.user_code, "approve");
    expect(late.status).toBe(400);
    expect(await late.text()).toContain("not waiting for approval");
  });

  it("polling faster than the interval answers slow_down and adds 5 seconds", async () => {
    const s = await start({ devicePollIntervalSeconds: 1 });
    const code = await requestDeviceCode(s.url);
    expect(code.interval).toBe(1);
    expect((await pollToken(s.url, code.device_code)).body.error).toBe("authorization_pending");
    const fast = await pollToken(s.url, code.device_code);
    expect(fast.status).toBe(400);
    expect(fast.body.error).toBe("slow_down");
    expect(fast.body.error_description).toContain("6 seconds");
    await sleep(1100);
    // The interval is now 6 s, so a poll after 1 s is still too fast.
    expect((await pollToken(s.url, code.device_code)).body.error).toBe("slow_down");
  });

  it("rejects unknown clients, grant types and device codes in RFC 6749 form", async () => {
    const s = await start();
    const badClient = await postForm(`${s.url}/oauth/device/code`, { client_id: "someone-else" });
    expect(badClient.status).toBe(400);
    expect(await badClient.json()).toMatchObject({ error: "invalid_client" });

    const badGrant = await postForm(`${s.url}/oauth/token`, { grant_type: "password", client_id: CLIENT_ID });
    expect(await badGrant.json()).toMatchObject({ error: "unsupported_grant_type" });

    expect((await pollToken(s.url, "dhd_unknown")).body.error).toBe("invalid_grant");

    const json = await fetch(`${s.url}/oauth/device/code`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: CLIENT_ID, scope: "hosting" }),
    });
    expect(json.status).toBe(200);
  });

  it("rotates refresh tokens, allows a concurrent refresh, and revokes the family when a rotated one is reused later", async () => {
    const s = await start({ refreshReuseGraceSeconds: 1 });
    const first = await signInWithDeviceFlow(s.url, s.signInUrl);
    const refresh = (token: string) =>
      postForm(`${s.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: token, client_id: CLIENT_ID });

    // Two commands refreshing at once: both get a working pair, nobody is signed out.
    const [rotated, concurrent] = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
    expect([rotated.status, concurrent.status]).toEqual([200, 200]);
    const second = (await rotated.json()) as { access_token: string; refresh_token: string };
    const other = (await concurrent.json()) as { access_token: string; refresh_token: string };
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(other.refresh_token).not.toBe(second.refresh_token);
    expect((await clientFor(s.url, second.access_token).whoami()).via).toBe("oauth");
    expect((await clientFor(s.url, other.access_token).whoami()).via).toBe("oauth");

    // Past the grace, presenting the spent token again is a replay.
    await new Promise((r) => setTimeout(r, 1200));
    const reuse = await refresh(first.refresh_token);
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: "invalid_grant" });

    // The reuse revoked every token of this sign-in, including the newest pair.
    expect((await refresh(second.refresh_token)).status).toBe(400);
    await expect(clientFor(s.url, second.access_token).whoami()).rejects.toMatchObject({ code: "unauthorized" });
    await expect(clientFor(s.url, first.access_token).whoami()).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("a browser session reads the API, and writes only with its CSRF token", async () => {
    const s = await start();
    const cookie = await openSignInLink(s.signInUrl);
    const csrf = csrfTokenOf(await (await fetch(`${s.url}/device`, { headers: { cookie } })).text());
    const me = await fetch(`${s.url}/v1/me`, { headers: { cookie } });
    expect(((await me.json()) as { via: string }).via).toBe("session");

    const create = (headers: Record<string, string>) =>
      fetch(`${s.url}/v1/sites`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json", ...headers },
        body: JSON.stringify({ name: "from-browser" }),
      });
    expect((await create({})).status).toBe(403);
    expect((await clientFor(s.url, s.ownerToken).listSites()).sites).toEqual([]);
    expect((await create({ "x-csrf-token": csrf })).status).toBe(200);
  });

  it("revocation (logout) ends the sign-in and always answers 200", async () => {
    const s = await start();
    const tokens = await signInWithDeviceFlow(
      s.url,
      (await clientFor(s.url, s.ownerToken).addMember({ email: "bo@example.com", role: "publisher" })).inviteUrl,
    );
    expect((await clientFor(s.url, tokens.access_token).whoami()).user.email).toBe("bo@example.com");
    expect((await postForm(`${s.url}/oauth/revoke`, { token: tokens.refresh_token })).status).toBe(200);
    await expect(clientFor(s.url, tokens.access_token).whoami()).rejects.toMatchObject({ code: "unauthorized" });
    expect((await postForm(`${s.url}/oauth/revoke`, { token: "dhr_not-a-token" })).status).toBe(200);
  });
});
