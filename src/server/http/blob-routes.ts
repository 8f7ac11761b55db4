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
import { ownBlobs, requireStorage, teamStorageBytes } from "../deploy/garbage.js";
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
    const owned = await server.db
      .selectFrom("team_blobs")
      .select("size")
      .where("team_id", "=", team.id)
      .where("sha256", "=", sha256)
      .executeTakeFirst();
    // A new blob must fit the team's quota: checked against its declared length, and while
    // it streams when it declares none.
    let room = max;
    if (!owned) {
      const quota = server.deploy.teamQuotaBytes;
      room = Math.min(max, quota - (await teamStorageBytes(server.db, team.id)));
      if (Number.isInteger(declared)) await requireStorage(server.db, team.id, declared, quota);
    }
    const { size } = await server.deploy.blobs
      .put(sha256, Readable.fromWeb(body as unknown as NodeWebStream), {
        maxBytes: Math.max(0, room),
        ...(Number.isInteger(declared) ? { expectedSize: declared } : {}),
      })
      .catch(async (err: unknown) => {
        if ((err as HostingError).code === "payload_too_large" && room < max) {
          await requireStorage(server.db, team.id, max, server.deploy.teamQuotaBytes);
        }
        throw err;
      });
    await ownBlobs(server.db, team.id, [{ sha256, size }]);
    return c.json(op.output.parse({ sha256, size }));
  });
}
