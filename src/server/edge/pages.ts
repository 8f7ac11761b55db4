import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";

/** The edge's own error pages; the HTML lives in `pages/*.html` next to this file. */
export type ErrorPageName =
  | "unknown-host"
  | "no-deployment"
  | "not-found"
  | "method-not-allowed"
  | "bad-gateway"
  | "gateway-timeout"
  | "app-failed"
  | "bad-request"
  | "internal-error";

export type ErrorPages = Readonly<Record<ErrorPageName, Buffer>>;

const NAMES: readonly ErrorPageName[] = [
  "unknown-host",
  "no-deployment",
  "not-found",
  "method-not-allowed",
  "bad-gateway",
  "gateway-timeout",
  "app-failed",
  "bad-request",
  "internal-error",
];

// From source the pages sit in ./pages; the bundle copies them to dist/edge-pages (cli.js or a chunk).
const FOLDERS = ["./pages/", "./edge-pages/", "../edge-pages/"];

let loading: Promise<ErrorPages> | undefined;

/** Reads every page once per process; later calls share the same buffers. */
export function loadErrorPages(): Promise<ErrorPages> {
  loading ??= readAll().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function readAll(): Promise<ErrorPages> {
  for (const folder of FOLDERS) {
    const base = new URL(folder, import.meta.url);
    try {
      const bodies = await Promise.all(NAMES.map((name) => readFile(new URL(`${name}.html`, base))));
      return Object.fromEntries(NAMES.map((name, i) => [name, bodies[i]])) as unknown as ErrorPages;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  throw new Error(`edge error pages not found (looked in ${FOLDERS.join(", ")} beside ${import.meta.url})`);
}

/** Ends `res` with one of the pages; HEAD gets the headers only. */
export function sendErrorPage(
  res: ServerResponse,
  status: number,
  page: Buffer,
  headers?: Readonly<Record<string, string>>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    ...headers,
    "content-type": "text/html; charset=utf-8",
    "content-length": page.length,
    "cache-control": "no-store",
  });
  res.end(res.req.method === "HEAD" ? undefined : page);
}

/** A whole HTTP/1.1 response carrying a page, for sockets that never became a ServerResponse (upgrades). */
export function rawErrorResponse(status: number, reason: string, page: Buffer): Buffer {
  const head =
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/html; charset=utf-8\r\n` +
    `content-length: ${page.length}\r\nconnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), page]);
}
