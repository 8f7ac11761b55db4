// Deployments through the SDK against the real server: upload negotiation, the pipeline,
// the edge, promote/rollback, logs and the bad inputs that must change nothing.
import { createHash } from "node:crypto";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostingClient } from "../../../src/api/client.js";
import { deployDirectory } from "../../../src/api/node/upload.js";
import type { Deployment } from "../../../src/api/schemas.js";
import { waitFinished as waitForDeployment } from "../../helpers/deployments.js";
import { fetchSiteUrl } from "../../helpers/fetch-edge.js";
import { processesOfDeployment, processesRunning } from "../../helpers/processes.js";
import { clientFor, startTestServer, type TestServer } from "../../helpers/server.js";

const examples = fileURLToPath(new URL("../../../examples/", import.meta.url));
let server: TestServer;
let client: HostingClient;
let work: string;

beforeAll(async () => {
  server = await startTestServer({ buildTimeoutMs: 30_000 });
  client = clientFor(server.url, server.ownerToken);
  work = await mkdtemp(path.join(tmpdir(), "dh-deploy-flow-"));
});
afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

const waitFinished = (id: string) => waitForDeployment(client, id);

describe("a static site", () => {
  let first: Deployment;

  it("deploys, answers on its preview URL and, once promoted, on production", async () => {
    await client.createSite({ name: "docs" });
    const { deployment, upload } = await deployDirectory(client, {
      dir: path.join(examples, "static-site"),
      siteName: "docs",
    });
    expect(upload.uploadedFiles).toBe(upload.files);
    expect(upload.uploadedBytes).toBe(upload.totalBytes);
    first = await waitFinished(deployment.id);
    expect(first).toMatchObject({ state: "ready", kind: "static", isProduction: false });

    const preview = await fetchSiteUrl(first.url as string, "/");
    expect(preview.status).toBe(200);
    expect(preview.text).toContain("It works.");
    expect((await fetchSiteUrl(first.url as string, "/about")).text).toContain("About");

    const site = await client.getSite({ siteName: "docs" });
    expect(site.productionUrl).toBeNull();
    const promoted = await client.promoteDeployment({ siteName: "docs", deploymentId: first.id });
    expect(promoted.isProduction).toBe(true);
    const live = await client.getSite({ siteName: "docs" });
    expect(live.status).toBe("live");
    const prod = await fetchSiteUrl(live.productionUrl as string, "/");
    expect(prod.text).toContain("It works.");
  });

  it("uploads zero bytes when nothing changed", async () => {
    const again = await deployDirectory(client, { dir: path.join(examples, "static-site"), siteName: "docs" });
    expect(again.upload.uploadedBytes).toBe(0);
    expect(again.upload.uploadedFiles).toBe(0);
    expect((await waitFinished(again.deployment.id)).state).toBe("ready");
  });

  it("rolls back to the previous production deployment", async () => {
    const dir = path.join(work, "docs-v2");
    await cp(path.join(examples, "static-site"), dir, { recursive: true });
    await writeFile(path.join(dir, "index.html"), "<h1>version two</h1>");
    const { deployment } = await deployDirectory(client, { dir, siteName: "docs", production: true });
    const v2 = await waitFinished(deployment.id);
    expect(v2.state).toBe("ready");
    const site = await client.getSite({ siteName: "docs" });
    expect(site.productionDeploymentId).toBe(v2.id);
    expect((await fetchSiteUrl(site.productionUrl as string, "/")).text).toContain("version two");

    const back = await client.rollbackDeployment({ siteName: "docs" });
    expect(back.id).toBe(first.id);
    expect((await fetchSiteUrl(site.productionUrl as string, "/")).text).toContain("It works.");
    // The preview URL of v2 is immutable: it still serves v2.
    expect((await fetchSiteUrl(v2.url as string, "/")).text).toContain("version two");
  });

  it("keeps the build log", async () => {
    const logs = await client.getBuildLogs({ deploymentId: first.id });
    const text = logs.entries.map((e) => e.message).join("\n");
    expect(text).toContain("Config from static");
    expect(text).toContain("Deployment is ready");
  });
});

