import { request } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";

export interface WaitHealthyOptions {
  /** Where to probe over TCP; or `connect`, which hands over a connection to the app. */
  host?: string;
  port?: number;
  connect?: () => Promise<Socket>;
  path?: string;
  timeoutMs: number;
  /** Pause between attempts; default 100 ms. */
  intervalMs?: number;
  /** Aborting (e.g. because the process exited) rejects at once with the signal's reason. */
  signal?: AbortSignal;
}

/** Resolves once `GET path` answers with a status below 500; rejects on timeout or abort. */
export async function waitHealthy(options: WaitHealthyOptions): Promise<void> {
  const { timeoutMs, signal } = options;
  const where = options.connect ? "the app" : `http://${options.host}:${options.port}`;
  const path = options.path ?? "/";
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  for (;;) {
    signal?.throwIfAborted();
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new Error(`${where}${path} was not healthy within ${timeoutMs} ms (last: ${last})`);
    }
    const status = await probe(options, path, remaining, signal).catch((error: Error) => {
      signal?.throwIfAborted();
      last = error.message;
      return null;
    });
    if (status !== null) {
      if (status < 500) return;
      last = `HTTP ${status}`;
    }
    await pause(Math.min(intervalMs, Math.max(0, deadline - Date.now())), signal);
  }
}

function probe(to: WaitHealthyOptions, path: string, timeoutMs: number, signal?: AbortSignal): Promise<number> {
  const { connect } = to;
  const createConnection = connect
    ? (_: unknown, done: (error: Error | null, socket: Duplex) => void) => {
        connect().then(
          (socket) => done(null, socket),
          (error: Error) => done(error, undefined as unknown as Duplex),
        );
        return undefined;
      }
    : undefined;
  return new Promise((resolve, reject) => {
    // With no agent, createConnection opens the one connection each probe uses.
    const target = connect
      ? { createConnection, headers: { host: "localhost" } }
      : { host: to.host ?? "127.0.0.1", port: to.port, agent: false as const };
    const req = request({ ...target, path, method: "GET", timeout: timeoutMs, signal }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (error: NodeJS.ErrnoException) => reject(new Error(error.code ?? error.message)));
    req.end();
  });
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", aborted, { once: true });
  });
}
