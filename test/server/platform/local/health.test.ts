import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { waitHealthy } from "../../../../src/server/platform/local/health.js";
import { freePort } from "../../../../src/server/platform/local/ports.js";

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function serve(status: (count: number) => number): Promise<{ port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? "");
    res.writeHead(status(paths.length)).end();
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as AddressInfo).port, paths };
}

describe("waitHealthy", () => {
  it("resolves on the first answer below 500, retrying 5xx", async () => {
    const { port, paths } = await serve((count) => (count < 3 ? 503 : 404));
    await waitHealthy({ host: "127.0.0.1", port, path: "/healthz", timeoutMs: 5_000, intervalMs: 10 });
    expect(paths).toEqual(["/healthz", "/healthz", "/healthz"]);
  });

  it("waits for a server that starts listening later", async () => {
    const port = await freePort();
    const healthy = waitHealthy({ host: "127.0.0.1", port, timeoutMs: 5_000, intervalMs: 10 });
    const server = createServer((_req, res) => res.end("ok"));
    servers.push(server);
    server.listen(port, "127.0.0.1");
    await healthy;
  });

  it("rejects with the last failure when time runs out", async () => {
    const { port } = await serve(() => 500);
    // generous enough that a loaded machine still gets an answer in before the deadline
    await expect(waitHealthy({ host: "127.0.0.1", port, timeoutMs: 1500, intervalMs: 20 })).rejects.toThrow(
      `http://127.0.0.1:${port}/ was not healthy within 1500 ms (last: HTTP 500)`,
    );
    const closed = await freePort();
    await expect(waitHealthy({ host: "127.0.0.1", port: closed, timeoutMs: 100, intervalMs: 20 })).rejects.toThrow(
      "(last: ECONNREFUSED)",
    );
  });

  it("rejects with the abort reason at once", async () => {
    const port = await freePort();
    const controller = new AbortController();
    const healthy = waitHealthy({ host: "127.0.0.1", port, timeoutMs: 60_000, signal: controller.signal });
    controller.abort(new Error("exited (code 1) before it became healthy"));
    await expect(healthy).rejects.toThrow("exited (code 1) before it became healthy");
  });
});