describe("a Node server site", () => {
  it("builds, starts health-gated, serves through the edge, and is restarted after a crash", async () => {
    await client.createSite({ name: "api" });
    const { deployment } = await deployDirectory(client, {
      dir: path.join(examples, "node-server"),
      siteName: "api",
      production: true,
    });
    const d = await waitFinished(deployment.id);
    expect(d).toMatchObject({ state: "ready", kind: "server", isProduction: true });
    const site = await client.getSite({ siteName: "api" });
    const res = await fetchSiteUrl(site.productionUrl as string, "/");
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { instance: string; hello: string };
    expect(body.hello).toMatch(/Node server/);
    expect(res.headers["content-type"]).toContain("application/json");

    await fetchSiteUrl(site.productionUrl as string, "/crash");
    let after: { instance: string } | null = null;
    for (let i = 0; i < 100 && !after; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await fetchSiteUrl(site.productionUrl as string, "/").catch(() => null);
      if (r?.status === 200) {
        const parsed = JSON.parse(r.text) as { instance: string };
        if (parsed.instance !== body.instance) after = parsed;
      }
    }
    expect(after).not.toBeNull();
    const logs = await client.getDeploymentLogs({ deploymentId: d.id });
    const lines = logs.entries.map((e) => `${e.source}/${e.stream}: ${e.message}`);
    expect(lines).toContain("runtime/stderr: crashing on purpose");
    expect(lines.some((l) => l.startsWith("system/") && /exit|restart/i.test(l))).toBe(true);
  });
});

