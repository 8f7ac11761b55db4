// Tenant isolation, tried as an attacker would: a collaborator deploys (with the built CLI) a
// site whose build and app try to read the owner token, hosting.db, another site's code and
// the server's environment, to signal the server, to write into the data dir, to leave a
// process behind, to reach the API on loopback and to take another site's visitors. Every
// attempt must fail, and no secret may show in any log or response. The same attacker on a
// --no-sandbox server does read the token, so the attempts are real.
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostingClient } from "../../../../src/api/client.js";
import { deployDirectory } from "../../../../src/api/node/upload.js";
import { SANDBOX_APP_PORT } from "../../../../src/server/platform/local/sandboxed-apps.js";
import { cli, ensureBuilt, isolatedEnv, json, root, serverProcess } from "../../../helpers/cli.js";
import { waitFinished } from "../../../helpers/deployments.js";
import { fetchSiteUrl } from "../../../helpers/fetch-edge.js";
import { processesOfDeployment, processesRunning } from "../../../helpers/processes.js";
import { clientFor, startTestServer, type TestServer } from "../../../helpers/server.js";

const SECRET_NAME = "DH_TEST_SERVER_SECRET";
const serverSecret = randomBytes(16).toString("hex");
const victimSecret = `victim-secret-${randomBytes(8).toString("hex")}`;
const marker = `dh-escape-${randomBytes(6).toString("hex")}`;
const fixture = path.join(root, "test", "fixtures", "attacker");

interface Attempt {
  name: string;
  ok: boolean;
  detail?: string;
}

let work: string;
beforeAll(async () => {
  await ensureBuilt();
  process.env[SECRET_NAME] = serverSecret; // the server's own environment holds a secret
  work = await mkdtemp(path.join(tmpdir(), "dh-isolation-"));
});
afterAll(async () => {
  delete process.env[SECRET_NAME];
  for (const pid of await processesRunning(marker)) process.kill(pid, "SIGKILL");
  await rm(work, { recursive: true, force: true });
});

/** The attacker's site, told where everything it wants is. */
async function attackerDir(server: TestServer, victimDeploymentId: string, name: string): Promise<string> {
  const dir = path.join(work, name);
  await cp(fixture, dir, { recursive: true });
  const targets = {
    tokenFile: path.join(server.dataDir, "local-token"),
    dbFile: path.join(server.dataDir, "hosting.db"),
    victimFile: path.join(server.dataDir, "apps", victimDeploymentId, "server.js"),
    dataDir: server.dataDir,
    serverPid: process.pid,
    serverSecretName: SECRET_NAME,
    apiPort: Number(new URL(server.url).port),
    victimPort: SANDBOX_APP_PORT,
    marker,
    syscalls:
      process.arch === "arm64" ? { ptrace: 117, keyctl: 219, unshare: 97 } : { ptrace: 101, keyctl: 250, unshare: 272 },
  };
  await writeFile(path.join(dir, "targets.json"), JSON.stringify(targets));
  return dir;
}

async function deployVictim(owner: HostingClient): Promise<string> {
  const dir = path.join(work, "victim");
  await cp(path.join(root, "examples", "node-server"), dir, { recursive: true });
  const code = `// ${victimSecret}\nconst server = await import("./app.js");\nexport default server;\n`;
  await cp(path.join(dir, "server.js"), path.join(dir, "app.js"));
  await writeFile(path.join(dir, "server.js"), code);
  await owner.createSite({ name: "victim" });
  const { deployment } = await deployDirectory(owner, { dir, siteName: "victim", production: true });
  const d = await waitFinished(owner, deployment.id);
  expect(d).toMatchObject({ state: "ready", sandboxed: true });
  return d.id;
}

function attempts(lines: string[]): Attempt[] {
  return lines.filter((l) => l.startsWith("ATTACK {")).map((l) => JSON.parse(l.slice("ATTACK ".length)) as Attempt);
}

