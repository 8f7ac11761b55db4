// `deco-hosting mcp` end to end: the official MCP SDK client spawns the built CLI over stdio
// against a real server, lists the tools, deploys an example directory and moves production.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult, Progress, Tool } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { operations, PLANNED_OPERATIONS } from "../../src/api/binding.js";
import { bin, cli, ensureBuilt, isolatedEnv, root } from "../helpers/cli.js";
import { fetchSiteUrl } from "../helpers/fetch-edge.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let env: Record<string, string>;
let home: string;
const clients: Client[] = [];

beforeAll(async () => {
  await ensureBuilt();
  server = await startTestServer();
  ({ env, home } = await isolatedEnv());
  Object.assign(env, { DECO_HOSTING_API_URL: server.url, DECO_HOSTING_TOKEN: server.ownerToken });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await server?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

async function connect(args: string[] = [], extraEnv: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, "mcp", ...args],
    env: { ...env, ...extraEnv },
    cwd: root,
    stderr: "pipe",
  });
  const client = new Client({ name: "deco-hosting-test", version: "1.0.0" });
  clients.push(client);
  await client.connect(transport);
  return client;
}

/** The `{ error }` document of an isError result (its text copy). */
function errorOf(result: CallToolResult) {
  expect(result.isError).toBe(true);
  const text = result.content.find((c) => c.type === "text");
  return JSON.parse((text as { text: string }).text).error as { code: string; message: string; hint?: string };
}

const schema = (s: z.ZodType, io: "input" | "output") => z.toJSONSchema(s, { io, unrepresentable: "any" });
const served = Object.values(operations).filter((o) => o.binding && !PLANNED_OPERATIONS.has(o.name as never));

