import { afterEach, describe, expect, it, vi } from "vitest";
import type { EdgeHost } from "../../../src/server/edge/host.js";
import { createEdgeServer, type EdgeRequestMetric, type EdgeServerOptions } from "../../../src/server/edge/router.js";
import { fetchEdge } from "./fetch-edge.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function startEdge(options: Partial<EdgeServerOptions>) {
  const edge = await createEdgeServer({ port: 0, resolve: async () => null, ...options });
  closers.push(() => edge.close());
  return edge;
}

describe("edge router", () => {
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
