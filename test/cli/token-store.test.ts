import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readConfig, writeConfig } from "../../src/auth/profiles.js";
import { createTokenStore, credentialsPath } from "../../src/auth/token-store.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "deco-hosting-cli-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("token store with DECO_HOSTING_KEYCHAIN=off", () => {
  it("keeps each profile's tokens in a 0600 credentials file", async () => {
    const store = createTokenStore({ configDir: dir, env: { DECO_HOSTING_KEYCHAIN: "off" } });
    expect(await store.get("default")).toBeUndefined();
    expect(await store.set("default", { accessToken: "a1", refreshToken: "r1" })).toBe("file");
    await store.set("work", { accessToken: "a2" });
    expect(await store.get("default")).toEqual({ accessToken: "a1", refreshToken: "r1" });
    expect((await stat(credentialsPath(dir))).mode & 0o777).toBe(0o600);
    await store.delete("default");
    expect(await store.get("default")).toBeUndefined();
    expect(JSON.parse(await readFile(credentialsPath(dir), "utf8"))).toEqual({ work: { accessToken: "a2" } });
  });
});

describe("token store with the keychain on", () => {
  it("falls back to the file when no keychain answers, and reads it back", async () => {
    // a throwaway account name: on a desktop this touches the real keychain
    const account = `vitest-${process.pid}-${Date.now()}`;
    const store = createTokenStore({ configDir: dir, env: {} });
    const where = await store.set(account, { accessToken: "a1" });
    expect(["keychain", "file"]).toContain(where);
    expect(await store.get(account)).toEqual({ accessToken: "a1" });
    await store.delete(account);
    expect(await store.get(account)).toBeUndefined();
  });
});

describe("profiles file", () => {
  it("reads an absent file as no profiles and round-trips with mode 0600", async () => {
    expect(await readConfig(dir)).toEqual({ currentProfile: undefined, profiles: {} });
    await writeConfig(dir, { currentProfile: "default", profiles: { default: { apiUrl: "http://x" } } });
    expect(await readConfig(dir)).toEqual({ currentProfile: "default", profiles: { default: { apiUrl: "http://x" } } });
    expect((await stat(join(dir, "config.json"))).mode & 0o777).toBe(0o600);
  });
});
