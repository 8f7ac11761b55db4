// Never a false ready: a build-backed static deploy that would serve the source tree, a
// server bundle or nothing at /, fails with a reason and a hint; project files are never
// served; build logs lose their colour codes; a failed build's reason quotes its last lines.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostingClient } from "../../../src/api/client.js";
import { deployDirectory } from "../../../src/api/node/upload.js";
import { waitFinished } from "../../helpers/deployments.js";
import { fetchSiteUrl } from "../../helpers/fetch-edge.js";
import { clientFor, startTestServer, type TestServer } from "../../helpers/server.js";

let server: TestServer;
let client: HostingClient;
let work: string;
let n = 0;
beforeAll(async () => {
  server = await startTestServer();
  client = clientFor(server.url, server.ownerToken);
  await client.createSite({ name: "out" });
  work = await mkdtemp(path.join(tmpdir(), "dh-static-output-"));
});
afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

async function deploy(files: Record<string, string>) {
  const dir = path.join(work, `site-${++n}`);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return waitFinished(client, (await deployDirectory(client, { dir, siteName: "out" })).deployment.id);
}

describe("a build-backed static output", () => {
  it("that is the source tree fails, naming the output setting", async () => {
    const d = await deploy({
      "index.html": "src",
      "deco-hosting.json": JSON.stringify({ build: "echo built > built.html" }),
    });
    expect(d).toMatchObject({ state: "error" });
    expect(d.reason).toMatch(/no output directory, so the whole source tree would be served/);
  });

  it("without index.html (and no 404.html or spa) fails instead of answering 404 at /", async () => {
    const d = await deploy({
      "src.txt": "x",
      "deco-hosting.json": JSON.stringify({ build: "mkdir -p dist && echo x > dist/app.js" }),
    });
    expect(d.state).toBe("error");
    expect(d.reason).toMatch(/"dist" has no index\.html/);
  });

  it("holding a server bundle fails, saying to run it as a server", async () => {
    const d = await deploy({
      "src.txt": "x",
      "deco-hosting.json": JSON.stringify({
        build:
          "mkdir -p dist/.output/server && echo hi > dist/index.html && echo 'export {}' > dist/.output/server/index.mjs",
        output: "dist",
      }),
    });
    expect(d.state).toBe("error");
    expect(d.reason).toMatch(/server bundle \(\.output\/server\/index\.mjs\)/);
  });
});

describe("what is served", () => {
  it("never includes npm credentials, environment files, ignore rules, lockfiles or our config", async () => {
    const d = await deploy({
      "index.html": "<h1>home</h1>",
      ".npmrc": "//registry.npmjs.org/:_authToken=npm_secret",
      "package-lock.json": "{}",
      ".gitignore": "dist",
      "docs/.npmrc": "x",
      ".decohostingignore": "nothing",
    });
    expect(d.state).toBe("ready");
    expect((await fetchSiteUrl(d.url as string, "/")).text).toContain("home");
    for (const p of ["/.npmrc", "/package-lock.json", "/.gitignore", "/docs/.npmrc", "/.decohostingignore"]) {
      expect([p, (await fetchSiteUrl(d.url as string, p)).status]).toEqual([p, 404]);
    }
  });
});

describe("build logs", () => {
  it("lose terminal colour codes, and a failed build's reason quotes its last lines", async () => {
    const ok = await deploy({
      "deco-hosting.json": JSON.stringify({
        build: "printf '\\033[31mred\\033[0m text\\n' && mkdir -p dist && echo hi > dist/index.html",
        output: "dist",
      }),
    });
    expect(ok.state).toBe("ready");
    const lines = (await client.getBuildLogs({ deploymentId: ok.id })).entries.map((e) => e.message);
    expect(lines).toContain("red text");
    expect(lines.join("\n")).not.toContain(String.fromCharCode(27));

    const failed = await deploy({
      "deco-hosting.json": JSON.stringify({ build: "echo first-clue; echo the-real-reason >&2; exit 2" }),
    });
    expect(failed.state).toBe("error");
    expect(failed.reason).toMatch(/exited with code 2; last output:\nfirst-clue\nthe-real-reason/);
  });
});

describe("installing", () => {
  it("falls back to npm install, with a warning, when npm ci refuses an out-of-date lockfile", async () => {
    const d = await deploy({
      "package.json": JSON.stringify({
        name: "stale-lock",
        dependencies: { "local-dep": "file:./local-dep" },
        scripts: { build: "mkdir -p dist && node -e \"process.stdout.write(require('local-dep'))\" > dist/index.html" },
      }),
      // A lockfile that does not know the dependency: npm ci refuses it.
      "package-lock.json": JSON.stringify({
        name: "stale-lock",
        lockfileVersion: 3,
        requires: true,
        packages: { "": { name: "stale-lock" } },
      }),
      "local-dep/package.json": JSON.stringify({ name: "local-dep", version: "1.0.0", main: "index.js" }),
      "local-dep/index.js": 'module.exports = "from the dependency";',
    });
    expect(d).toMatchObject({ state: "ready", reason: null });
    const lines = (await client.getBuildLogs({ deploymentId: d.id })).entries.map((e) => e.message);
    expect(lines).toContain("$ npm ci --no-audit --no-fund");
    expect(lines.some((l) => l.startsWith("Warning: npm ci refused the lockfile"))).toBe(true);
    expect(lines).toContain("$ npm install --no-audit --no-fund");
    expect((await fetchSiteUrl(d.url as string, "/")).text).toBe("from the dependency");
  });
});
