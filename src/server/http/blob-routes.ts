// PUT /v1/blobs/{sha256}: one file's bytes, streamed to the blob store and kept only when
// they hash to the name. The team is recorded as an owner of the blob, which is what lets
// its manifests reference it.
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import type { Hono } from "hono";
import { operations } from "../../api/binding.js";
import { HostingError } from "../../api/errors.js";
import { parseWith } from "../../api/validate.js";
import { requireAccess } from "../auth/access-middleware.js";
import type { AppEnv, ServerContext } from "../context.js";
import { actingTeam } from "../handlers/handler.js";
import { honoPath } from "./routes-from-operations.js";

export function registerBlobRoutes(app: Hono<AppEnv>, server: ServerContext): void {
  const op = operations.UPLOAD_BLOB;
  app.put(honoPath(op.http.path), requireAccess(server, op), async (c) => {
    const { sha256 } = parseWith(op.input, { sha256: c.req.param("sha256") }, "blob name");
    const { team } = actingTeam({
      server,
      access: c.get("access"),
      request: c.req.raw,
      stillAllowed: c.get("stillAllowed"),
    });
    const max = server.deploy.limits.maxFileBytes;
    const declared = Number(c.req.header("content-length") ?? Number.NaN);
    if (declared > max) {
      c.header("connection", "close");
      throw new HostingError("payload_too_large", `the file is ${declared} bytes; the limit is ${max}`, {
        hint: "Keep large assets elsewhere, or list the file in .decohostingignore",
      });
    }
    const body = c.req.raw.body;
    if (!body) throw new HostingError("invalid_input", "the request has no body", { hint: "Send the file's bytes" });
    const { size } = await server.deploy.blobs.put(sha256, Readable.fromWeb(body as unknown as NodeWebStream), {
      maxBytes: max,
      ...(Number.isInteger(declared) ? { expectedSize: declared } : {}),
    });
    await server.db
      .insertInto("team_blobs")
      .values({ team_id: team.id, sha256, size })
      .onConflict((oc) => oc.columns(["team_id", "sha256"]).doNothing())
      .execute();
    return c.json(op.output.parse({ sha256, size }));
  });
}
