import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { request as httpsRequest } from "node:https";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EdgeHost } from "../../../src/server/edge/host.js";
import { createEdgeServer, type EdgeRequestMetric, type EdgeServerOptions } from "../../../src/server/edge/router.js";
import { fetchEdge } from "../../helpers/fetch-edge.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function startEdge(options: Partial<EdgeServerOptions>) {
  const edge = await createEdgeServer({ port: 0, resolve: async () => null, ...options });
  closers.push(() => edge.close());
  return edge;
}

/** Writes raw bytes to the edge and collects what comes back until it closes (or `ms` pass). */
function raw(port: number, data: string, ms = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, ms);
    socket.on("data", (c: Buffer) => (text += c.toString("latin1")));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.write(data);
  });
}

describe("edge router", () => {
  it("refuses a request with two Host headers (400) without resolving either", async () => {
    const resolve = vi.fn(async () => null);
    const edge = await startEdge({ resolve });
    const res = await raw(
      edge.port,
      "GET / HTTP/1.1\r\nHost: victim.localhost\r\nHost: attacker.localhost\r\nConnection: close\r\n\r\n",
    );
    expect(res.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(res.text).toContain("more than one host");
    expect(resolve).not.toHaveBeenCalled();
  });

  it("closes a connection whose headers do not arrive in time", async () => {
    const edge = await startEdge({ headersTimeoutMs: 300 });
    const res = await raw(edge.port, "GET / HTTP/1.1\r\nHost: a.localhost\r\n", 5000);
    expect(res.closed).toBe(true);
    expect(res.text).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("answers 503 with the app-failed page for a deployment whose app the supervisor gave up on", async () => {
    const edge = await startEdge({ resolve: async () => ({ kind: "unavailable", key: "dead" }) });
    const res = await fetchEdge(edge.port, "a.localhost", "/");
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("60");
    expect(res.text).toContain("crashed again and again");
  });

  it("listens on an ephemeral port on 127.0.0.1", async () => {
    const edge = await startEdge({});
    expect(edge.port).toBeGreaterThan(0);
    expect(edge.url).toBe(`http://127.0.0.1:${edge.port}`);
  });

  it("answers a host outside the base domain with the unknown-host page, without resolving", async () => {
    const resolve = vi.fn(async () => null);
    const edge = await startEdge({ resolve });
    for (const host of ["example.com", "localhost", "a.b.localhost", "bad_name.localhost"]) {
      const res = await fetchEdge(edge.port, host, "/");
      expect(res.status).toBe(404);
      expect(res.text).toContain("not a site on this server");
    }
    expect(resolve).not.toHaveBeenCalled();
  });

  it("passes the parsed host to resolve and answers null with the no-deployment page", async () => {
    const seen: EdgeHost[] = [];
    const edge = await startEdge({
      resolve: async (parsed) => {
        seen.push(parsed);
        return null;
      },
    });
    const res = await fetchEdge(edge.port, `Staging--Blog.localhost:${edge.port}`, "/");
    expect(res.status).toBe(404);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.text).toContain("No deployment is serving this site");
    expect(seen).toEqual([{ site: "blog", label: "staging" }]);
    const head = await fetchEdge(edge.port, "blog.localhost", "/", { method: "HEAD" });
    expect(head.status).toBe(404);
    expect(head.body.length).toBe(0);
  });

  it("answers 500 when resolve fails", async () => {
    const edge = await startEdge({
      resolve: async () => {
        throw new Error("db down");
      },
    });
    const res = await fetchEdge(edge.port, "blog.localhost", "/");
    expect(res.status).toBe(500);
    expect(res.text).not.toContain("db down");
  });

  it("honours a custom base domain", async () => {
    const edge = await startEdge({ baseDomain: "apps.test" });
    expect((await fetchEdge(edge.port, "blog.localhost", "/")).text).toContain("not a site on this server");
    expect((await fetchEdge(edge.port, "blog.apps.test", "/")).text).toContain("No deployment is serving this site");
  });

  it("reports every finished request to onRequestDone", async () => {
    const metrics: EdgeRequestMetric[] = [];
    const edge = await startEdge({ onRequestDone: (metric) => metrics.push(metric) });
    const before = Date.now();
    await fetchEdge(edge.port, "pr-7--blog.localhost", "/some/page?x=1");
    await fetchEdge(edge.port, "nowhere.example", "/");
    await vi.waitFor(() => expect(metrics).toHaveLength(2));
    const [first, second] = metrics;
    expect(first).toMatchObject({
      site: "blog",
      label: "pr-7",
      targetKey: null,
      method: "GET",
      path: "/some/page",
      status: 404,
      cache: null,
    });
    expect(first!.bytes).toBeGreaterThan(100);
    expect(first!.durationMs).toBeGreaterThanOrEqual(0);
    expect(first!.at).toBeGreaterThanOrEqual(before);
    expect(second).toMatchObject({ site: null, label: null, status: 404 });
  });
});

describe("edge over TLS", () => {
  it.skipIf(!hasOpenssl())("serves HTTPS and tells the upstream the visitor used https", async () => {
    const dir = await mkdtemp(join(tmpdir(), "edge-tls-"));
    const upstream = createServer((req, res) => res.end(String(req.headers["x-forwarded-proto"])));
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=*.localhost",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
        ],
        { stdio: "ignore" },
      );
      upstream.listen(0, "127.0.0.1");
      await once(upstream, "listening");
      const port = (upstream.address() as AddressInfo).port;
      const edge = await startEdge({
        tls: { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
        resolve: async () => ({ kind: "server", key: "tls", upstream: { host: "127.0.0.1", port } }),
      });
      expect(edge.url).toBe(`https://127.0.0.1:${edge.port}`);
      const proto = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: "127.0.0.1",
            port: edge.port,
            servername: "app.localhost",
            headers: { host: "app.localhost" },
            rejectUnauthorized: false,
          },
          (res) => {
            let body = "";
            res.on("data", (chunk) => {
              body += chunk;
            });
            res.on("end", () => resolve(body));
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(proto).toBe("https");
    } finally {
      upstream.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
