// Promote and rollback only move an alias; with a bounded loopback load running against
// production the whole time, not one request may fail.
import http from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostingClient } from "../../../src/api/client.js";
import { deployDirectory } from "../../../src/api/node/upload.js";
import type { Deployment } from "../../../src/api/schemas.js";
import { clientFor, startTestServer, type TestServer } from "../../helpers/server.js";

const example = fileURLToPath(new URL("../../../examples/node-server", import.meta.url));
let server: TestServer;
let client: HostingClient;

beforeAll(async () => {
  server = await startTestServer();
  client = clientFor(server.url, server.ownerToken);
});
afterAll(() => server?.close());

async function ready(id: string): Promise<Deployment> {
  for (let i = 0; i < 400; i++) {
    const d = await client.getDeployment({ deploymentId: id });
    if (d.state === "ready") return d;
    if (d.state === "error" || d.state === "canceled") throw new Error(`${id}: ${d.reason}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("not ready");
}

/** Keep-alive GETs from `workers` loops until `stop`; counts answers by app instance and failures. */
function load(port: number, host: string, workers: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  const stats = { ok: 0, failed: 0, errors: [] as string[], instances: new Set<string>() };
  let running = true;
  const deadline = Date.now() + 30_000; // bounded whatever happens
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.get({ host: "127.0.0.1", port, path: "/", headers: { host }, agent }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (body += c));
        res.on("end", () => {
          if (res.statusCode === 200) {
            stats.ok++;
            stats.instances.add((JSON.parse(body) as { instance: string }).instance);
          } else {
            stats.failed++;
            stats.errors.push(`HTTP ${res.statusCode}`);
          }
          resolve();
        });
      });
      req.on("error", (err) => {
        stats.failed++;
        stats.errors.push(err.message);
        resolve();
      });
    });
  const loops = Array.from({ length: workers }, async () => {
    while (running && Date.now() < deadline) await one();
  });
  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

describe("promote and rollback under load", () => {
  it("drop no request", async () => {
    await client.createSite({ name: "busy" });
    const v1 = await ready(
      (await deployDirectory(client, { dir: example, siteName: "busy", production: true })).deployment.id,
    );
    const v2 = await ready(
      (await deployDirectory(client, { dir: example, siteName: "busy", message: "v2" })).deployment.id,
    );
    const site = await client.getSite({ siteName: "busy" });
    const host = new URL(site.productionUrl as string).host;

    const run = load(server.edgePort, host, 8);
    await new Promise((r) => setTimeout(r, 400));
    await client.promoteDeployment({ siteName: "busy", deploymentId: v2.id });
    await new Promise((r) => setTimeout(r, 800));
    const back = await client.rollbackDeployment({ siteName: "busy" });
    expect(back.id).toBe(v1.id);
    await new Promise((r) => setTimeout(r, 800));
    await client.promoteDeployment({ siteName: "busy", deploymentId: v2.id });
    await new Promise((r) => setTimeout(r, 800));
    await run.stop();

    expect(run.stats.errors).toEqual([]);
    expect(run.stats.failed).toBe(0);
    expect(run.stats.ok).toBeGreaterThan(100);
    // Both deployments answered: the alias really moved (and v1 was started again for the rollback).
    expect(run.stats.instances.size).toBeGreaterThanOrEqual(2);
    expect((await client.getSite({ siteName: "busy" })).productionDeploymentId).toBe(v2.id);
  });
});
