// Fixed-window counters in memory, for endpoints where a guess costs nothing to make: user
// codes on the verification page, device codes and refresh tokens at /oauth/token, and new
// device codes. One process's memory is enough for one server; the counts reset on restart.
import type { Context } from "hono";

export interface RateLimiter {
  /** Counts one event for `key`; false once the key is over its limit in this window. */
  take(key: string): boolean;
  /** Whether `key` is already over its limit (without counting). */
  blocked(key: string): boolean;
  /** Seconds until `key`'s window ends. */
  retryAfter(key: string): number;
}

export function createRateLimiter(limit: number, windowMs: number): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const current = (key: string) => {
    const now = Date.now();
    let w = windows.get(key);
    if (!w || now - w.start >= windowMs) {
      if (windows.size > 10_000) {
        for (const [k, v] of windows) if (now - v.start >= windowMs) windows.delete(k);
      }
      w = { start: now, count: 0 };
      windows.set(key, w);
    }
    return w;
  };
  return {
    take(key) {
      const w = current(key);
      w.count++;
      return w.count <= limit;
    },
    blocked: (key) => current(key).count >= limit,
    retryAfter(key) {
      const w = current(key);
      return Math.max(1, Math.ceil((w.start + windowMs - Date.now()) / 1000));
    },
  };
}

/** The address the request came from (the socket's peer). */
export function clientAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? "unknown";
}
