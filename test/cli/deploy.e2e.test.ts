// Deploying through the built CLI: both examples, their preview and production URLs through
// the edge, zero-byte redeploys, deployments and logs commands, a failed build, and a server
// SIGKILLed during a build that comes back without anything stuck.
import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bin, cli, ensureBuilt, isolatedEnv, json, root } from "../helpers/cli.js";
import { fetchSiteUrl } from "../helpers/fetch-edge.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const examples = path.join(root, "examples");

describe("deploy through the CLI", () => {
  let server: TestServer;
  let env: Record<string, string>;
  let home: string;

  beforeAll(async () => {
    await ensureBuilt();
    server = await startTestServer();
    ({ env, home } = await isolatedEnv());
    Object.assign(env, { DECO_HOSTING_API_URL: server.url, DECO_HOSTING_TOKEN: server.ownerToken });
  });
  afterAll(async () => {
    await server?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("deploys the static example to production, reporting the bytes uploaded; an unchanged redeploy uploads none", async () => {
    expect((await cli(env, ["sites", "create", "static-demo"])).exitCode).toBe(0);
    const first = await cli(env, [
      "deploy",
      path.join(examples, "static-site"),
      "--site",
      "static-demo",
      "--prod",
      "--json",
    ]);
    expect(first.exitCode, String(first.stderr)).toBe(0);
    const out = json(first.stdout);
    expect(out.deployment).toMatchObject({ state: "ready", kind: "static", isProduction: true });
    expect(out.upload.uploadedBytes).toBeGreaterThan(0);
    expect(out.upload.uploadedBytes).toBe(out.upload.totalBytes);
    expect((await fetchSiteUrl(out.urls.production, "/")).text).toContain("It works.");
    expect((await fetchSiteUrl(out.urls.preview, "/about")).text).toContain("About");

    const again = await cli(env, ["deploy", path.join(examples, "static-site"), "--site", "static-demo", "--json"]);
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(json(again.stdout).upload).toMatchObject({ uploadedBytes: 0, uploadedFiles: 0 });
  });

  it("prints only the URL on stdout without --json, with the build log on stderr", async () => {
    const r = await cli(env, ["deploy", path.join(examples, "static-site"), "--site", "static-demo", "--prod"]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout).trim()).toMatch(/^http:\/\/static-demo\.localhost:\d+$/);
    expect(r.stderr).toContain("Deployment is ready");
  });

  it("deploys the Node server example from a linked directory, then lists, inspects and reads its logs", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "dh-node-example-"));
    await cp(path.join(examples, "node-server"), dir, { recursive: true });
    expect((await cli(env, ["link", dir, "--site", "node-demo", "--create", "--json"])).exitCode).toBe(0);
    const r = await cli(env, ["deploy", dir, "--prod", "--json"]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = json(r.stdout);
    expect(out.deployment).toMatchObject({ site: "node-demo", kind: "server", state: "ready" });
    const res = await fetchSiteUrl(out.urls.production, "/hello-from-test");
    expect(JSON.parse(res.text).hello).toMatch(/Node server/);
    expect((await fetchSiteUrl(out.urls.preview, "/")).status).toBe(200);

    const ls = json((await cli(env, ["deployments", "ls", "--site", "node-demo", "--json"])).stdout);
    expect(ls.deployments.map((d: { id: string }) => d.id)).toContain(out.deployment.id);
    const inspect = json((await cli(env, ["deployments", "inspect", out.deployment.id, "--json"])).stdout);
    expect(inspect).toMatchObject({ id: out.deployment.id, isProduction: true });

    let lines: string[] = [];
    for (let i = 0; i < 40 && !lines.includes("GET /hello-from-test"); i++) {
      const logs = json((await cli(env, ["logs", "node-demo", "--json"])).stdout);
      lines = logs.entries.map((e: { message: string }) => e.message);
      if (!lines.includes("GET /hello-from-test")) await new Promise((r) => setTimeout(r, 100));
    }
    expect(lines).toContain("GET /hello-from-test");
    const build = json((await cli(env, ["logs", out.deployment.id, "--build", "--json"])).stdout);
    expect(build.entries.map((e: { message: string }) => e.message)).toContain("Deployment is ready");
    await rm(dir, { recursive: true, force: true });
  });

  it("promotes and rolls back by deployment id", async () => {
    const a = json(
      (await cli(env, ["deploy", path.join(examples, "static-site"), "--site", "static-demo", "--json"])).stdout,
    );
    const promoted = await cli(env, ["deployments", "promote", a.deployment.id, "--json"]);
    expect(promoted.exitCode, String(promoted.stderr)).toBe(0);
    expect(json(promoted.stdout).deployment).toMatchObject({ id: a.deployment.id, isProduction: true });
    const back = await cli(env, ["deployments", "rollback", "--site", "static-demo", "--json"]);
    expect(back.exitCode, String(back.stderr)).toBe(0);
    expect(json(back.stdout).deployment.id).not.toBe(a.deployment.id);

    // open prints the URL when it cannot open a browser (no TTY here)
    const opened = await cli(env, ["open", "static-demo", "--json"]);
    expect(json(opened.stdout).url).toBe(json(back.stdout).productionUrl);
    const preview = await cli(env, ["open", "--deployment", a.deployment.id]);
    expect(String(preview.stdout).trim()).toBe(a.deployment.url);
  });

  it("follows runtime logs as JSON lines", async () => {
    const site = json((await cli(env, ["sites", "inspect", "node-demo", "--json"])).stdout);
    const follower = cli(env, ["logs", "node-demo", "--follow", "--json"], { timeout: 20_000 });
    const seen = new Promise<string>((resolve) => {
      let buffered = "";
      follower.stdout?.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        if (buffered.includes("GET /followed")) resolve(buffered);
      });
    });
    // keep poking until the follower (which connects asynchronously) has seen a line
    const poke = setInterval(() => void fetchSiteUrl(site.productionUrl, "/followed").catch(() => {}), 200);
    try {
      const text = await seen;
      const entry = text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((e) => e.message === "GET /followed");
      expect(entry).toMatchObject({ source: "runtime", stream: "stdout" });
    } finally {
      clearInterval(poke);
      follower.kill("SIGINT");
      await follower;
    }
  });

  it("exits with deployment_failed and a hint when the build fails", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "dh-broken-"));
    await writeFile(path.join(dir, "index.html"), "x");
    await writeFile(path.join(dir, "deco-hosting.json"), JSON.stringify({ build: "echo about to fail; exit 3" }));
    const r = await cli(env, ["deploy", dir, "--site", "static-demo", "--json"]);
    expect(r.exitCode).toBe(1);
    const err = json(r.stdout).error;
    expect(err.code).toBe("deployment_failed");
    expect(err.message).toContain("exited with code 3");
    expect(err.hint).toMatch(/logs .* --build/);
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses bad input with a clear error and changes nothing", async () => {
    const before = json((await cli(env, ["deployments", "ls", "--site", "static-demo", "--json"])).stdout).deployments
      .length;
    const noSite = await cli(env, ["deploy", path.join(examples, "static-site"), "--json"]);
    expect(noSite.exitCode).toBe(2);
    expect(json(noSite.stdout).error.hint).toContain("--site");
    const ghost = await cli(env, ["deploy", path.join(examples, "static-site"), "--site", "ghost", "--json"]);
    expect(ghost.exitCode).toBe(4);
    const missingDir = await cli(env, ["deploy", "/nonexistent/dir", "--site", "static-demo", "--json"]);
    expect(missingDir.exitCode).toBe(2);
    expect(json(missingDir.stdout).error.message).toContain("no such directory");
    const unknown = await cli(env, ["deployments", "inspect", "nosuchdeploy", "--json"]);
    expect(unknown.exitCode).toBe(4);
    const after = json((await cli(env, ["deployments", "ls", "--site", "static-demo", "--json"])).stdout).deployments
      .length;
    expect(after).toBe(before);
  });
});

