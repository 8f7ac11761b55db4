// POST /mcp: the binding's tools over streamable HTTP for MCP clients that cannot spawn a
// process (mesh cloud workspaces). Bearer auth only; each tool call then goes through this
// app in-process with the caller's token, so it passes the same access gate as /v1.
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HostingClient } from "../../api/client.js";
import { HostingError } from "../../api/errors.js";
import { createHttpTransport } from "../../api/transports.js";
import { TEAM_HEADER } from "../auth/access-middleware.js";
import { authenticate } from "../auth/authenticate.js";
import type { AppEnv, ServerContext } from "../context.js";
import { SERVER_VERSION } from "../version.js";
import { MAX_JSON_BODY_BYTES, payloadTooLarge } from "./errors.js";

export const MCP_PATH = "/mcp";

export function registerMcpRoute(app: Hono<AppEnv>, server: ServerContext): void {
  const limit = bodyLimit({ maxSize: MAX_JSON_BODY_BYTES, onError: payloadTooLarge });
  app.all(MCP_PATH, limit, async (c) => {
    if (c.req.method !== "POST") {
      c.header("Allow", "POST");
      throw new HostingError(
        "invalid_input",
        `${c.req.method} ${MCP_PATH} is not served: this MCP endpoint is stateless`,
        {
          hint: "Send MCP messages as POST requests (streamable HTTP without sessions)",
          status: 405,
        },
      );
    }
    const authorization = c.req.header("authorization");
    // a browser session is not accepted here: an MCP client always sends its token
    await authenticate(server.db, { authorization, sessionToken: undefined, csrfToken: undefined, method: "POST" });
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
    const client = new HostingClient(
      createHttpTransport({
        baseUrl: "http://in-process",
        fetch: (url, init) => Promise.resolve(app.fetch(new Request(url, init))),
        getToken: () => token,
        team: c.req.header(TEAM_HEADER)?.trim() || undefined,
        userAgent: `deco-hosting-mcp/${SERVER_VERSION}`,
      }),
    );
    // the MCP SDK loads on the first MCP request, not with the server
    const { handleMcpHttpRequest } = await import("../../mcp/http.js");
    return handleMcpHttpRequest(c.req.raw, { client, version: SERVER_VERSION });
  });
}
