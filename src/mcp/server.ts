// One MCP server over any transport: tools/list answers the generated tool table,
// tools/call runs a tool through the SDK client. The low-level Server is used because our
// JSON Schemas come from our own zod (z.toJSONSchema), so the SDK's zod version never matters.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { HostingClient } from "../api/client.js";
import { buildTools, callTool, type Progress, type ToolOptions } from "./tools.js";

export interface McpServerOptions extends ToolOptions {
  client: HostingClient;
  version: string;
}

export function createMcpServer(opts: McpServerOptions): Server {
  const tools = buildTools(opts);
  const server = new Server(
    { name: "deco-hosting", version: opts.version },
    {
      capabilities: { tools: {} },
      instructions:
        "Hosting for sites: CREATE_SITE, then DEPLOY (it waits for the build and returns URLs), " +
        "PROMOTE_DEPLOYMENT / ROLLBACK_DEPLOYMENT to move production. A failed call returns isError " +
        'with {"error":{code,message,hint}}; the hint says what to change.',
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...tools.values()].map((t) => t.definition) }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = tools.get(request.params.name);
    if (!tool) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `unknown tool ${request.params.name}${opts.readOnly ? " (this server is read-only)" : ""}; see tools/list`,
      );
    }
    const token = request.params._meta?.progressToken;
    const progress =
      token === undefined
        ? undefined
        : (p: Progress) =>
            extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, ...p } });
    return callTool(tool, request.params.arguments ?? {}, { client: opts.client, signal: extra.signal, progress });
  });
  return server;
}
