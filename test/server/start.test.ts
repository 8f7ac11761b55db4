import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Operation, operations } from "../../src/api/binding.js";
import { startServer } from "../../src/server/index.js";
import { clientFor, startTestServer, type TestServer } from "../helpers/server.js";

describe("server start", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "deco-hosting-start-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("locks its data dir: a second server on it fails, saying which pid has it, and changes nothing of the first", async () => {
    const dataDir = join(dir, "locked");
    const stateFile = join(dir, "locked-state.json");
    const first = await startServer({ dataDir, port: 0, stateFile, log: () => {} });
    try {
      const stateBefore = await readFile(stateFile, "utf8");
      const second = await startServer({ dataDir, port: 0, stateFile, log: () => {} }).catch((e) => e);
      expect(second).toMatchObject({
        code: "conflict",
        message: expect.stringContaining(`in use by pid ${process.pid}`),
        hint: expect.stringContaining("--data-dir"),
      });
      expect(await readFile(stateFile, "utf8")).toBe(stateBefore);
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    } finally {
      await first.close();
    }
    // A lock whose server is gone (here: a pid that is not running) is taken over.
    await writeFile(join(dataDir, "server.pid"), "999999 1");
    const again = await startServer({ dataDir, port: 0, log: () => {} });
    await again.close();
    expect(existsSync(join(dataDir, "server.pid"))).toBe(false);
  });

  it("keeps its data dir 0700 and the files it writes there 0600, even in a directory that was open", async () => {
    const dataDir = join(dir, "open-data");
    await mkdir(dataDir, { mode: 0o777 });
    await chmod(dataDir, 0o777);
    const server = await startServer({ dataDir, port: 0, localTokenFile: join(dataDir, "local-token"), log: () => {} });
    try {
      const client = clientFor(server.url, (await readFile(join(dataDir, "local-token"), "utf8")).trim());
      const body = Buffer.from("a blob");
      const sha256 = createHash("sha256").update(body).digest("hex");
      await client.putBlob(sha256, body, body.length);
      const mode = async (p: string) => (await stat(join(dataDir, p))).mode & 0o777;
      expect(await mode(".")).toBe(0o700);
      for (const file of ["hosting.db", "hosting.db-wal", "hosting.db-shm", "local-token"]) {
        expect([file, await mode(file)]).toEqual([file, 0o600]);
      }
      const blobs = (await readdir(join(dataDir, "blobs"), { recursive: true, withFileTypes: true })).filter((e) =>
        e.isFile(),
      );
      expect(blobs.length).toBe(1);
      for (const b of blobs) expect((await stat(join(b.parentPath, b.name))).mode & 0o777).toBe(0o600);
    } finally {
      await server.close();
    }
  });

  it("creates the owner, a one-time link, a 0600 local token and a state file on first start only", async () => {
    const dataDir = join(dir, "data");
    const localTokenFile = join(dir, "token");
    const stateFile = join(dir, "state.json");
    const lines: string[] = [];
    const first = await startServer({
      dataDir,
      port: 0,
      localTokenFile,
      stateFile,
      ownerEmail: "Ana@Example.com",
      log: (l) => lines.push(l),
    });
    try {
      expect(existsSync(join(dataDir, "hosting.db"))).toBe(true);
      expect(first.firstRunSignInUrl).toMatch(new RegExp(`^${first.url}/signin/dhl_[A-Za-z0-9_-]{43}$`));
      expect(lines.join("\n")).toContain(first.firstRunSignInUrl);
      expect((await stat(localTokenFile)).mode & 0o777).toBe(0o600);
      const state = JSON.parse(await readFile(stateFile, "utf8"));
      expect(state).toMatchObject({ pid: process.pid, url: first.url, port: first.port, dataDir });
      expect((await stat(stateFile)).mode & 0o777).toBe(0o600);

      const token = (await readFile(localTokenFile, "utf8")).trim();
      expect(token).toMatch(/^dhk_/);
      const me = await clientFor(first.url, token).whoami();
      expect(me).toMatchObject({
        user: { email: "ana@example.com" },
        team: { slug: "default", role: "owner" },
        via: "api_key",
      });
    } finally {
      await first.close();
    }
    expect(existsSync(stateFile)).toBe(false);

    const tokenBefore = await readFile(localTokenFile, "utf8");
    const second = await startServer({ dataDir, port: 0, localTokenFile, log: () => {} });
    try {
      expect(second.firstRunSignInUrl).toBeNull();
      expect(await readFile(localTokenFile, "utf8")).toBe(tokenBefore);
      const teams = await clientFor(second.url, tokenBefore.trim()).listTeams();
      expect(teams.teams.map((t) => t.slug)).toEqual(["default"]);
    } finally {
      await second.close();
    }
  });

  it("fails to start on a port in use and leaves nothing running", async () => {
    const running = await startServer({ dataDir: join(dir, "a"), port: 0, log: () => {} });
    try {
      await expect(startServer({ dataDir: join(dir, "b"), port: running.port, log: () => {} })).rejects.toThrow(
        /EADDRINUSE/,
      );
    } finally {
      await running.close();
    }
  });
});

interface OpenApiOperation {
  operationId: string;
  requestBody?: { content: Record<string, { schema: { properties?: object } }> };
}

describe("public endpoints", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("GET /healthz answers without auth", async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, version: expect.any(String) });
  });

  it("GET /openapi.json lists every operation's path and method", async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, OpenApiOperation>> };
    expect(doc.openapi).toBe("3.1.0");
    for (const op of Object.values(operations) as Operation[]) {
      expect(doc.paths[op.http.path]?.[op.http.method.toLowerCase()]?.operationId, op.name).toBe(op.name);
    }
    const createSiteBody = doc.paths["/v1/sites"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(Object.keys(createSiteBody?.properties ?? {})).toEqual(["name", "git"]);
  });

  it("unknown routes answer 404 not_found in the error shape", async () => {
    const res = await fetch(`${server.url}/v1/nope`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; hint: string } };
    expect(body.error.code).toBe("not_found");
    expect(body.error.hint).toContain("/openapi.json");
  });

  it("operations not built yet answer 501 after authentication", async () => {
    const anonymous = await fetch(`${server.url}/v1/sites/web/environments`);
    expect(anonymous.status).toBe(401);
    const res = await fetch(`${server.url}/v1/sites/web/environments`, {
      headers: { authorization: `Bearer ${server.ownerToken}` },
    });
    expect(res.status).toBe(501);
    const body = (await res.json()) as { error: { code: string; message: string; hint: string } };
    expect(body.error).toMatchObject({
      code: "not_implemented",
      message: expect.stringContaining("LIST_ENVIRONMENTS"),
    });
    expect(body.error.hint).toBeTruthy();
  });
});

describe("the contract's planned operations", () => {
  it("are exactly the operations this server has no handler for", async () => {
    const { handlers } = await import("../../src/server/handlers/index.js");
    const { operations, PLANNED_OPERATIONS } = await import("../../src/api/binding.js");
    const unhandled = Object.values(operations)
      .filter((op) => !op.binaryBody && !(op.name in handlers))
      .map((op) => op.name)
      .sort();
    expect(unhandled).toEqual([...PLANNED_OPERATIONS].sort());
  });
});
