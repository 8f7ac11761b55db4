// The routes a browser visits: where a sign-in link may send it, and the cookie it sets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safeNext } from "../../src/server/http/browser-routes.js";
import { CLIENT_ID, DEVICE_GRANT, decide, openSignInLink, postForm } from "../helpers/device-sign-in.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("sign-in redirects", () => {
  it("go only to a path of this server", () => {
    for (const evil of [
      "//evil.example/",
      "/\\evil.example",
      "/\t/evil.example",
      "/\n/evil.example",
      "/ /evil.example",
      "https://evil.example/",
      "javascript:alert(1)",
      "evil.example",
      "/%0a/evil.example\\x",
      `/${"a".repeat(3000)}`,
    ]) {
      expect([evil, safeNext(evil)]).toEqual([evil, "/device"]);
    }
    expect(safeNext("/device?user_code=ABCD-EFGH")).toBe("/device?user_code=ABCD-EFGH");
    expect(safeNext(undefined)).toBe("/device");
  });
});

describe("the session cookie", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ publicUrl: "https://hosting.example" });
  });
  afterAll(() => server?.close());

  it("is __Host- on an HTTPS server: Secure, host-only, path /, HttpOnly; and a bad next goes nowhere else", async () => {
    const link = server.signInUrl.replace("https://hosting.example", server.url);
    const res = await fetch(`${link}?next=${encodeURIComponent("/\t/evil.example")}`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/device");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Host-dh_session="));
    expect(cookie).toBeDefined();
    const attrs = (cookie as string).split(";").map((a) => a.trim().toLowerCase());
    expect(attrs).toEqual(expect.arrayContaining(["path=/", "httponly", "secure", "samesite=lax"]));
    expect(attrs.some((a) => a.startsWith("domain="))).toBe(false);
  });
});

describe("guessing codes", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it("is rate limited per address at /oauth/token (429 rate_limited) and for new device codes", async () => {
    const token = (deviceCode: string) =>
      postForm(`${server.url}/oauth/token`, {
        grant_type: DEVICE_GRANT,
        device_code: deviceCode,
        client_id: CLIENT_ID,
      });
    for (let i = 0; i < 20; i++) {
      const res = await token(`dhd_guess${i}`);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toBe("invalid_grant");
    }
    const limited = await token("dhd_guess-more");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: "rate_limited" });

    let last: Response | null = null;
    for (let i = 0; i < 21; i++) last = await postForm(`${server.url}/oauth/device/code`, { client_id: CLIENT_ID });
    expect(last?.status).toBe(429);
  });

  it("is limited to ten wrong user codes per person on the verification page, approving nothing", async () => {
    const cookie = await openSignInLink(server.signInUrl);
    for (let i = 0; i < 10; i++) {
      const res = await decide(server.url, cookie, `WXYZ-BCD${"FGHJKLMNPQ"[i]}`, "approve");
      expect(res.status).toBe(400);
    }
    const res = await decide(server.url, cookie, "BBBB-BBBB", "approve");
    expect(res.status).toBe(429);
    expect(await res.text()).toContain("Too many wrong codes");
  });
});
