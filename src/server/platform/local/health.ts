import { request } from "node:http";

export interface WaitHealthyOptions {
  host: string;
  port: number;
  path?: string;
  timeoutMs: number;
  /** Pause between attempts; default 100 ms. */
  intervalMs?: number;
  /** Aborting (e.g. because the process exited) rejects at once with the signal's reason. */
  signal?: AbortSignal;
}

/** Resolves once `GET path` answers with a status below 500; rejects on timeout or abort. */
export async function waitHealthy(options: WaitHealthyOptions): Promise<void> {
  const { host, port, timeoutMs, signal } = options;
  const path = options.path ?? "/";
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  for (;;) {
    signal?.throwIfAborted();
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new Error(`http://${host}:${port}${path} was not healthy within ${timeoutMs} ms (last: ${last})`);
    }
    const status = await probe(host, port, path, remaining, signal).catch((error: Error) => {
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

function probe(host: string, port: number, path: string, timeoutMs: number, signal?: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: "GET", agent: false, timeout: timeoutMs, signal }, (res) => {
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
