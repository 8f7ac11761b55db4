// The CLI's OAuth client against the real server: the person's side of each sign-in goes
// through the verification page over HTTP, as a browser would.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollForToken, refreshTokens, requestDeviceCode, revokeToken } from "../../src/auth/device-flow.js";
import { Session } from "../../src/auth/session.js";
import { connect } from "../../src/commands/connect.js";
import { decide, openSignInLink } from "../helpers/device-sign-in.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let cookie: string;

beforeAll(async () => {
  server = await startTestServer({ devicePollIntervalSeconds: 1 });
  cookie = await openSignInLink(server.signInUrl);
});
afterAll(async () => {
  await server?.close();
});

async function approve(userCode: string, action: "approve" | "deny" = "approve") {
  const res = await decide(server.url, cookie, userCode, action);
  expect(res.status).toBe(200);
}

describe("device flow", () => {
  it("polls until the code is approved, then returns access and refresh tokens", async () => {
    const code = await requestDeviceCode(server.url);
    expect(code).toMatchObject({ interval: 1, verificationUri: `${server.url}/device` });
    const sleeps: number[] = [];
    const tokens = await pollForToken(server.url, code, {
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 2) await approve(code.userCode);
        await new Promise((r) => setTimeout(r, ms));
      },
    });
    expect(sleeps).toEqual([1000, 1000]);
    expect(tokens.accessToken).toBeTruthy();
    expect(tokens.refreshToken).toBeTruthy();
    expect(Date.parse(tokens.expiresAt ?? "")).toBeGreaterThan(Date.now());
  });

  it("adds 5 seconds to the interval on slow_down", async () => {
    const code = await requestDeviceCode(server.url);
    const sleeps: number[] = [];
    const stop = new Error("stop");
    const err = await pollForToken(server.url, code, {
      // no real waiting: the second poll comes too soon and the server answers slow_down
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 3) throw stop;
      },
    }).catch((e: unknown) => e);
    expect(err).toBe(stop);
    expect(sleeps).toEqual([1000, 1000, 6000]);
  });

  it("stops with forbidden when the person denies the code", async () => {
    const code = await requestDeviceCode(server.url);
    await approve(code.userCode, "deny");
    await expect(pollForToken(server.url, code)).rejects.toMatchObject({ code: "forbidden" });
  });

  it("stops with a clear error when the code expired on the server", async () => {
    const shortLived = await startTestServer({ devicePollIntervalSeconds: 1, deviceCodeTtlSeconds: 1 });
    try {
      const code = await requestDeviceCode(shortLived.url);
      // a clock that does not move, so it is the server that says expired_token
      const err = await pollForToken(shortLived.url, code, {
        now: () => 0,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms + 300)),
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "unauthorized", message: expect.stringContaining("expired") });
      expect((err as { hint?: string }).hint).not.toContain("deco-hosting login");
    } finally {
      await shortLived.close();
    }
  });

  it("refreshes, and a revoked refresh token no longer works", async () => {
    const code = await requestDeviceCode(server.url);
    await approve(code.userCode);
    const tokens = await pollForToken(server.url, code);
    const fresh = await refreshTokens(server.url, tokens.refreshToken ?? "");
    expect(fresh.accessToken).not.toBe(tokens.accessToken);
    await revokeToken(server.url, fresh.refreshToken ?? "");
    await expect(refreshTokens(server.url, fresh.refreshToken ?? "")).rejects.toMatchObject({ code: "unauthorized" });
  });
});

/** A default profile for the test server holding a real refresh token and the given (bad) access token. */
async function signedInProfile(configDir: string, accessToken: string): Promise<Record<string, string>> {
  const env = { XDG_CONFIG_HOME: configDir, DECO_HOSTING_KEYCHAIN: "off" };
  const code = await requestDeviceCode(server.url);
  await approve(code.userCode);
  const tokens = await pollForToken(server.url, code);
  const setup = await Session.open({}, env);
  await setup.updateProfile({ apiUrl: server.url }, { makeCurrent: true });
  await setup.store.set("default", { accessToken, refreshToken: tokens.refreshToken });
  return env;
}

describe("stored credentials", () => {
  it("refresh the access token on a 401 and store the new tokens", async () => {
    const configDir = await mkdtemp(join(tmpdir(), "deco-hosting-cli-"));
    try {
      const env = await signedInProfile(configDir, "not-a-valid-token");

      const session = await Session.open({}, env);
      const { client } = await connect(session);
      const me = await client.whoami();
      expect(me).toMatchObject({ via: "oauth", user: { email: "owner@localhost" } });
      const stored = await session.storedTokens();
      expect(stored?.accessToken).not.toBe("not-a-valid-token");
      expect(stored?.refreshToken).toBeTruthy();
    } finally {
      await rm(configDir, { recursive: true, force: true });
    }
  });

  it("two processes refreshing at once take turns, so the rotating refresh token is spent once", async () => {
    const configDir = await mkdtemp(join(tmpdir(), "deco-hosting-cli-"));
    try {
      const env = await signedInProfile(configDir, "stale");

      const clients = await Promise.all([1, 2, 3].map(async () => (await connect(await Session.open({}, env))).client));
      const answers = await Promise.all(clients.map((c) => c.whoami()));
      expect(answers.map((a) => a.via)).toEqual(["oauth", "oauth", "oauth"]);
      // the sign-in survived: a spent refresh token coming back would have revoked it
      const { client } = await connect(await Session.open({}, env));
      await expect(client.whoami()).resolves.toMatchObject({ via: "oauth" });
    } finally {
      await rm(configDir, { recursive: true, force: true });
    }
  });

  it("a rejected token reports unauthorized with a hint to sign in", async () => {
    const configDir = await mkdtemp(join(tmpdir(), "deco-hosting-cli-"));
    try {
      const env = { XDG_CONFIG_HOME: configDir, DECO_HOSTING_KEYCHAIN: "off" };
      const setup = await Session.open({}, env);
      await setup.updateProfile({ apiUrl: server.url }, { makeCurrent: true });
      const { client } = await connect(await Session.open({}, env));
      await expect(client.listSites()).rejects.toMatchObject({
        code: "unauthorized",
        hint: expect.stringContaining("deco-hosting login"),
      });
    } finally {
      await rm(configDir, { recursive: true, force: true });
    }
  });
});