describe("a collaborator's build and app, sandboxed", () => {
  let server: TestServer;
  let owner: HostingClient;
  beforeAll(async () => {
    server = await startTestServer();
    owner = clientFor(server.url, server.ownerToken);
    expect(server.isolation).toMatchObject({
      sandbox: "bubblewrap",
      unavailable: null,
      noNewPrivs: true,
      seccomp: process.arch === "x64" || process.arch === "arm64",
    });
  });
  afterAll(() => server?.close());

  it("reach nothing of the server, its data or another site, and leave nothing behind", async () => {
    const victimId = await deployVictim(owner);
    const victim = await owner.getSite({ siteName: "victim" });
    await owner.createSite({ name: "attacker" });
    const { token } = await owner.createApiKey({ name: "mallory", role: "collaborator" });
    const dir = await attackerDir(server, victimId, "attacker");

    const { env } = await isolatedEnv();
    Object.assign(env, { DECO_HOSTING_TOKEN: token, DECO_HOSTING_API_URL: server.url });
    const deploy = await cli(env, ["deploy", dir, "--site", "attacker", "--json"], { timeout: 60_000 });
    expect(deploy.exitCode, String(deploy.stderr)).toBe(0);
    const deployment = json(deploy.stdout).deployment as { id: string; url: string };
    expect(await owner.getDeployment({ deploymentId: deployment.id })).toMatchObject({
      state: "ready",
      sandboxed: true,
    });

    const buildLines = (await owner.getBuildLogs({ deploymentId: deployment.id })).entries.map((e) => e.message);
    expect(buildLines).toContain("ATTACK-DONE build");
    const fromBuild = attempts(buildLines);
    expect(fromBuild.length).toBeGreaterThanOrEqual(13);
    expect(fromBuild.filter((a) => a.ok)).toEqual([]);
    // With slirp4netns the build has a network of its own (tap0) that reaches no local port.
    expect(fromBuild.map((a) => a.name)).toContain("reach the API on a loopback port from the build");
    expect(buildLines.find((l) => l.startsWith("NET "))).toMatch(/tap0/);
    // Refused by the egress filter in its namespace (a timeout would mean no filter).
    expect(fromBuild.find((a) => a.name === "reach a private address from the build")).toMatchObject({
      ok: false,
      detail: "ECONNREFUSED",
    });
    // The build's setsid process ended with the build's sandbox.
    expect(await processesRunning(`${marker}-build`)).toEqual([]);

    let runtimeLines: string[] = [];
    for (let i = 0; i < 100 && !runtimeLines.includes("ATTACK-DONE serve"); i++) {
      await new Promise((r) => setTimeout(r, 50));
      const logs = await owner.getDeploymentLogs({ deploymentId: deployment.id });
      runtimeLines = logs.entries.filter((e) => e.source === "runtime").map((e) => e.message);
    }
    expect(runtimeLines).toContain("ATTACK-DONE serve");
    const fromApp = attempts(runtimeLines);
    expect(fromApp.map((a) => a.name)).toContain("reach the API on a loopback port from the serve");
    expect(fromApp.filter((a) => a.ok)).toEqual([]);
    const served = await fetchSiteUrl(deployment.url, "/");
    expect((JSON.parse(served.text) as Attempt[]).filter((a) => a.ok)).toEqual([]);

    // The victim keeps answering with its own content, through a crash and its restart.
    const victimUrl = victim.productionUrl as string;
    expect(JSON.parse((await fetchSiteUrl(victimUrl, "/")).text)).toMatchObject({ hello: expect.any(String) });
    await fetchSiteUrl(victimUrl, "/crash");
    const answers: string[] = [];
    for (let i = 0; i < 60; i++) {
      const r = await fetchSiteUrl(victimUrl, "/").catch(() => null);
      if (r && r.status < 500) answers.push(r.text);
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(answers.length).toBeGreaterThan(0);
    for (const a of answers) expect(JSON.parse(a)).toMatchObject({ hello: expect.any(String) });

    // No secret anywhere the attacker can read: logs, responses.
    const everything = [
      ...buildLines,
      ...(await owner.getDeploymentLogs({ deploymentId: deployment.id })).entries.map((e) => e.message),
      served.text,
      String(deploy.stdout),
      String(deploy.stderr),
    ].join("\n");
    for (const secret of [server.ownerToken, serverSecret, victimSecret, "SQLite format"]) {
      expect(everything).not.toContain(secret);
    }
    expect((await readdir(server.dataDir)).filter((f) => f.startsWith("pwned"))).toEqual([]);

    // Deleting the site ends every process of its app, setsid ones included.
    expect((await processesRunning(`${marker}-serve`)).length).toBe(1);
    await owner.deleteSite({ siteName: "attacker" });
    for (let i = 0; i < 100 && (await processesRunning(marker)).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await processesRunning(marker)).toEqual([]);
  });
});

describe("a build whose output is made to hang or flood the server", () => {
  it("has its FIFOs and links to them skipped, and an ignore file linked to /dev/zero refused, unread", async () => {
    const server = await startTestServer();
    try {
      const owner = clientFor(server.url, server.ownerToken);
      await owner.createSite({ name: "fifo" });
      const dir = path.join(work, "fifo");
      await cp(path.join(root, "examples", "static-site"), dir, { recursive: true });
      const build = [
        "mkdir -p dist",
        "echo '<h1>built</h1>' > dist/index.html",
        "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18; do mkfifo dist/p$i; ln -s p$i dist/l$i; done",
      ].join(" && ");
      await writeFile(path.join(dir, "deco-hosting.json"), JSON.stringify({ build, output: "dist" }));
      const { deployment } = await deployDirectory(owner, { dir, siteName: "fifo" });
      const d = await waitFinished(owner, deployment.id, 20_000);
      expect(d).toMatchObject({ state: "ready", reason: null });
      const index = await fetchSiteUrl(d.url as string, "/");
      expect(index.text).toContain("built");
      for (const p of ["/p1", "/l1"]) expect((await fetchSiteUrl(d.url as string, p)).status).toBe(404);

      // 100 MB of output without a newline: cut into bounded lines, most dropped past the
      // deployment's output rate (and said so), the server answering all along.
      await writeFile(
        path.join(dir, "deco-hosting.json"),
        JSON.stringify({
          build: "mkdir -p dist && echo ok > dist/index.html && head -c 100000000 /dev/zero | tr '\\0' A; echo",
          output: "dist",
        }),
      );
      const flood = await deployDirectory(owner, { dir, siteName: "fifo" });
      while (!["ready", "error"].includes((await owner.getDeployment({ deploymentId: flood.deployment.id })).state)) {
        expect((await owner.listSites()).sites.length).toBeGreaterThan(0);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await owner.getDeployment({ deploymentId: flood.deployment.id })).state).toBe("ready");
      const floodLog = (await owner.getBuildLogs({ deploymentId: flood.deployment.id, limit: 1000 })).entries;
      expect(floodLog.every((e) => e.message.length <= 16 * 1024 + 10)).toBe(true);
      expect(floodLog.some((e) => /lines \(\d+ bytes\) of output were dropped/.test(e.message))).toBe(true);

      // An ignore file linked to /dev/zero is never read (it would never end): the link is refused.
      await writeFile(
        path.join(dir, "deco-hosting.json"),
        JSON.stringify({
          build: "mkdir -p dist && echo hi > dist/index.html && ln -s /dev/zero dist/.gitignore",
          output: "dist",
        }),
      );
      const zero = await waitFinished(owner, (await deployDirectory(owner, { dir, siteName: "fifo" })).deployment.id);
      expect(zero).toMatchObject({ state: "error", reason: ".gitignore is a link to outside the deployed directory" });
    } finally {
      await server.close();
    }
  });
});

