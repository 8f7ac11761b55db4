import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostingClient } from "../../src/api/client.js";
import { deployDirectory } from "../../src/api/node/upload.js";
import { acceptInvitationLink, signInWithDeviceFlow } from "../helpers/device-sign-in.js";
import { clientFor, startTestServer, type TestServer } from "../helpers/server.js";

// One server for the file: owner (API key and OAuth), a second team "other" with its own
// member bob, and keys of every role on the default team.
describe("authorization", () => {
  let server: TestServer;
  let owner: HostingClient;
  let ownerOAuth: string;
  let bobToken: string;
  let bob: HostingClient;

  beforeAll(async () => {
    server = await startTestServer({ devicePollIntervalSeconds: 0 });
    owner = clientFor(server.url, server.ownerToken);
    await owner.createSite({ name: "web" });
    ownerOAuth = (await signInWithDeviceFlow(server.url, server.signInUrl)).access_token;
    await clientFor(server.url, ownerOAuth).createTeam({ slug: "other", name: "Other" });
    const added = await clientFor(server.url, ownerOAuth, "other").addMember({
      email: "bob@example.com",
      role: "owner",
    });
    bobToken = (await signInWithDeviceFlow(server.url, added.inviteUrl)).access_token;
    bob = clientFor(server.url, bobToken);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function keyWithRole(role: "admin" | "publisher" | "collaborator"): Promise<HostingClient> {
    const { token } = await owner.createApiKey({ name: `${role}-key`, role });
    return clientFor(server.url, token);
  }

  async function siteNames(): Promise<string[]> {
    return (await owner.listSites()).sites.map((s) => s.name);
  }

  it("requires a credential", async () => {
    await expect(clientFor(server.url, undefined).listSites()).rejects.toMatchObject({
      code: "unauthorized",
      hint: expect.stringContaining("deco-hosting login"),
    });
    const res = await fetch(`${server.url}/v1/sites`, { headers: { authorization: "Bearer dhk_forged" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("an admin sees no key's secret and cannot revoke an owner's key, which keeps working", async () => {
    const admin = await keyWithRole("admin");
    const { apiKey: ownerKey, token: ownerSecret } = await owner.createApiKey({ name: "owner-ci", role: "owner" });
    const listed = await admin.listApiKeys();
    const text = JSON.stringify(listed);
    expect(text).not.toContain(ownerSecret);
    expect(text).not.toContain(server.ownerToken);
    for (const k of listed.apiKeys) expect(k.prefix.length).toBeLessThanOrEqual(12);
    await expect(admin.revokeApiKey({ keyId: ownerKey.id })).rejects.toMatchObject({
      code: "forbidden",
      hint: expect.stringContaining("owner"),
    });
    expect((await clientFor(server.url, ownerSecret).listSites()).sites.length).toBeGreaterThan(0);
    // An admin may still revoke a key of its own rank or below.
    const { apiKey: publisherKey } = await owner.createApiKey({ name: "pub", role: "publisher" });
    expect(await admin.revokeApiKey({ keyId: publisherKey.id })).toMatchObject({ id: publisherKey.id });
  });

  it("an open log stream ends with an unauthorized error once its key is revoked", async () => {
    const { apiKey, token } = await owner.createApiKey({ name: "follower", role: "collaborator" });
    await owner.createSite({ name: "streamed" });
    const example = join(fileURLToPath(new URL("../../examples/", import.meta.url)), "static-site");
    const { deployment } = await deployDirectory(owner, { dir: example, siteName: "streamed" });
    const res = await fetch(`${server.url}/v1/deployments/${deployment.id}/logs`, {
      headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await owner.revokeApiKey({ keyId: apiKey.id });
    const t0 = Date.now();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(text).toContain("event: error");
    expect(text).toContain('"code":"unauthorized"');
    await owner.deleteSite({ siteName: "streamed" });
  });

  it("a collaborator key cannot delete a site, and the site stays", async () => {
    const collaborator = await keyWithRole("collaborator");
    expect((await collaborator.listSites()).sites.map((s) => s.name)).toContain("web");
    await expect(collaborator.deleteSite({ siteName: "web" })).rejects.toMatchObject({
      code: "forbidden",
      status: 403,
      message: expect.stringContaining("admin"),
      hint: expect.stringContaining("admin"),
    });
    await expect(collaborator.createSite({ name: "from-collaborator" })).rejects.toMatchObject({ code: "forbidden" });
    expect(await siteNames()).toEqual(["web"]);
  });

  it("a member of another team gets 404 for this team's site, never 403", async () => {
    expect((await bob.whoami()).team.slug).toBe("other");
    await expect(bob.getSite({ siteName: "web" })).rejects.toMatchObject({ code: "not_found", status: 404 });
    await expect(bob.deleteSite({ siteName: "web" })).rejects.toMatchObject({ code: "not_found" });
    expect((await bob.listSites()).sites).toEqual([]);
    expect(await siteNames()).toEqual(["web"]);
  });

  it("X-Deco-Team for a team the user is not in answers 404 with a hint", async () => {
    const bobAsDefault = clientFor(server.url, bobToken, "default");
    await expect(bobAsDefault.getSite({ siteName: "web" })).rejects.toMatchObject({
      code: "not_found",
      status: 404,
      hint: expect.stringContaining("deco-hosting teams ls"),
    });
    const res = await fetch(`${server.url}/v1/sites`, {
      headers: { authorization: `Bearer ${ownerOAuth}`, "x-deco-team": "nowhere" },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("a user acts on any of their teams with X-Deco-Team", async () => {
    const asOther = clientFor(server.url, ownerOAuth, "other");
    expect((await asOther.whoami()).team).toMatchObject({ slug: "other", role: "owner" });
    expect((await asOther.listSites()).sites).toEqual([]);
    const teams = await clientFor(server.url, ownerOAuth).listTeams();
    expect(teams.teams.map((t) => t.slug)).toEqual(["default", "other"]);
    expect((await owner.listTeams()).teams.map((t) => t.slug)).toEqual(["default"]);
  });

  it("an API key sending another team's slug gets 403", async () => {
    const res = await fetch(`${server.url}/v1/sites`, {
      headers: { authorization: `Bearer ${server.ownerToken}`, "x-deco-team": "other" },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("forbidden");
  });

  it("a revoked API key gets 401 with a hint", async () => {
    const { apiKey, token } = await owner.createApiKey({ name: "ci", role: "publisher" });
    const ci = clientFor(server.url, token);
    expect((await ci.whoami()).via).toBe("api_key");
    const revoked = await owner.revokeApiKey({ keyId: apiKey.id });
    expect(revoked.revokedAt).not.toBeNull();
    await expect(ci.listSites()).rejects.toMatchObject({
      code: "unauthorized",
      status: 401,
      message: expect.stringContaining("revoked"),
      hint: expect.stringContaining("tokens create"),
    });
  });

  it("an expired API key gets 401", async () => {
    const { apiKey, token } = await owner.createApiKey({ name: "short", role: "publisher", expiresInDays: 1 });
    const db = new Database(join(server.dataDir, "hosting.db"));
    try {
      db.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").run(
        new Date(Date.now() - 1000).toISOString(),
        apiKey.id,
      );
    } finally {
      db.close();
    }
    await expect(clientFor(server.url, token).listSites()).rejects.toMatchObject({
      code: "unauthorized",
      message: expect.stringContaining("expired"),
      hint: expect.any(String),
    });
  });

  it("API keys are listed by prefix only and cannot exceed the creator's role", async () => {
    const { apiKeys } = await owner.listApiKeys();
    const local = apiKeys.find((k) => k.name === "local");
    expect(local).toMatchObject({ role: "owner", team: "default", revokedAt: null });
    expect(server.ownerToken.startsWith(local?.prefix ?? "-")).toBe(true);
    expect(JSON.stringify(apiKeys)).not.toContain(server.ownerToken);

    const admin = await keyWithRole("admin");
    await expect(admin.createApiKey({ name: "too-strong", role: "owner" })).rejects.toMatchObject({
      code: "forbidden",
    });
    const made = await admin.createApiKey({ name: "ok", role: "admin", expiresInDays: 1 });
    expect(made.apiKey.expiresAt).not.toBeNull();
    const publisher = await keyWithRole("publisher");
    await expect(publisher.listApiKeys()).rejects.toMatchObject({ code: "forbidden" });
  });

  it("members: admins cannot add or remove owners, and the last owner cannot be removed", async () => {
    const ownerId = (await owner.whoami()).user.id;
    const admin = await keyWithRole("admin");
    await expect(admin.addMember({ email: "eve@example.com", role: "owner" })).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(admin.removeMember({ userId: ownerId })).rejects.toMatchObject({ code: "forbidden" });
    await expect(owner.removeMember({ userId: ownerId })).rejects.toMatchObject({
      code: "conflict",
      hint: expect.any(String),
    });

    const { invitation, inviteUrl } = await admin.addMember({ email: "Dee@Example.com", role: "publisher" });
    expect(invitation).toMatchObject({ email: "dee@example.com", role: "publisher", status: "pending" });
    expect(inviteUrl).toMatch(/\/invite\/dhi_/);
    await acceptInvitationLink(inviteUrl);
    await expect(admin.addMember({ email: "dee@example.com", role: "publisher" })).rejects.toMatchObject({
      code: "conflict",
    });
    const member = (await owner.listMembers()).members.find((m) => m.email === "dee@example.com") as { userId: string };
    expect((await owner.listMembers()).members.map((m) => m.email)).toEqual(["owner@localhost", "dee@example.com"]);
    expect(await admin.removeMember({ userId: member.userId })).toEqual({ ok: true });
    await expect(admin.removeMember({ userId: member.userId })).rejects.toMatchObject({ code: "not_found" });
  });

  it("an API key cannot create teams; a duplicate team slug is a conflict", async () => {
    await expect(owner.createTeam({ slug: "ci-team" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(clientFor(server.url, ownerOAuth).createTeam({ slug: "other" })).rejects.toMatchObject({
      code: "conflict",
    });
  });
});
