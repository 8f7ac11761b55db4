import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { posix } from "node:path";
import { pipeline } from "node:stream";
import { contentTypeFor, extensionOf } from "./content-type.js";
import { type ErrorPages, sendErrorPage } from "./pages.js";
import type { StaticFile, StaticTarget } from "./target.js";

const CACHE_CONTROL = "public, max-age=0, must-revalidate";
const ALLOW = "GET, HEAD";

interface Found {
  path: string;
  file: StaticFile;
  status: 200 | 404;
}

/** Answers a GET or HEAD from a static deployment; only files listed in `target.files` are ever read. */
export function serveStatic(req: IncomingMessage, res: ServerResponse, target: StaticTarget, pages: ErrorPages): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    sendErrorPage(res, 405, pages["method-not-allowed"], { allow: ALLOW });
    return;
  }
  const path = requestPath(req.url ?? "/");
  const found = path === null ? notFoundPage(target.files) : lookup(target, path);
  if (!found) {
    sendErrorPage(res, 404, pages["not-found"]);
    return;
  }
  sendFile(req, res, target, found, pages);
}

/** The decoded, normalised path of a request target, or `null` when it cannot name a file. */
export function requestPath(url: string): string | null {
  const query = url.indexOf("?");
  const raw = query === -1 ? url : url.slice(0, query);
  if (raw[0] !== "/") return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  // normalize() resolves "." and ".." without ever climbing above "/".
  return posix.normalize(decoded);
}

function lookup(target: StaticTarget, path: string): Found | null {
  const files = target.files;
  const candidates = path.endsWith("/") ? [path + "index.html"] : [path, path + ".html", path + "/index.html"];
  for (const candidate of candidates) {
    const file = files.get(candidate);
    if (file) return { path: candidate, file, status: 200 };
  }
  if (target.spaFallback && extensionOf(path) === "") {
    const index = files.get("/index.html");
    if (index) return { path: "/index.html", file: index, status: 200 };
  }
  return notFoundPage(files);
}

function notFoundPage(files: StaticTarget["files"]): Found | null {
  const file = files.get("/404.html");
  return file ? { path: "/404.html", file, status: 404 } : null;
}

function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  target: StaticTarget,
  found: Found,
  pages: ErrorPages,
): void {
  const { file, status } = found;
  const etag = `"${file.sha256}"`;
  res.setHeader("content-type", contentTypeFor(found.path));
  res.setHeader("etag", etag);
  res.setHeader("cache-control", CACHE_CONTROL);
  if (status === 200) {
    res.setHeader("accept-ranges", "bytes");
    if (matchesEtag(req.headers["if-none-match"], etag)) {
      res.writeHead(304);
      res.end();
      return;
    }
  }
  let start = 0;
  let end = file.size - 1;
  let code: number = status;
  const range = status === 200 ? req.headers.range : undefined;
  if (range !== undefined) {
    const parsed = parseRange(range, file.size);
    if (parsed === "unsatisfiable") {
      res.writeHead(416, { "content-range": `bytes */${file.size}`, "content-length": 0 });
      res.end();
      return;
    }
    if (parsed) {
      [start, end] = parsed;
      code = 206;
      res.setHeader("content-range", `bytes ${start}-${end}/${file.size}`);
    }
  }
  const length = end - start + 1;
  res.setHeader("content-length", length);
  if (req.method === "HEAD" || length === 0) {
    res.writeHead(code);
    res.end();
    return;
  }
  const stream = createReadStream(target.blobPath(file.sha256), { start, end });
  stream.once("open", () => {
    res.writeHead(code);
    pipeline(stream, res, () => {});
  });
  stream.once("error", () => {
    // A blob missing from the store is our fault, not the visitor's: a 500, and the stream is closed.
    if (!res.headersSent) {
      res.removeHeader("etag");
      res.removeHeader("accept-ranges");
      res.removeHeader("content-range");
      sendErrorPage(res, 500, pages["internal-error"]);
    }
  });
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  for (const part of header.split(",")) {
    const tag = part.trim();
    if (tag === etag || (tag.startsWith("W/") && tag.slice(2) === etag)) return true;
  }
  return false;
}

/**
 * A single `bytes=` range as inclusive [start, end]; `null` to ignore the header (malformed or
 * multi-range, answered with the whole file), "unsatisfiable" for a 416.
 */
export function parseRange(header: string, size: number): [number, number] | null | "unsatisfiable" {
  if (!header.startsWith("bytes=") || header.includes(",")) return null;
  const spec = header.slice(6).trim();
  const dash = spec.indexOf("-");
  if (dash === -1) return null;
  const first = spec.slice(0, dash);
  const last = spec.slice(dash + 1);
  if (!/^\d*$/.test(first) || !/^\d*$/.test(last) || (first === "" && last === "")) return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size) return "unsatisfiable";
  if (end < start) return null;
  return [start, end];
}