describe("the same attacker on a --no-sandbox server", () => {
  it("does read the owner token: the attempts above are real", async () => {
    const server = await startTestServer({ noSandbox: true });
    try {
      const owner = clientFor(server.url, server.ownerToken);
      const victimId = await (async () => {
        const dir = path.join(work, "plain-victim");
        await cp(path.join(root, "examples", "static-site"), dir, { recursive: true });
        await owner.createSite({ name: "plain-victim" });
        return (await deployDirectory(owner, { dir, siteName: "plain-victim" })).deployment.id;
      })();
      await owner.createSite({ name: "plain-attacker" });
      const dir = await attackerDir(server, victimId, "plain-attacker");
      await writeFile(path.join(dir, "deco-hosting.json"), JSON.stringify({ build: "node attack.mjs build" }));
      const { deployment } = await deployDirectory(owner, { dir, siteName: "plain-attacker" });
      const d = await waitFinished(owner, deployment.id);
      expect(d).toMatchObject({ sandboxed: false });
      const lines = (await owner.getBuildLogs({ deploymentId: d.id })).entries.map((e) => e.message);
      const token = attempts(lines).find((a) => a.name === "read the owner token");
      expect(token).toMatchObject({ ok: true, detail: server.ownerToken });
    } finally {
      await server.close();
      for (const pid of await processesRunning(marker)) process.kill(pid, "SIGKILL");
    }
  });
});

