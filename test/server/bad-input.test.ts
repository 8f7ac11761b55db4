import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostingClient } from "../../src/api/client.js";
import { clientFor, startTestServer, type TestServer } from "../helpers/server.js";

// Raw HTTP on purpose: the SDK client validates before sending, so bad input only reaches the
// server from other clients. Every case also checks that the store did not change.
describe("bad input", () => {
  let server: TestServer;
  let owner: HostingClient;

  beforeAll(async () => {
    server = await startTestServer();
    owner = clientFor(server.url, server.ownerToken);
    await owner.createSite({ name: "taken" });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function send(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.ownerToken}`, "content-type": "application/json", ...headers },
      body,
    });
    return {
      status: res.status,
      body: (await res.json()) as {
        error: {
          code: string;
          message: string;
          hint?: string;
          details?: { issues: { path: string; message: string }[] };
        };
      },
    };
  }

  async function siteCount(): Promise<number> {
    return (await owner.listSites()).sites.length;
  }

  it.each([
    ["uppercase", "MySite", "lowercase"],
    ["underscore", "my_site", "lowercase letters, digits and hyphens"],
    ["leading hyphen", "-site", "starting and ending"],
    ["64 characters", "a".repeat(64), "at most 63"],
    ["double hyphen", "a--b", "'--'"],
    ["empty", "", "must not be empty"],
  ])("rejects a site name with %s", async (_, name, why) => {
    const before = await siteCount();
    const { status, body } = await send("POST", "/v1/sites", JSON.stringify({ name }));
    expect(status).toBe(400);
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.message).toContain("name");
    expect(body.error.message).toContain(why);
    expect(body.error.hint).toBeTruthy();
    expect(body.error.details?.issues[0]?.path).toBe("name");
    expect(await siteCount()).toBe(before);
  });

  it("rejects an invalid site name in the path", async () => {
    const { status, body } = await send("GET", "/v1/sites/Not_A_Label");
    expect(status).toBe(400);
    expect(body.error.message).toContain("siteName");
  });

  it("a duplicate site name is a 409 conflict with a hint", async () => {
    const before = await siteCount();
    const { status, body } = await send("POST", "/v1/sites", JSON.stringify({ name: "taken" }));
    expect(status).toBe(409);
    expect(body.error).toMatchObject({ code: "conflict", message: expect.stringContaining("taken") });
    expect(body.error.hint).toContain("unique");
    expect(await siteCount()).toBe(before);
  });

  it("site names are unique across teams", async () => {
    const { token } = await owner.createApiKey({ name: "dup", role: "publisher" });
    await expect(clientFor(server.url, token).createSite({ name: "taken" })).rejects.toMatchObject({
      code: "conflict",
    });
  });

  it("rejects unknown fields in a body and in a query", async () => {
    const before = await siteCount();
    const body = await send("POST", "/v1/sites", JSON.stringify({ name: "fresh", color: "blue" }));
    expect(body.status).toBe(400);
    expect(body.body.error.code).toBe("invalid_input");
    expect(body.body.error.message).toContain("unknown field(s): color");
    const query = await send("GET", "/v1/sites?verbose=1");
    expect(query.status).toBe(400);
    expect(query.body.error.message).toContain("verbose");
    expect(await siteCount()).toBe(before);
  });

  it("rejects a body over 1 MiB with 413", async () => {
    const before = await siteCount();
    const huge = JSON.stringify({ name: "big", git: { url: "x".repeat(1024 * 1024 + 10) } });
    const { status, body } = await send("POST", "/v1/sites", huge);
    expect(status).toBe(413);
    expect(body.error.code).toBe("payload_too_large");
    expect(body.error.hint).toBeTruthy();
    expect(await siteCount()).toBe(before);
  });

  it("rejects malformed JSON and non-object bodies", async () => {
    const before = await siteCount();
    const malformed = await send("POST", "/v1/sites", '{"name": "oops"');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: "invalid_input", message: "malformed JSON body" });
    expect(malformed.body.error.hint).toBeTruthy();
    const array = await send("POST", "/v1/sites", '["oops"]');
    expect(array.status).toBe(400);
    expect(array.body.error.message).toContain("object");
    expect(await siteCount()).toBe(before);
  });

  it("rejects bad member and API key input without changing anything", async () => {
    const members = (await owner.listMembers()).members.length;
    const keys = (await owner.listApiKeys()).apiKeys.length;
    expect(
      (await send("POST", "/v1/members", JSON.stringify({ email: "not-an-email", role: "publisher" }))).status,
    ).toBe(400);
    expect((await send("POST", "/v1/members", JSON.stringify({ email: "a@b.co", role: "king" }))).status).toBe(400);
    expect((await send("POST", "/v1/api-keys", JSON.stringify({ name: "", role: "admin" }))).status).toBe(400);
    expect((await send("POST", "/v1/api-keys", JSON.stringify({ name: "k", expiresInDays: 0 }))).status).toBe(400);
    expect((await owner.listMembers()).members.length).toBe(members);
    expect((await owner.listApiKeys()).apiKeys.length).toBe(keys);
  });

  it("an unknown site or key is a 404 and changes nothing", async () => {
    const before = await siteCount();
    expect((await send("DELETE", "/v1/sites/ghost")).body.error.code).toBe("not_found");
    expect((await send("DELETE", "/v1/api-keys/key_ghost")).body.error.code).toBe("not_found");
    expect(await siteCount()).toBe(before);
  });

  it("creates, reads and deletes a site", async () => {
    const site = await owner.createSite({ name: "blog", git: { url: "https://github.com/a/b", branch: "main" } });
    expect(site).toMatchObject({
      name: "blog",
      team: "default",
      status: "empty",
      git: { url: "https://github.com/a/b", branch: "main" },
    });
    const detail = await owner.getSite({ siteName: "blog" });
    expect(detail).toMatchObject({ environments: [], domains: [], latestDeployment: null });
    expect(await owner.deleteSite({ siteName: "blog" })).toEqual({ ok: true });
    await expect(owner.getSite({ siteName: "blog" })).rejects.toMatchObject({ code: "not_found" });
  });
});