describe("bad input changes nothing", () => {
  const sha = (s: string) => createHash("sha256").update(s).digest("hex");

  async function deploymentCount(site: string) {
    return (await client.listDeployments({ siteName: site })).deployments.length;
  }

  it("refuses traversal paths in a manifest", async () => {
    await client.createSite({ name: "guarded" }).catch(() => {});
    for (const p of ["../etc/passwd", "/abs", "a/../../b", "x\0y"]) {
      const err = await client
        .deploy({ siteName: "guarded", files: [{ path: p, sha256: sha("x"), size: 1 }] })
        .catch((e) => e);
      expect(err).toMatchObject({ code: "invalid_input" });
    }
    // Past the client's own check too: send the raw request.
    const res = await fetch(`${server.url}/v1/sites/guarded/deployments`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.ownerToken}`, "content-type": "application/json" },
      body: JSON.stringify({ files: [{ path: "../../etc/passwd", sha256: sha("x"), size: 1 }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error.message).toMatch(/unsafe path/);
    expect(await deploymentCount("guarded")).toBe(0);
  });

  it("refuses a blob whose bytes do not match its hash, and a manifest naming blobs never uploaded", async () => {
    const claimed = sha("promised");
    const res = await fetch(`${server.url}/v1/blobs/${claimed}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${server.ownerToken}`, "content-type": "application/octet-stream" },
      body: "something else",
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; hint: string } };
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.hint).toBeTruthy();
    expect((await client.findMissingBlobs({ hashes: [claimed] })).missing).toEqual([claimed]);

    const err = await client
      .deploy({ siteName: "guarded", files: [{ path: "index.html", sha256: claimed, size: 8 }] })
      .catch((e) => e);
    expect(err).toMatchObject({ code: "invalid_input", message: /not uploaded/ });
    expect(await deploymentCount("guarded")).toBe(0);
  });

  it("refuses uploads over the limits", async () => {
    const small = await startTestServer({ uploadLimits: { maxFileBytes: 10, maxFiles: 2 } });
    try {
      const c = clientFor(small.url, small.ownerToken);
      await c.createSite({ name: "tiny" });
      const big = "x".repeat(11);
      const res = await fetch(`${small.url}/v1/blobs/${sha(big)}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${small.ownerToken}` },
        body: big,
      });
      expect(res.status).toBe(413);
      const files = ["a", "b", "c"].map((n) => ({ path: n, sha256: sha(n), size: 1 }));
      expect(await c.deploy({ siteName: "tiny", files }).catch((e) => e)).toMatchObject({ code: "payload_too_large" });
      expect((await c.listDeployments({ siteName: "tiny" })).deployments).toHaveLength(0);
    } finally {
      await small.close();
    }
  });

  it("answers not_found for an unknown deployment or site, and conflict when promoting a failed deployment", async () => {
    expect(await client.getDeployment({ deploymentId: "nope123" }).catch((e) => e)).toMatchObject({
      code: "not_found",
    });
    expect(await client.listDeployments({ siteName: "ghost" }).catch((e) => e)).toMatchObject({ code: "not_found" });

    const dir = path.join(work, "broken");
    await cp(path.join(examples, "static-site"), dir, { recursive: true });
    await writeFile(path.join(dir, "deco-hosting.json"), JSON.stringify({ build: "echo building; exit 7" }));
    const { deployment } = await deployDirectory(client, { dir, siteName: "guarded" });
    const failed = await waitFinished(deployment.id);
    expect(failed.state).toBe("error");
    expect(failed.reason).toContain("exited with code 7");
    const before = await client.getSite({ siteName: "guarded" });
    const err = await client.promoteDeployment({ siteName: "guarded", deploymentId: failed.id }).catch((e) => e);
    expect(err).toMatchObject({ code: "conflict" });
    expect(err.hint).toBeTruthy();
    const after = await client.getSite({ siteName: "guarded" });
    expect(after.productionDeploymentId).toBe(before.productionDeploymentId);
    const build = await client.getBuildLogs({ deploymentId: failed.id });
    expect(build.entries.map((e) => e.message)).toContain("building");
  });
});

describe("logs over Server-Sent Events", () => {
  it("follows a build to its end, and runtime lines as the app prints them, resuming after a cursor", async () => {
    await client.createSite({ name: "follow" });
    const dir = path.join(work, "follow");
    await cp(path.join(examples, "node-server"), dir, { recursive: true });
    await writeFile(
      path.join(dir, "deco-hosting.json"),
      JSON.stringify({ build: "echo step one; echo step two", start: "node server.js", healthCheckPath: "/healthz" }),
    );
    const { deployment } = await deployDirectory(client, { dir, siteName: "follow" });
    const build: string[] = [];
    let end: unknown;
    for await (const e of client.followLogs("build", deployment.id)) {
      if ("end" in e) end = e.end;
      else build.push(e.message);
    }
    expect(end).toBe("ready");
    expect(build).toEqual(expect.arrayContaining(["step one", "step two", "Deployment is ready"]));
    expect(build.indexOf("step one")).toBeLessThan(build.indexOf("step two"));

    const ctl = new AbortController();
    const seen: Array<{ id: string; message: string }> = [];
    const following = (async () => {
      for await (const e of client.followLogs("runtime", deployment.id, { signal: ctl.signal })) {
        if ("end" in e) break;
        seen.push({ id: e.id, message: e.message });
        if (e.message === "GET /marker-2") ctl.abort();
      }
    })();
    const d = await client.getDeployment({ deploymentId: deployment.id });
    await fetchSiteUrl(d.url as string, "/marker-1");
    await fetchSiteUrl(d.url as string, "/marker-2");
    await following;
    const messages = seen.map((s) => s.message);
    expect(messages).toEqual(expect.arrayContaining(["GET /marker-1", "GET /marker-2"]));

    const cursor = seen.find((s) => s.message === "GET /marker-1")?.id as string;
    const page = await client.getDeploymentLogs({ deploymentId: deployment.id, since: cursor });
    expect(page.entries.map((e) => e.message)).toContain("GET /marker-2");
    expect(page.entries.map((e) => e.message)).not.toContain("GET /marker-1");
  });
});

describe("cancel", () => {
  it("stops a deployment while it builds, and one still queued, each ending canceled with nothing left running", async () => {
    await client.createSite({ name: "cancel-me" });
    const dir = path.join(work, "slow");
    await cp(path.join(examples, "static-site"), dir, { recursive: true });
    await writeFile(path.join(dir, "deco-hosting.json"), JSON.stringify({ build: "echo slow build; sleep 59.5" }));
    // Two slow builds fill the pipeline (concurrency 2); the third waits in the queue.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await deployDirectory(client, { dir, siteName: "cancel-me" })).deployment.id);
    const [a, b, c] = ids as [string, string, string];
    // Cancel once the build command really runs (its first line is in the log).
    const building = async (id: string) =>
      (await client.getBuildLogs({ deploymentId: id })).entries.some((e) => e.message === "slow build");
    for (let i = 0; i < 200 && !((await building(a)) && (await building(b))); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await client.getDeployment({ deploymentId: c })).state).toBe("queued");

    const queued = await client.cancelDeployment({ deploymentId: c });
    expect(queued).toMatchObject({ state: "canceled" });
    const t0 = Date.now();
    expect((await client.cancelDeployment({ deploymentId: a })).state).toBe("canceled");
    await client.cancelDeployment({ deploymentId: b });
    for (const id of [a, b]) expect((await waitFinished(id)).state).toBe("canceled");
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await processesRunning("sleep 59.5")).toEqual([]);
    const log = await client.getBuildLogs({ deploymentId: a });
    expect(log.entries.map((e) => e.message)).toContain("slow build");
    // Canceling again is a no-op; canceling a finished deployment is a conflict.
    expect((await client.cancelDeployment({ deploymentId: a })).state).toBe("canceled");
    const done = (await deployDirectory(client, { dir: path.join(examples, "static-site"), siteName: "cancel-me" }))
      .deployment;
    await waitFinished(done.id);
    expect(await client.cancelDeployment({ deploymentId: done.id }).catch((e) => e)).toMatchObject({
      code: "conflict",
    });
  });
});

describe("deleting a site", () => {
  it("stops its running instances and its URLs stop answering", async () => {
    await client.createSite({ name: "doomed" });
    const { deployment } = await deployDirectory(client, {
      dir: path.join(examples, "node-server"),
      siteName: "doomed",
      production: true,
    });
    const d = await waitFinished(deployment.id);
    const site = await client.getSite({ siteName: "doomed" });
    expect((await fetchSiteUrl(site.productionUrl as string, "/")).status).toBe(200);
    const running = await processesOfDeployment(d.id);
    expect(running.length).toBeGreaterThan(0);
    await client.deleteSite({ siteName: "doomed" });

    for (let i = 0; i < 100 && (await processesOfDeployment(d.id)).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await processesOfDeployment(d.id)).toEqual([]);
    expect((await fetchSiteUrl(site.productionUrl as string, "/")).status).toBe(404);
    expect((await fetchSiteUrl(d.url as string, "/")).status).toBe(404);
    expect(await client.getDeployment({ deploymentId: d.id }).catch((e) => e)).toMatchObject({ code: "not_found" });
  });
});

describe("upload retries", () => {
  it("retries a blob upload that failed on the way, and gives up on one the server refuses", async () => {
    await client.createSite({ name: "flaky" });
    const dir = path.join(work, "flaky");
    await cp(path.join(examples, "static-site"), dir, { recursive: true });
    await writeFile(path.join(dir, "fresh.txt"), `fresh ${Date.now()}`);
    const { createHttpTransport } = await import("../../../src/api/transports.js");
    const { HostingClient } = await import("../../../src/api/client.js");
    const { HostingError } = await import("../../../src/api/errors.js");
    const real = createHttpTransport({ baseUrl: server.url, getToken: () => server.ownerToken });
    // The network drops the first attempt of every blob; the real server sees the rest.
    const attempts = new Map<string, number>();
    const flaky = new HostingClient({
      ...real,
      async putBlob(sha, body, size, opts) {
        const n = (attempts.get(sha) ?? 0) + 1;
        attempts.set(sha, n);
        if (n === 1) throw new HostingError("unavailable", "connection reset");
        return real.putBlob?.(sha, body, size, opts);
      },
    });
    const { deployment, upload } = await deployDirectory(flaky, { dir, siteName: "flaky" });
    expect(upload.uploadedFiles).toBeGreaterThan(0);
    expect([...attempts.values()].every((n) => n === 2)).toBe(true);
    expect((await waitFinished(deployment.id)).state).toBe("ready");

    await writeFile(path.join(dir, "another.txt"), `another ${Date.now()}`);
    let refused = 0;
    const refusing = new HostingClient({
      ...real,
      async putBlob() {
        refused++;
        throw new HostingError("invalid_input", "the uploaded bytes hash to something else");
      },
    });
    const err = await deployDirectory(refusing, { dir, siteName: "flaky" }).catch((e) => e);
    expect(err).toMatchObject({ code: "invalid_input" });
    expect(refused).toBe(1); // not retried: the server said no, the network did not fail
  });
});

describe("an app the supervisor gave up on", () => {
  it("answers 503 to visitors without being started again, until it is promoted again", async () => {
    const crashy = await startTestServer({ restartPolicy: { baseDelayMs: 20, maxDelayMs: 50, maxRapidCrashes: 2 } });
    try {
      const c = clientFor(crashy.url, crashy.ownerToken);
      await c.createSite({ name: "crashy" });
      const dir = path.join(work, "crashy");
      await cp(path.join(examples, "node-server"), dir, { recursive: true });
      // Healthy at first, then dead 300 ms after every start.
      await writeFile(
        path.join(dir, "crash.js"),
        'await import("./server.js");\nsetTimeout(() => process.exit(1), 300);\n',
      );
      await writeFile(path.join(dir, "deco-hosting.json"), JSON.stringify({ start: "node crash.js" }));
      const { deployment } = await deployDirectory(c, { dir, siteName: "crashy", production: true });
      const d = await waitForDeployment(c, deployment.id);
      expect(d.state).toBe("ready");
      const starts = async () =>
        (await c.getDeploymentLogs({ deploymentId: d.id })).entries.filter(
          (e) => e.source === "system" && e.message.startsWith("started pid"),
        ).length;
      const site = await c.getSite({ siteName: "crashy" });
      for (let i = 0; i < 100; i++) {
        const logs = await c.getDeploymentLogs({ deploymentId: d.id });
        if (logs.entries.some((e) => e.message.includes("giving up"))) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const before = await starts();
      expect(before).toBe(3); // the first start and two restarts
      for (let i = 0; i < 3; i++) {
        const res = await fetchSiteUrl(site.productionUrl as string, "/");
        expect(res.status).toBe(503);
        expect(res.text).toContain("crashed again and again");
      }
      expect((await fetchSiteUrl(d.url as string, "/")).status).toBe(503);
      expect(await starts()).toBe(before);
      // An explicit promote starts it again.
      await c.promoteDeployment({ siteName: "crashy", deploymentId: d.id });
      expect(await starts()).toBe(before + 1);
    } finally {
      await crashy.close();
    }
  });
});
