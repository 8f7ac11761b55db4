// Registers one route per operation of the contract: the access gate, then the input
// (path params + query for GET/DELETE, path params + JSON body otherwise) validated by the
// operation's schema, then its handler. The handler's answer is checked against the output schema.
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type Operation, operations, pathParams } from "../../api/binding.js";
import { HostingError } from "../../api/errors.js";
import { parseWith } from "../../api/validate.js";
import { requireAccess } from "../auth/access-middleware.js";
import type { AppEnv, ServerContext } from "../context.js";
import type { Handler, HandlerTable } from "../handlers/index.js";
import { MAX_JSON_BODY_BYTES, payloadTooLarge } from "./errors.js";

export function registerOperationRoutes(app: Hono<AppEnv>, server: ServerContext, handlers: HandlerTable): void {
  const limit = bodyLimit({ maxSize: MAX_JSON_BODY_BYTES, onError: payloadTooLarge });
  for (const op of Object.values(operations) as Operation[]) {
    if (op.binaryBody) continue; // streamed routes register themselves (blob-routes.ts)
    const handler = (handlers as Record<string, Handler<never> | undefined>)[op.name];
    app.on(op.http.method, honoPath(op.http.path), limit, requireAccess(server, op), async (c) => {
      if (!handler) throw notImplemented(op);
      const input = parseWith(op.input, await rawInput(c, op), `input for ${op.name}`);
      const context = { server, access: c.get("access"), request: c.req.raw, stillAllowed: c.get("stillAllowed") };
      const output = await handler(context, input as never);
      if (output instanceof Response) return output;
      return c.json(op.output.parse(output) as object);
    });
  }
}

/** `/v1/sites/{siteName}` → `/v1/sites/:siteName` */
export function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}

async function rawInput(c: Context<AppEnv>, op: Operation): Promise<Record<string, unknown>> {
  const params: Record<string, string> = {};
  for (const p of pathParams(op.http.path)) params[p] = c.req.param(p) ?? "";
  if (op.http.method === "GET" || op.http.method === "DELETE") return { ...c.req.query(), ...params };
  return { ...(await jsonBody(c)), ...params };
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HostingError("invalid_input", "malformed JSON body", {
      hint: "Send a JSON object with Content-Type: application/json",
    });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HostingError("invalid_input", "the JSON body must be an object", {
      hint: "Send the operation's fields as a JSON object; see /openapi.json",
    });
  }
  return body as Record<string, unknown>;
}

function notImplemented(op: Operation): HostingError {
  return new HostingError("not_implemented", `${op.name} is not implemented by this server yet`, {
    hint: "This server version does not serve this operation yet; upgrade deco-hosting when it does",
    details: { operation: op.name },
  });
}
