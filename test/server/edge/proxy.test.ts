import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEdgeServer, type EdgeServer, type EdgeServerOptions } from "../../../src/server/edge/router.js";
import type { ServerTarget } from "../../../src/server/edge/target.js";
import { fetchEdge } from "../../helpers/fetch-edge.js";

const HOST = "app.localhost";
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

async function upstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((done) => server.close(done));
  });
  return server;
}

function targetFor(server: Server | number, key = "dpl-1"): ServerTarget {
  const port = typeof server === "number" ? server : (server.address() as AddressInfo).port;
  return { kind: "server", key, upstream: { host: "127.0.0.1", port } };
}

async function edgeFor(target: ServerTarget, options: Partial<EdgeServerOptions> = {}): Promise<EdgeServer> {
  const edge = await createEdgeServer({ port: 0, resolve: async () => target, ...options });
  cleanups.push(() => edge.close());
  return edge;
}

describe("reverse proxy", () => {
  it("forwards method, path, body and headers with its own X-Forwarded-*, Forwarded and X-Real-IP, keeping Host and dropping hop-by-hop", async () => {
    const up = await upstream((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        res.writeHead(201, { "content-type": "application/json", "x-upstream": "yes", "proxy-authenticate": "Basic" });
        res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
      });
    });
    const edge = await edgeFor(targetFor(up));
    const res = await fetchEdge(edge.port, `${HOST}:${edge.port}`, "/api/items?q=1", {
      method: "POST",
      body: "hello",
      headers: {
        "x-forwarded-for": "203.0.113.7",
        "x-real-ip": "203.0.113.8",
        forwarded: "for=203.0.113.9;host=evil.example",
        "x-forwarded-host": "evil.example",
        "x-forwarded-proto": "https",
        connection: "keep-alive, x-hop",
        "x-hop": "secret",
        te: "trailers",
        "proxy-authorization": "Basic abc",
        "x-custom": "kept",
      },
    });
    expect(res.status).toBe(201);
    expect(res.headers["x-upstream"]).toBe("yes");
    expect(res.headers["proxy-authenticate"]).toBeUndefined();
    const seen = JSON.parse(res.text);
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("/api/items?q=1");
    expect(seen.body).toBe("hello");
    expect(seen.headers.host).toBe(`${HOST}:${edge.port}`);
    // A visitor's forwarding headers are replaced by the edge's own, never passed on.
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["x-real-ip"]).toBe("127.0.0.1");
    expect(seen.headers.forwarded).toBe(`for=127.0.0.1;host=${HOST}:${edge.port};proto=http`);
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers["x-forwarded-host"]).toBe(`${HOST}:${edge.port}`);
    expect(seen.headers["x-forwarded-port"]).toBe(String(edge.port));
    expect(seen.headers["x-custom"]).toBe("kept");
    expect(seen.headers["x-hop"]).toBeUndefined();
    expect(seen.headers.te).toBeUndefined();
    expect(seen.headers["proxy-authorization"]).toBeUndefined();
  });

  it("streams a large body up and back down unchanged", async () => {
    const up = await upstream((req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      req.pipe(res);
    });
    const edge = await edgeFor(targetFor(up));
    const body = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32LE(i, i);
    const res = await fetchEdge(edge.port, HOST, "/echo", { method: "PUT", body });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(body.length);
    expect(createHash("sha256").update(res.body).digest("hex")).toBe(createHash("sha256").update(body).digest("hex"));
  });

  it("answers 502 with the bad-gateway page when the upstream is down", async () => {
    const up = await upstream(() => {});
    const port = (up.address() as AddressInfo).port;
    await new Promise((done) => up.close(done));
    const edge = await edgeFor(targetFor(port));
    const res = await fetchEdge(edge.port, HOST, "/");
    expect(res.status).toBe(502);
    expect(res.text).toContain("could not be reached");
  });

  it("answers 504 when the upstream does not answer in time", async () => {
    const up = await upstream(() => {});
    const edge = await edgeFor(targetFor(up), { upstreamTimeoutMs: 200 });
    const res = await fetchEdge(edge.port, HOST, "/slow");
    expect(res.status).toBe(504);
    expect(res.text).toContain("took too long");
  });

  it("aborts the upstream request when the visitor goes away", async () => {
    const arrived = deferred<IncomingMessage>();
    const up = await upstream((req) => arrived.resolve(req));
    const edge = await edgeFor(targetFor(up));
    const client = request({
      host: "127.0.0.1",
      port: edge.port,
      path: "/hang",
      headers: { host: HOST },
      agent: false,
    });
    client.on("error", () => {});
    client.end();
    const upstreamReq = await arrived.promise;
    const upstreamClosed = once(upstreamReq.socket, "close");
    client.destroy();
    await upstreamClosed;
  });

  it("counts a request in flight while it runs and releases it after", async () => {
    const arrived = deferred<ServerResponse>();
    const up = await upstream((_req, res) => arrived.resolve(res));
    const edge = await edgeFor(targetFor(up, "dpl-slow"));
    expect(edge.inflight("dpl-slow")).toBe(0);
    const pending = fetchEdge(edge.port, HOST, "/slow");
    const upstreamRes = await arrived.promise;
    expect(edge.inflight("dpl-slow")).toBe(1);
    expect(edge.inflight("other")).toBe(0);
    upstreamRes.end("done");
    expect((await pending).text).toBe("done");
    await vi.waitFor(() => expect(edge.inflight("dpl-slow")).toBe(0));
  });

  it("tunnels a WebSocket upgrade to the upstream and echoes a frame", async () => {
    const up = await upstream(() => {});
    up.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const accept = createHash("sha1")
        .update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
        .digest("base64");
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${accept}\r\nX-Seen-Forwarded-Host: ${req.headers["x-forwarded-host"]}\r\n\r\n`,
      );
      if (head.length > 0) socket.write(head);
      socket.pipe(socket);
    });
    const edge = await edgeFor(targetFor(up, "dpl-ws"));
    const key = Buffer.from("0123456789abcdef").toString("base64");
    const client = request({
      host: "127.0.0.1",
      port: edge.port,
      path: "/socket",
      headers: {
        host: HOST,
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-key": key,
        "sec-websocket-version": "13",
      },
    });
    client.end();
    const [res, socket] = (await once(client, "upgrade")) as [IncomingMessage, Socket, Buffer];
    cleanups.push(() => socket.destroy());
    expect(res.statusCode).toBe(101);
    expect(res.headers["sec-websocket-accept"]).toBe(
      createHash("sha1")
        .update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
        .digest("base64"),
    );
    expect(res.headers["x-seen-forwarded-host"]).toBe(HOST);
    expect(edge.inflight("dpl-ws")).toBe(1);
    // A masked text frame "hi"; the upstream echoes the bytes back.
    const mask = Buffer.from([1, 2, 3, 4]);
    const frame = Buffer.from([0x81, 0x82, ...mask, "h".charCodeAt(0) ^ 1, "i".charCodeAt(0) ^ 2]);
    socket.write(frame);
    const [echoed] = (await once(socket, "data")) as [Buffer];
    expect(echoed.equals(frame)).toBe(true);
    socket.destroy();
    await vi.waitFor(() => expect(edge.inflight("dpl-ws")).toBe(0));
  });

  it("answers an upgrade with 502 when the upstream is down", async () => {
    const up = await upstream(() => {});
    const port = (up.address() as AddressInfo).port;
    await new Promise((done) => up.close(done));
    const edge = await edgeFor(targetFor(port));
    const client = request({
      host: "127.0.0.1",
      port: edge.port,
      headers: { host: HOST, connection: "Upgrade", upgrade: "websocket" },
    });
    client.end();
    const [res] = (await once(client, "response")) as [IncomingMessage];
    res.resume();
    expect(res.statusCode).toBe(502);
  });
});
