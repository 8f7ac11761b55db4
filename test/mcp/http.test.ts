// POST /mcp on the server: the same tools over streamable HTTP with the official SDK client,
// authenticated by a bearer token and scoped to the caller's team and role.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operations, PLANNED_OPERATIONS } from "../../src/api/binding.js";
import type { HostingClient } from "../../src/api/client.js";
import { buildManifest } from "../../src/api/node/manifest.js";
import { deployDirectory } from "../../src/api/node/upload.js";
import { signInWithDeviceFlow } from "../helpers/device-sign-in.js";
import { fetchSiteUrl } from "../helpers/fetch-edge.js";
import { clientFor, startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let owner: HostingClient;
let otherTeamToken: string;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startTestServer({ devicePollIntervalSeconds: 0 });
  owner = clientFor(server.url, server.ownerToken);
  await owner.createSite({ name: "web" });
  // a second team, "other", whose only member is bob
  const ownerOAuth = (await signInWithDeviceFlow(server.url, server.signInUrl)).access_token;
  await clientFor(server.url, ownerOAuth).createTeam({ slug: "other" });
  const added = await clientFor(server.url, ownerOAuth, "other").addMember({ email: "bob@example.com", role: "owner" });
  otherTeamToken = (await signInWithDeviceFlow(server.url, added.inviteUrl)).access_token;
  await clientFor(server.url, otherTeamToken).createSite({ name: "bobs" });
}, 30_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await server?.close();
});

async function mcpAs(token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "deco-hosting-http-test", version: "1.0.0" });
  clients.push(client);
  await client.connect(transport);
  return client;
}

async function keyWithRole(role: "publisher" | "collaborator"): Promise<string> {
  return (await owner.createApiKey({ name: `${role}-mcp`, role })).token;
}

function errorOf(result: CallToolResult) {
  expect(result.isError).toBe(true);
  return JSON.parse((result.content[0] as { text: string }).text).error as {
    code: string;
    message: string;
    hint?: string;
  };
}

const siteNames = async () => (await owner.listSites()).sites.map((s) => s.name);

describe("/mcp over streamable HTTP", () => {
  it("answers 401 with our error body and WWW-Authenticate when the token is missing or wrong", async () => {
    const initialize = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    });
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: "Bearer dhk_forged" },
      { authorization: "Basic abc" },
    ];
    for (const extra of attempts) {
      const res = await fetch(`${server.url}/mcp`, {
        method: "POST",
        headers: { ...headers, ...extra },
        body: initialize,
      });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(await res.json()).toMatchObject({ error: { code: "unauthorized", hint: expect.any(String) } });
    }
    const get = await fetch(`${server.url}/mcp`, { headers: { authorization: `Bearer ${server.ownerToken}` } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });

  it("refuses a body over 1 MiB with 413 and creates nothing", async () => {
    const before = await siteNames();
    const huge = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "CREATE_SITE", arguments: { name: "too-big", padding: "x".repeat(2 * 1024 * 1024) } },
    });
    const res = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${server.ownerToken}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: huge,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "payload_too_large", hint: expect.any(String) } });
    expect(await siteNames()).toEqual(before);
  });

  it("lists the served part of the binding, without DEPLOY's local directory", async () => {
    const { tools } = await (await mcpAs(server.ownerToken)).listTools();
    const served = Object.values(operations).filter((o) => o.binding && !PLANNED_OPERATIONS.has(o.name as never));
    expect(tools.map((t) => t.name)).toEqual(served.map((o) => o.name));
    const deploy = tools.find((t) => t.name === "DEPLOY");
    expect(Object.keys(deploy?.inputSchema.properties ?? {})).not.toContain("directory");
  });

  it("another team's token sees none of this team's sites, and cannot reach them by name", async () => {
    const bob = await mcpAs(otherTeamToken);
    const listed = await bob.callTool({ name: "LIST_SITES", arguments: {} });
    expect((listed.structuredContent as { sites: Array<{ name: string }> }).sites.map((s) => s.name)).toEqual(["bobs"]);
    const error = errorOf((await bob.callTool({ name: "GET_SITE", arguments: { siteName: "web" } })) as CallToolResult);
    expect(error.code).toBe("not_found");
    const deleted = (await bob.callTool({ name: "DELETE_SITE", arguments: { siteName: "web" } })) as CallToolResult;
    expect(errorOf(deleted).code).toBe("not_found");
    expect(await siteNames()).toContain("web");
  });

  it("a collaborator's key cannot call a destructive tool: isError forbidden, and the site stays", async () => {
    const collaborator = await mcpAs(await keyWithRole("collaborator"));
    const result = (await collaborator.callTool({
      name: "DELETE_SITE",
      arguments: { siteName: "web" },
    })) as CallToolResult;
    const error = errorOf(result);
    expect(error.code).toBe("forbidden");
    expect(error.hint).toContain("admin");
    expect(await siteNames()).toContain("web");
    // reads still work with that key
    const listed = await collaborator.callTool({ name: "LIST_SITES", arguments: {} });
    expect(listed.isError).toBeFalsy();
  });

  it("a publisher's key can create a site", async () => {
    const publisher = await mcpAs(await keyWithRole("publisher"));
    const created = await publisher.callTool({ name: "CREATE_SITE", arguments: { name: "from-mcp" } });
    expect(created.structuredContent).toMatchObject({ name: "from-mcp", team: "default" });
    expect(await siteNames()).toContain("from-mcp");
  });

  it("DEPLOY of an uploaded manifest builds with progress and returns a URL that answers; a directory is refused", async () => {
    // the files' bytes are on the server already (a first upload), so the manifest is enough
    await deployDirectory(owner, { dir: "examples/static-site", siteName: "web" });
    const manifest = await buildManifest("examples/static-site");
    const files = manifest.files.map(({ path, sha256, size, mode }) => ({ path, sha256, size, mode }));
    const client = await mcpAs(server.ownerToken);
    const progress: Progress[] = [];
    const result = (await client.callTool({ name: "DEPLOY", arguments: { siteName: "web", files } }, undefined, {
      onprogress: (p) => progress.push(p),
      timeout: 60_000,
    })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ state: "ready", upload: null });
    expect(progress.some((p) => p.message?.includes("Static output"))).toBe(true);
    const url = (result.structuredContent as { urls: { preview: string } }).urls.preview;
    expect((await fetchSiteUrl(url, "/")).text).toContain("It works.");

    const refused = await client.callTool({
      name: "DEPLOY",
      arguments: { siteName: "web", directory: "examples/static-site" },
    });
    expect(errorOf(refused as CallToolResult)).toMatchObject({
      code: "invalid_input",
      message: expect.stringContaining("directory"),
    });
  }, 60_000);
});
