import {
  Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type ServerResponse,
} from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type ErrorPages, rawErrorResponse, sendErrorPage } from "./pages.js";
import type { ServerTarget } from "./target.js";

export interface ReverseProxyOptions {
  pages: ErrorPages;
  /** No bytes from the upstream for this long → 504 (or a cut response once headers went out). */
  upstreamTimeoutMs: number;
  /** Per upstream; enough for a busy site on one machine, small enough not to exhaust file descriptors. */
  maxSocketsPerUpstream?: number;
}

export interface ReverseProxy {
  /** Forwards one request; the response is finished (or destroyed) by the proxy. */
  forward(req: IncomingMessage, res: ServerResponse, target: ServerTarget): void;
  /** Tunnels an `Upgrade` request (WebSocket); `onClose` runs once when both sides are gone. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: ServerTarget, onClose: () => void): void;
  /** Closes pooled upstream connections and open tunnels. */
  close(): void;
}

// RFC 7230 §6.1, plus the de-facto proxy-connection; header names arrive lower-cased.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

class UpstreamTimeout extends Error {}

export function createReverseProxy(options: ReverseProxyOptions): ReverseProxy {
  const { pages, upstreamTimeoutMs } = options;
  const maxSockets = options.maxSocketsPerUpstream ?? 256;
  const agents = new Map<string, Agent>();
  const tunnels = new Set<Socket | Duplex>();

  function agentFor(host: string, port: number): Agent {
    const key = host + ":" + port;
    let agent = agents.get(key);
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: 64, scheduling: "lifo" });
      agents.set(key, agent);
    }
    return agent;
  }

  function forward(req: IncomingMessage, res: ServerResponse, target: ServerTarget): void {
    const { host, port } = target.upstream;
    const upstreamReq = request({
      agent: agentFor(host, port),
      host,
      port,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req, false),
    });
    upstreamReq.setTimeout(upstreamTimeoutMs, () => upstreamReq.destroy(new UpstreamTimeout()));
    upstreamReq.on("response", (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, responseHeaders(upstreamRes.headers));
      // pipe(), not pipeline(): on Node 20 each pipeline allocates an AbortController and a
      // DOMException, a measurable cost per proxied request; errors are handled here instead.
      upstreamRes.on("error", () => res.destroy());
      upstreamRes.pipe(res);
    });
    upstreamReq.on("error", (error) => {
      if (res.destroyed) return;
      if (res.headersSent) res.destroy();
      else if (error instanceof UpstreamTimeout) sendErrorPage(res, 504, pages["gateway-timeout"]);
      else sendErrorPage(res, 502, pages["bad-gateway"]);
    });
    // The visitor went away before we answered: stop the upstream work too.
    res.on("close", () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    if (hasNoBody(req)) {
      upstreamReq.end();
      return;
    }
    // pipe(), not pipeline(): an upstream failure must not tear down the visitor's socket before the 502.
    req.pipe(upstreamReq);
  }

  function upgrade(
    req: IncomingMessage,
    client: Duplex,
    head: Buffer,
    target: ServerTarget,
    onClose: () => void,
  ): void {
    const upstream = connect(target.upstream.port, target.upstream.host);
    let connected = false;
    let closed = 0;
    const closeOne = () => {
      if (++closed === 2) onClose();
    };
    tunnels.add(client);
    tunnels.add(upstream);
    client.once("close", () => {
      tunnels.delete(client);
      upstream.destroy();
      closeOne();
    });
    upstream.once("close", () => {
      tunnels.delete(upstream);
      if (connected) client.destroy();
      closeOne();
    });
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => {
      if (!connected) client.end(rawErrorResponse(502, "Bad Gateway", pages["bad-gateway"]));
      else client.destroy();
    });
    // Only the connect is timed: an open WebSocket may rightly stay quiet for hours.
    upstream.setTimeout(upstreamTimeoutMs, () => {
      if (connected) return;
      client.end(rawErrorResponse(504, "Gateway Timeout", pages["gateway-timeout"]));
      upstream.destroy();
    });
    upstream.once("connect", () => {
      connected = true;
      upstream.setTimeout(0);
      upstream.setNoDelay(true);
      upstream.write(requestHead(req));
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
  }

  function close(): void {
    for (const agent of agents.values()) agent.destroy();
    agents.clear();
    for (const socket of tunnels) socket.destroy();
    tunnels.clear();
  }

  return { forward, upgrade, close };
}

/** A request that declares no body (most GETs): end the upstream request instead of piping. */
function hasNoBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0");
}

/** Request headers for the upstream: hop-by-hop dropped (kept for upgrades), Host kept, X-Forwarded-* added. */
function forwardedHeaders(req: IncomingMessage, upgrading: boolean): OutgoingHttpHeaders {
  const incoming = req.headers;
  const listed = connectionListed(incoming.connection);
  const headers: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) && !(upgrading && (name === "connection" || name === "upgrade"))) continue;
    if (listed?.has(name) && !upgrading) continue;
    headers[name] = incoming[name];
  }
  const socket = req.socket;
  const address = socket.remoteAddress ?? "";
  const prior = incoming["x-forwarded-for"];
  headers["x-forwarded-for"] = prior ? prior + ", " + address : address;
  headers["x-forwarded-proto"] = (socket as { encrypted?: boolean }).encrypted ? "https" : "http";
  if (incoming.host !== undefined) headers["x-forwarded-host"] = incoming.host;
  headers["x-forwarded-port"] = String(socket.localPort ?? "");
  return headers;
}

function responseHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionListed(incoming.connection);
  const headers: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    headers[name] = incoming[name];
  }
  return headers;
}

/** Headers named in `Connection` are hop-by-hop too; the common "keep-alive"/"close" values name none worth tracking. */
function connectionListed(value: string | undefined): Set<string> | null {
  if (!value || value === "keep-alive" || value === "close") return null;
  const names = new Set<string>();
  for (const part of value.split(",")) names.add(part.trim().toLowerCase());
  return names;
}

function requestHead(req: IncomingMessage): string {
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  const headers = forwardedHeaders(req, true);
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) for (const item of value) head += `${name}: ${item}\r\n`;
    else if (value !== undefined) head += `${name}: ${value}\r\n`;
  }
  return head + "\r\n";
}
