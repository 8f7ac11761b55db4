// Storage: a team's quota, garbage collection of what no deployment needs, and a full disk
// (a small tmpfs as the data dir: a build that fills it fails, the API says 507 and changes
// nothing, the edge keeps serving, and the server starts again once there is room).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployDirectory } from "../../../src/api/node/upload.js";
import { startServer } from "../../../src/server/index.js";
import { waitFinished } from "../../helpers/deployments.js";
import { fetchSiteUrl } from "../../helpers/fetch-edge.js";
import { clientFor, startTestServer } from "../../helpers/server.js";

const examples = fileURLToPath(new URL("../../../examples/", import.meta.url));
let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "dh-storage-"));
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function siteWith(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(work, name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
  return dir;
}

async function blobFiles(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, "blobs");
  const out: string[] = [];
  for (const d of await readdir(root).catch(() => [] as string[])) {
    if (/^[a-f0-9]{2}$/.test(d)) out.push(...(await readdir(path.join(root, d))));
  }
  return out;
}

describe("a team's storage quota", () => {
  it("refuses an upload or a build output past it with 507 insufficient_storage, creating nothing", async () => {
    const server = await startTestServer({ teamStorageQuotaBytes: 4096 });
    try {
      const c = clientFor(server.url, server.ownerToken);
      await c.createSite({ name: "quota" });
      const small = await siteWith("small", { "index.html": "<h1>small</h1>" });
      expect(
        (await waitFinished(c, (await deployDirectory(c, { dir: small, siteName: "quota" })).deployment.id)).state,
      ).toBe("ready");

      const big = await siteWith("big", { "index.html": "x".repeat(5000) });
      const err = await deployDirectory(c, { dir: big, siteName: "quota" }).catch((e) => e);
      expect(err).toMatchObject({
        code: "insufficient_storage",
        status: 507,
        hint: expect.stringContaining("Delete sites"),
      });
      expect((await c.listDeployments({ siteName: "quota" })).deployments.length).toBe(1);

      const builds = await siteWith("builds", {
        "index.html": "<h1>src</h1>",
        "deco-hosting.json": JSON.stringify({
          build: "mkdir -p dist && head -c 6000 /dev/zero > dist/index.html",
          output: "dist",
        }),
      });
      const d = await waitFinished(c, (await deployDirectory(c, { dir: builds, siteName: "quota" })).deployment.id);
      expect(d.state).toBe("error");
      expect(d.reason).toMatch(/the team's storage is full/);
    } finally {
      await server.close();
    }
  });
});

describe("garbage collection", () => {
  it("removes the blobs only a deleted site used and dead upload temp files, keeping every other site's", async () => {
    const server = await startTestServer({ blobGraceMs: 0 });
    try {
      const c = clientFor(server.url, server.ownerToken);
      await c.createSite({ name: "keep" });
      await c.createSite({ name: "drop" });
      const keep = await siteWith("keep", { "index.html": "<h1>kept</h1>" });
      const drop = await siteWith("drop", { "index.html": "<h1>dropped</h1>", "only-here.txt": "only in drop" });
      const kept = await deployDirectory(c, { dir: keep, siteName: "keep" });
      await waitFinished(c, kept.deployment.id);
      await waitFinished(c, (await deployDirectory(c, { dir: drop, siteName: "drop" })).deployment.id);
      const sha = (s: string) => createHash("sha256").update(s).digest("hex");
      expect(await blobFiles(server.dataDir)).toEqual(
        expect.arrayContaining([sha("only in drop"), sha("<h1>kept</h1>")]),
      );
      const temp = path.join(server.dataDir, "blobs", "tmp", `${"0".repeat(64)}.dead`);
      await writeFile(temp, "half an upload");
      const old = new Date(Date.now() - 2 * 3600_000);
      await utimes(temp, old, old);

      await c.deleteSite({ siteName: "drop" });
      for (let i = 0; i < 100 && (await blobFiles(server.dataDir)).includes(sha("only in drop")); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const left = await blobFiles(server.dataDir);
      expect(left).not.toContain(sha("only in drop"));
      expect(left).not.toContain(sha("<h1>dropped</h1>"));
      expect(left).toContain(sha("<h1>kept</h1>"));
      expect(existsSync(temp)).toBe(false);
      expect((await fetchSiteUrl(kept.deployment.url as string, "/")).text).toContain("kept");
    } finally {
      await server.close();
    }
  });
});

const root = process.getuid?.() === 0;
describe.runIf(root)("a full disk (tmpfs data dir)", () => {
  let mount: string;
  beforeAll(async () => {
    mount = await mkdtemp(path.join(tmpdir(), "dh-full-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=48m", "tmpfs", mount]);
  });
  afterAll(async () => {
    execFileSync("umount", ["-l", mount]);
    await rm(mount, { recursive: true, force: true });
  });

  it("fails the build that fills it; the API answers 507 and the edge serves; the server restarts once there is room", async () => {
    const dataDir = path.join(mount, "data");
    const localTokenFile = path.join(dataDir, "local-token");
    let server = await startServer({ dataDir, port: 0, localTokenFile, log: () => {} });
    const token = execFileSync("cat", [localTokenFile], { encoding: "utf8" }).trim();
    try {
      let c = clientFor(server.url, token);
      await c.createSite({ name: "full" });
      const site = await deployDirectory(c, {
        dir: path.join(examples, "static-site"),
        siteName: "full",
        production: true,
      });
      expect((await waitFinished(c, site.deployment.id)).state).toBe("ready");
      const productionUrl = (await c.getSite({ siteName: "full" })).productionUrl as string;

      const filler = await siteWith("filler", {
        "index.html": "<h1>filler</h1>",
        "deco-hosting.json": JSON.stringify({ build: "head -c 200000000 /dev/zero > big; echo done", output: "." }),
      });
      const failed = await waitFinished(
        c,
        (await deployDirectory(c, { dir: filler, siteName: "full" })).deployment.id,
        60_000,
      );
      expect(failed.state).toBe("error");
      expect(failed.reason).toMatch(/disk filled up|exited with code/);

      // The disk is full now, whatever else writes: fill what the failed build freed.
      const hog = path.join(mount, "hog");
      try {
        execFileSync("sh", ["-c", `head -c 100000000 /dev/zero > ${hog}`], { stdio: "ignore" });
      } catch {} // ENOSPC is the point
      const sitesBefore = (await c.listSites()).sites.length;
      const refused = await c.createSite({ name: "one-more" }).catch((e) => e);
      expect(refused).toMatchObject({
        code: "insufficient_storage",
        status: 507,
        hint: expect.stringContaining("Free space"),
      });
      expect((await c.listSites()).sites.length).toBe(sitesBefore);
      expect((await fetchSiteUrl(productionUrl, "/")).status).toBe(200);

      await server.close();
      // Starting on the full disk starts fully or stops with a clear error, never half-way.
      const attempt = await startServer({ dataDir, port: 0, localTokenFile, log: () => {} }).catch((e) => e);
      if (attempt instanceof Error) expect(attempt).toMatchObject({ code: "insufficient_storage" });
      else {
        expect((await clientFor(attempt.url, token).listSites()).sites.length).toBe(sitesBefore);
        await attempt.close();
      }
      await rm(hog, { force: true });
      server = await startServer({ dataDir, port: 0, localTokenFile, log: () => {} });
      c = clientFor(server.url, token);
      const deployments = (await c.listDeployments({ siteName: "full" })).deployments;
      expect(deployments.filter((d) => ["queued", "building", "deploying"].includes(d.state))).toEqual([]);
      expect(await c.createSite({ name: "one-more" })).toMatchObject({ name: "one-more" });
    } finally {
      await server.close();
    }
  });
});
