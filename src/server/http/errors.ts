// Every failure leaves the API as `{ error: { code, message, hint?, details? } }`: thrown
// HostingErrors keep their code; anything else is a bug, logged here and answered as 500.
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HostingError, isHostingError } from "../../api/errors.js";
import { HINT } from "../hints.js";

export function errorResponse(c: Context, err: HostingError): Response {
  if (err.status === 401) c.header("WWW-Authenticate", 'Bearer realm="deco-hosting"');
  return c.json(err.toJSON(), err.status as 400);
}

export function apiErrorHandler(log: (line: string) => void): ErrorHandler {
  return (err, c) => {
    if (isHostingError(err)) return errorResponse(c, err as HostingError);
    if (isDiskFull(err)) return errorResponse(c, diskFull());
    log(
      `internal error on ${c.req.method} ${c.req.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    return errorResponse(
      c,
      new HostingError("internal", "the server failed to handle this request", {
        hint: "This is a bug in the server; its log has the details",
      }),
    );
  };
}

/** SQLite or the file system ran out of space. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT";
}

export function diskFull(): HostingError {
  return new HostingError("insufficient_storage", "the server's disk is full; nothing was changed", {
    hint: "Free space where the server keeps its data (its --data-dir), then try again",
  });
}

export const routeNotFound: NotFoundHandler = (c) =>
  errorResponse(c, new HostingError("not_found", `no route for ${c.req.method} ${c.req.path}`, { hint: HINT.routes }));

export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** bodyLimit's onError: the body is left unread, so the connection cannot be reused. */
export function payloadTooLarge(c: Context): never {
  c.header("Connection", "close");
  throw new HostingError("payload_too_large", `the request body is larger than ${MAX_JSON_BODY_BYTES} bytes`, {
    hint: "Send a smaller body; files go to the blob upload, not in JSON",
  });
}
