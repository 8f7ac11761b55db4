// The routes a browser visits: where a sign-in link may send it, and the cookie it sets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safeNext } from "../../src/server/http/browser-routes.js";
import {
  acceptInvitationLink,
  CLIENT_ID,
  DEVICE_GRANT,
  decide,
  openSignInLink,
  pollToken,
  postForm,
  requestDeviceCode,
  signInWithDeviceFlow,
} from "../helpers/device-sign-in.js";
import { clientFor, startTestServer, type TestServer } from "../helpers/server.js";

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

describe("invitations", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ devicePollIntervalSeconds: 0 });
  });
  afterAll(() => server?.close());

  /** Opens an invitation page as `cookie`'s browser and posts Accept with that page's CSRF token. */
  async function accept(inviteUrl: string, cookie?: string): Promise<Response> {
    const page = await fetch(inviteUrl, cookie ? { headers: { cookie } } : {});
    const csrf = /name="csrf_token" value="([^"]*)"/.exec(await page.text())?.[1] ?? "";
    return postForm(inviteUrl, { csrf_token: csrf, action: "approve" }, cookie);
  }

  it("answer alike whether the email has an account, and only that account can accept one for it", async () => {
    const owner = clientFor(server.url, server.ownerToken);
    const ownerOAuth = (await signInWithDeviceFlow(server.url, server.signInUrl)).access_token;
    await clientFor(server.url, ownerOAuth).createTeam({ slug: "elsewhere" });
    const toBob = await clientFor(server.url, ownerOAuth, "elsewhere").addMember({
      email: "bob@example.com",
      role: "publisher",
    });
    const bobCookie = await acceptInvitationLink(toBob.inviteUrl);

    // bob has an account (on another team), nobody@example.com has none: the answers look the same.
    const forBob = await owner.addMember({ email: "bob@example.com", role: "collaborator" });
    const forNobody = await owner.addMember({ email: "nobody@example.com", role: "collaborator" });
    expect(Object.keys(forBob).sort()).toEqual(Object.keys(forNobody).sort());
    expect(Object.keys(forBob.invitation).sort()).toEqual(Object.keys(forNobody.invitation).sort());
    expect(forBob.invitation.status).toBe("pending");
    expect(forNobody.invitation.status).toBe("pending");
    expect(forBob.inviteUrl).toMatch(/\/invite\/dhi_[A-Za-z0-9_-]{43}$/);

    const members = async () => (await owner.listMembers()).members.map((m) => m.email).sort();
    const before = await members();
    // The inviter holds the link too: neither a fresh browser nor the owner's session may use it for bob.
    const anonymous = await accept(forBob.inviteUrl);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain("Sign in");
    // Nor another account's browser session.
    const fayCookie = await acceptInvitationLink(
      (await owner.addMember({ email: "fay@example.com", role: "collaborator" })).inviteUrl,
    );
    expect((await accept(forBob.inviteUrl, fayCookie)).status).toBe(403);
    before.push("fay@example.com");
    before.sort();
    expect(await members()).toEqual(before);

    // bob, signed in as himself, accepts; the link is spent.
    const joined = await accept(forBob.inviteUrl, bobCookie);
    expect(joined.status).toBe(200);
    expect(await members()).toEqual([...before, "bob@example.com"].sort());
    expect((await accept(forBob.inviteUrl, bobCookie)).status).toBe(400);

    // A new email's link makes that account, on this team only.
    const fresh = await acceptInvitationLink(forNobody.inviteUrl);
    const code = await requestDeviceCode(server.url);
    expect((await decide(server.url, fresh, code.user_code, "approve")).status).toBe(200);
    const { body } = await pollToken(server.url, code.device_code);
    const nobody = clientFor(server.url, (body as { access_token: string }).access_token);
    expect((await nobody.listTeams()).teams.map((t) => [t.slug, t.role])).toEqual([["default", "collaborator"]]);
    await expect(nobody.deleteSite({ siteName: "anything" })).rejects.toMatchObject({ code: "forbidden" });
  });
});