describe("deco-hosting mcp (stdio)", () => {
  let client: Client;
  let tools: Tool[];
  beforeAll(async () => {
    client = await connect();
    ({ tools } = await client.listTools());
  }, 30_000);

  it("tools/list is the served part of the binding: names, schemas and annotations", () => {
    expect(tools.map((t) => t.name)).toEqual(served.map((o) => o.name));
    expect(served.length).toBeGreaterThan(5);
    for (const op of served) {
      const tool = tools.find((t) => t.name === op.name) as Tool;
      expect(tool.annotations).toMatchObject(op.annotations);
      expect(tool.description).toContain(op.role);
      if (op.name === "DEPLOY") continue;
      expect(tool.inputSchema).toEqual(schema(op.input, "input"));
      expect(tool.outputSchema).toEqual(schema(op.output, "output"));
    }
  });

  it("DEPLOY is the binding's, plus a local directory in, and the upload and URLs out", () => {
    const deploy = tools.find((t) => t.name === "DEPLOY") as Tool;
    const { directory, ...inputProps } = deploy.inputSchema.properties as Record<string, unknown>;
    expect(directory).toMatchObject({ type: "string" });
    expect({ ...deploy.inputSchema, properties: inputProps }).toEqual(schema(operations.DEPLOY.input, "input"));
    const out = deploy.outputSchema as { properties: Record<string, unknown>; required: string[] };
    const { upload, urls, ...outputProps } = out.properties;
    expect(upload).toBeDefined();
    expect(urls).toBeDefined();
    expect({
      ...out,
      properties: outputProps,
      required: out.required.filter((k) => k !== "upload" && k !== "urls"),
    }).toEqual(schema(operations.DEPLOY.output, "output"));
  });

  let first: { id: string; url: string };
  it("CREATE_SITE, then DEPLOY of a directory reports progress and returns URLs that answer", async () => {
    const site = await client.callTool({ name: "CREATE_SITE", arguments: { name: "web" } });
    expect(site.isError).toBeFalsy();
    expect(site.structuredContent).toMatchObject({ name: "web" });
    expect(JSON.parse((site.content as Array<{ text: string }>)[0]?.text ?? "")).toEqual(site.structuredContent);

    const progress: Progress[] = [];
    const result = (await client.callTool(
      { name: "DEPLOY", arguments: { siteName: "web", directory: "examples/static-site" } },
      undefined,
      { onprogress: (p) => progress.push(p), timeout: 60_000 },
    )) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const d = result.structuredContent as {
      id: string;
      state: string;
      url: string;
      upload: { files: number; uploadedFiles: number };
      urls: { preview: string; production: string | null };
    };
    expect(d).toMatchObject({ state: "ready", upload: { files: 3, uploadedFiles: 3 }, urls: { production: null } });
    expect(d.urls.preview).toBe(d.url);
    const messages = progress.map((p) => p.message);
    expect(messages).toContain("Uploaded 3/3 files");
    expect(messages.some((m) => m?.includes("Static output"))).toBe(true); // a build log line
    expect(progress.map((p) => p.progress)).toEqual(progress.map((_, i) => i + 1));

    const home = await fetchSiteUrl(d.urls.preview, "/");
    expect(home.status).toBe(200);
    expect(home.text).toContain("It works.");
    expect((await fetchSiteUrl(d.urls.preview, "/about")).text).toContain("About");
    first = d;
  }, 60_000);

  it("GET_BUILD_LOGS and GET_DEPLOYMENT_LOGS page a deployment's logs", async () => {
    const build = await client.callTool({ name: "GET_BUILD_LOGS", arguments: { deploymentId: first.id } });
    const entries = (build.structuredContent as { entries: Array<{ message: string; source: string }> }).entries;
    expect(entries.some((e) => e.message.includes("Static output"))).toBe(true);
    const runtime = await client.callTool({ name: "GET_DEPLOYMENT_LOGS", arguments: { deploymentId: first.id } });
    expect(runtime.isError).toBeFalsy();
    expect(runtime.structuredContent).toMatchObject({ entries: expect.any(Array) });
  });

  it("PROMOTE_DEPLOYMENT serves a deployment in production; ROLLBACK_DEPLOYMENT returns to the previous one", async () => {
    const promoted = await client.callTool({
      name: "PROMOTE_DEPLOYMENT",
      arguments: { siteName: "web", deploymentId: first.id },
    });
    expect(promoted.structuredContent).toMatchObject({ id: first.id, isProduction: true });
    const site = (await client.callTool({ name: "GET_SITE", arguments: { siteName: "web" } })).structuredContent as {
      productionUrl: string;
    };
    expect((await fetchSiteUrl(site.productionUrl, "/")).text).toContain("It works.");

    const dir = await mkdtemp(join(tmpdir(), "deco-hosting-mcp-site-"));
    try {
      await writeFile(join(dir, "index.html"), "<h1>second</h1>\n");
      const second = await client.callTool(
        { name: "DEPLOY", arguments: { siteName: "web", directory: dir, production: true } },
        undefined,
        { timeout: 60_000 },
      );
      expect(second.structuredContent).toMatchObject({
        state: "ready",
        isProduction: true,
        urls: { production: site.productionUrl },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect((await fetchSiteUrl(site.productionUrl, "/")).text).toContain("second");

    const rolledBack = await client.callTool({ name: "ROLLBACK_DEPLOYMENT", arguments: { siteName: "web" } });
    expect(rolledBack.structuredContent).toMatchObject({ id: first.id, isProduction: true });
    expect((await fetchSiteUrl(site.productionUrl, "/")).text).toContain("It works.");
  }, 60_000);

  it("a bad argument is an isError result with the code and a hint, and changes nothing", async () => {
    const error = errorOf(
      (await client.callTool({ name: "CREATE_SITE", arguments: { name: "Bad_Name" } })) as CallToolResult,
    );
    expect(error.code).toBe("invalid_input");
    expect(error.message).toContain("name");
    expect(error.hint).toBeTruthy();
    const { sites } = (await client.callTool({ name: "LIST_SITES", arguments: {} })).structuredContent as {
      sites: Array<{ name: string }>;
    };
    expect(sites.map((s) => s.name)).toEqual(["web"]);

    const missing = errorOf(
      (await client.callTool({ name: "GET_SITE", arguments: { siteName: "nope" } })) as CallToolResult,
    );
    expect(missing.code).toBe("not_found");
    const both = errorOf(
      (await client.callTool({
        name: "DEPLOY",
        arguments: { siteName: "web", directory: "examples/static-site", git: { url: "https://example.com/x.git" } },
      })) as CallToolResult,
    );
    expect(both).toMatchObject({ code: "invalid_input", hint: expect.stringContaining("directory") });
  });

  it("--read-only lists only tools that change nothing, and --site fills siteName", async () => {
    const readOnly = await connect(["--read-only", "--site", "web"]);
    const { tools: listed } = await readOnly.listTools();
    expect(listed.map((t) => t.name)).toEqual(served.filter((o) => o.annotations.readOnlyHint).map((o) => o.name));
    for (const t of listed) expect(t.annotations?.readOnlyHint).toBe(true);
    const getSite = listed.find((t) => t.name === "GET_SITE") as Tool;
    expect(getSite.inputSchema.required ?? []).not.toContain("siteName");
    expect(getSite.description).toContain('siteName defaults to "web"');
    expect((await readOnly.callTool({ name: "GET_SITE", arguments: {} })).structuredContent).toMatchObject({
      name: "web",
    });
    await expect(readOnly.callTool({ name: "DELETE_SITE", arguments: { siteName: "web" } })).rejects.toThrow(
      /unknown tool DELETE_SITE/,
    );
  }, 30_000);

  it("--team is the team the client acts on", async () => {
    const other = await connect(["--team", "no-such-team"]);
    const error = errorOf((await other.callTool({ name: "LIST_SITES", arguments: {} })) as CallToolResult);
    expect(error.code).toBe("forbidden"); // an owner API key of `default` cannot act on another team
  }, 30_000);
});

describe("stdout carries nothing but protocol", () => {
  /** Spawns `deco-hosting mcp`, sends initialize and tools/list, and returns every stdout line. */
  async function rawSession(
    processEnv: Record<string, string>,
  ): Promise<{ lines: string[]; stderr: string; exitedOnEof: boolean }> {
    const child: ChildProcess = spawn(process.execPath, [bin, "mcp"], {
      env: processEnv,
      cwd: root,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
    child.stderr?.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    let exitedOnEof = false;
    try {
      const send = (m: object) => child.stdin?.write(`${JSON.stringify(m)}\n`);
      send({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
      });
      send({ jsonrpc: "2.0", method: "notifications/initialized" });
      send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
      const deadline = Date.now() + 30_000;
      while (!stdout.includes('"id":2') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      child.stdin?.end(); // the server exits when its client closes stdin
      exitedOnEof = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 5_000)),
      ]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    }
    return { lines: stdout.split("\n").filter((l) => l !== ""), stderr, exitedOnEof };
  }

  function expectOnlyProtocol(lines: string[]): void {
    expect(lines.length).toBe(2);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: "2.0" });
    expect(JSON.parse(lines[1] as string).result.tools.length).toBe(served.length);
  }

  it("against a configured server, and it exits when its client closes stdin", async () => {
    const { lines, exitedOnEof } = await rawSession(env);
    expectOnlyProtocol(lines);
    expect(exitedOnEof).toBe(true);
  }, 40_000);

  it("when it starts the local server first (its note goes to stderr)", async () => {
    const fresh = await isolatedEnv();
    try {
      const { lines, stderr, exitedOnEof } = await rawSession(fresh.env);
      expectOnlyProtocol(lines);
      expect(exitedOnEof).toBe(true);
      expect(stderr).toContain("Starting the local deco-hosting server");
    } finally {
      await cli(fresh.env, ["server", "stop"]);
      const state = await readFile(join(fresh.home, "data", "deco-hosting", "server.json"), "utf8").catch(() => "");
      if (state) {
        try {
          process.kill((JSON.parse(state) as { pid: number }).pid, "SIGKILL");
        } catch {}
      }
      await rm(fresh.home, { recursive: true, force: true });
    }
  }, 60_000);
});