describe("a server killed during a build", () => {
  let home: string;
  let env: Record<string, string>;
  let dataDir: string;
  let child: ChildProcess | null = null;

  async function startServerProcess(): Promise<{ url: string; edgePort: number; token: string }> {
    const stateFile = path.join(dataDir, "server.json");
    await rm(stateFile, { force: true });
    child = spawn(
      process.execPath,
      [
        bin,
        "server",
        "--data-dir",
        dataDir,
        "--port",
        "0",
        "--edge-port",
        "0",
        "--state-file",
        stateFile,
        "--local-token-file",
        path.join(dataDir, "token"),
      ],
      { env, stdio: ["ignore", "ignore", "ignore"] },
    );
    for (let i = 0; i < 200; i++) {
      const text = await readFile(stateFile, "utf8").catch(() => null);
      if (text) {
        const state = JSON.parse(text) as { url: string; edgePort: number };
        const token = (await readFile(path.join(dataDir, "token"), "utf8")).trim();
        return { url: state.url, edgePort: state.edgePort, token };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("server did not start");
  }

  beforeAll(async () => {
    await ensureBuilt();
    ({ env, home } = await isolatedEnv());
    dataDir = path.join(home, "server-data");
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child?.once("exit", r));
    }
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("fails the interrupted deployment with a reason and keeps serving production after a restart", async () => {
    let s = await startServerProcess();
    const as = { ...env, DECO_HOSTING_API_URL: s.url, DECO_HOSTING_TOKEN: s.token };
    await cli(as, ["sites", "create", "survivor"]);
    const prod = json(
      (await cli(as, ["deploy", path.join(examples, "node-server"), "--site", "survivor", "--prod", "--json"])).stdout,
    );
    expect(prod.deployment.state).toBe("ready");

    const slow = await mkdtemp(path.join(tmpdir(), "dh-slow-"));
    await writeFile(path.join(slow, "index.html"), "slow");
    await writeFile(path.join(slow, "deco-hosting.json"), JSON.stringify({ build: "echo started; sleep 60" }));
    const pending = json((await cli(as, ["deploy", slow, "--site", "survivor", "--no-wait", "--json"])).stdout);
    for (let i = 0; i < 100; i++) {
      const d = json((await cli(as, ["deployments", "inspect", pending.deployment.id, "--json"])).stdout);
      if (d.state === "building") break;
      await new Promise((r) => setTimeout(r, 100));
    }

    child?.kill("SIGKILL");
    await new Promise((r) => child?.once("exit", r));

    s = await startServerProcess();
    const again = { ...env, DECO_HOSTING_API_URL: s.url, DECO_HOSTING_TOKEN: s.token };
    const d = json((await cli(again, ["deployments", "inspect", pending.deployment.id, "--json"])).stdout);
    expect(d.state).toBe("error");
    expect(d.reason).toMatch(/interrupted/);

    const site = json((await cli(again, ["sites", "inspect", "survivor", "--json"])).stdout);
    expect(site.productionDeploymentId).toBe(prod.deployment.id);
    const res = await fetchSiteUrl(site.productionUrl, "/");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).hello).toMatch(/Node server/);
    await rm(slow, { recursive: true, force: true });
  });
});
