import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { type EdgeHost, parseEdgeHost } from "./host.js";
import { InflightCounter } from "./inflight.js";
import { loadErrorPages, rawErrorResponse, sendErrorPage } from "./pages.js";
import { createReverseProxy } from "./proxy.js";
import { serveStatic } from "./static.js";
import type { EdgeTarget } from "./target.js";

/** One finished request, for the metrics pipeline. */
export interface EdgeRequestMetric {
  site: string | null;
  label: string | null;
  targetKey: string | null;
  method: string;
  /** The request path without its query string. */
  path: string;
  status: number;
  /** Bytes written to the visitor's connection for this response, headers included. */
  bytes: number;
  durationMs: number;
  /** The edge cache does not exist yet: always `null` for now. */
  cache: "hit" | "miss" | null;
  /** Epoch milliseconds when the request arrived. */
  at: number;
}

export interface EdgeServerOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  baseDomain?: string;
  /** Which deployment answers this host; `null` when none is serving the site. */
  resolve(parsed: EdgeHost, req: IncomingMessage): Promise<EdgeTarget | null>;
  onRequestDone?(metric: EdgeRequestMetric): void;
  /** Serve HTTPS instead of HTTP (certificates and SNI come from the caller). */
  tls?: HttpsServerOptions;
  /** Idle time allowed to an upstream before a 504; default 60 s. */
  upstreamTimeoutMs?: number;
  /** How long a visitor may take to send its request headers; default 20 s. */
  headersTimeoutMs?: number;
  /** How long a visitor may take to send its whole request; default 300 s. */
  requestTimeoutMs?: number;
}

export interface EdgeServer {
  port: number;
  url: string;
  /** Open requests and tunnels for a target key; drain to 0 before stopping a target. */
  inflight(key: string): number;
  /** Stops listening and closes every connection, pooled upstream sockets and tunnels. */
  close(): Promise<void>;
}

/** Starts the edge: one port, routed by Host header to static or server targets. */
export async function createEdgeServer(options: EdgeServerOptions): Promise<EdgeServer> {
  const { resolve, onRequestDone } = options;
  const host = options.host ?? "127.0.0.1";
  const baseDomain = options.baseDomain ?? "localhost";
  const pages = await loadErrorPages();
  const inflight = new InflightCounter();
  const proxy = createReverseProxy({ pages, upstreamTimeoutMs: options.upstreamTimeoutMs ?? 60_000 });

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now();
    const started = performance.now();
    const socket = req.socket;
    const bytesBefore = socket.bytesWritten;
    const parsed = parseEdgeHost(req.headers.host, baseDomain);
    let targetKey: string | null = null;
    res.once("close", () => {
      if (targetKey !== null) inflight.leave(targetKey);
      onRequestDone?.({
        site: parsed?.site ?? null,
        label: parsed?.label ?? null,
        targetKey,
        method: req.method ?? "GET",
        path: pathOf(req.url),
        status: res.statusCode,
        bytes: socket.bytesWritten - bytesBefore,
        durationMs: performance.now() - started,
        cache: null,
        at,
      });
    });
    if (hostCount(req.rawHeaders) > 1) {
      // Which Host wins differs between parsers: never guess which site a request is for.
      res.shouldKeepAlive = false;
      sendErrorPage(res, 400, pages["bad-request"]);
      return;
    }
    if (!parsed) {
      sendErrorPage(res, 404, pages["unknown-host"]);
      return;
    }
    resolve(parsed, req).then(
      (target) => {
        if (res.destroyed) return;
        if (!target) {
          sendErrorPage(res, 404, pages["no-deployment"]);
          return;
        }
        if (target.kind === "unavailable") {
          sendErrorPage(res, 503, pages["app-failed"], { "retry-after": "60" });
          return;
        }
        targetKey = target.key;
        inflight.enter(targetKey);
        if (target.kind === "static") serveStatic(req, res, target, pages);
        else proxy.forward(req, res, target);
      },
      () => sendErrorPage(res, 500, pages["internal-error"]),
    );
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    if (hostCount(req.rawHeaders) > 1) {
      socket.end(rawErrorResponse(400, "Bad Request", pages["bad-request"]));
      return;
    }
    const parsed = parseEdgeHost(req.headers.host, baseDomain);
    const targetPromise = parsed ? resolve(parsed, req) : Promise.resolve(null);
    targetPromise.then(
      (target) => {
        if (socket.destroyed) return;
        if (target?.kind === "unavailable") {
          socket.end(rawErrorResponse(503, "Service Unavailable", pages["app-failed"]));
          return;
        }
        if (target?.kind !== "server") {
          const page = !parsed ? "unknown-host" : target ? "not-found" : "no-deployment";
          socket.end(rawErrorResponse(404, "Not Found", pages[page]));
          return;
        }
        const key = target.key;
        inflight.enter(key);
        proxy.upgrade(req, socket, head, target, () => inflight.leave(key));
      },
      () => socket.end(rawErrorResponse(500, "Internal Server Error", pages["internal-error"])),
    );
  };

  // A visitor gets this long to send its headers and its whole request; slower ones are cut
  // (checked every second), so idle half-open connections cannot pile up.
  const limits = {
    headersTimeout: options.headersTimeoutMs ?? 20_000,
    requestTimeout: options.requestTimeoutMs ?? 300_000,
    connectionsCheckingInterval: 1000,
  };
  const server: Server = options.tls
    ? createHttpsServer({ ...options.tls, ...limits }, onRequest)
    : createHttpServer(limits, onRequest);
  server.on("upgrade", onUpgrade);
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    const status = error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });

  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port, host, () => {
      server.off("error", fail);
      done();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls ? "https" : "http";

  return {
    port,
    url: `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`,
    inflight: (key) => inflight.get(key),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
        proxy.close();
      }),
  };
}

/** How many Host headers a request carries (Node keeps only the first in `headers`). */
function hostCount(raw: string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === "host") n++;
  }
  return n;
}

function pathOf(url: string | undefined): string {
  if (!url) return "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}