describe("a server on a machine without bubblewrap", () => {
  it("serves static uploads but runs no build or app, saying how to install it or pass --no-sandbox", async () => {
    const path0 = process.env.PATH;
    process.env.PATH = "/nonexistent"; // no bwrap to be found while the server starts
    let server: TestServer;
    try {
      server = await startTestServer();
    } finally {
      process.env.PATH = path0;
    }
    try {
      expect(server.isolation).toMatchObject({ sandbox: "none", bwrap: null });
      expect(server.isolation.unavailable).toMatch(/apt-get install bubblewrap.*--no-sandbox/);
      const owner = clientFor(server.url, server.ownerToken);
      await owner.createSite({ name: "plain" });
      const asIs = await deployDirectory(owner, { dir: path.join(root, "examples", "static-site"), siteName: "plain" });
      expect(await waitFinished(owner, asIs.deployment.id)).toMatchObject({ state: "ready", sandboxed: null });
      const app = await deployDirectory(owner, { dir: path.join(root, "examples", "node-server"), siteName: "plain" });
      const failed = await waitFinished(owner, app.deployment.id);
      expect(failed).toMatchObject({ state: "error", sandboxed: null });
      expect(failed.reason).toMatch(/bubblewrap \(bwrap\) is not installed.*--no-sandbox/);
      expect(await processesRunning(app.deployment.id)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe("a server that is killed", () => {
  it("takes its sandboxed apps and builds, and their networks, with it (SIGKILL, no shutdown of its own)", async () => {
    const { env, home } = await isolatedEnv();
    const dataDir = path.join(home, "data-killed");
    const tokenFile = path.join(home, "token");
    const args = ["--data-dir", dataDir, "--port", "0", "--edge-port", "0", "--local-token-file", tokenFile];
    const { child: server, started } = await serverProcess(env, args);
    const { url } = started;
    try {
      const owner = clientFor(url, (await readFile(tokenFile, "utf8")).trim());
      await owner.createSite({ name: "orphan" });
      const { deployment } = await deployDirectory(owner, {
        dir: path.join(root, "examples", "node-server"),
        siteName: "orphan",
        production: true,
      });
      expect(await waitFinished(owner, deployment.id)).toMatchObject({ state: "ready", sandboxed: true });
      expect((await processesOfDeployment(deployment.id)).length).toBeGreaterThan(0);
      // And a build in progress, with its network (slirp4netns, a process of the server's).
      const slow = path.join(home, "slow");
      await cp(path.join(root, "examples", "static-site"), slow, { recursive: true });
      await writeFile(path.join(slow, "deco-hosting.json"), JSON.stringify({ build: "echo building; sleep 60" }));
      const building = (await deployDirectory(owner, { dir: slow, siteName: "orphan" })).deployment.id;
      for (let i = 0; i < 200; i++) {
        const log = (await owner.getBuildLogs({ deploymentId: building })).entries.map((e) => e.message);
        if (log.includes("building")) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await processesOfDeployment(building)).length).toBeGreaterThan(0);

      server.kill("SIGKILL");
      await server;
      const left = async () => [
        ...(await processesOfDeployment(deployment.id)),
        ...(await processesOfDeployment(building)),
      ];
      for (let i = 0; i < 100 && (await left()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await left()).toEqual([]);
    } finally {
      server.kill("SIGKILL");
      await server;
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe("an app that ignores $PORT", () => {
  it("is reached on the one port it listens on in its own namespace", async () => {
    const server = await startTestServer();
    try {
      const owner = clientFor(server.url, server.ownerToken);
      await owner.createSite({ name: "stubborn" });
      const dir = path.join(work, "stubborn");
      await mkdir(dir, { recursive: true });
      await writeFile(
        path.join(dir, "server.mjs"),
        'import http from "node:http";\nhttp.createServer((q, r) => r.end("on 3000")).listen(3000, "127.0.0.1");\n',
      );
      await writeFile(path.join(dir, "deco-hosting.json"), JSON.stringify({ start: "node server.mjs" }));
      const { deployment } = await deployDirectory(owner, { dir, siteName: "stubborn" });
      const d = await waitFinished(owner, deployment.id);
      expect(d).toMatchObject({ state: "ready" });
      expect((await fetchSiteUrl(d.url as string, "/")).text).toBe("on 3000");
    } finally {
      await server.close();
    }
  });
});
