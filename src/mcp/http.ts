// The MCP tools over streamable HTTP, stateless: each POST gets a fresh server and transport
// on Web-standard Request/Response, closed when its response has been sent (or the client left).
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { createMcpServer, type McpServerOptions } from "./server.js";

/** Answers one MCP request; a local directory is never offered (the caller's disk is not ours). */
export async function handleMcpHttpRequest(
  request: Request,
  opts: Omit<McpServerOptions, "localFiles">,
): Promise<Response> {
  const server = createMcpServer({ ...opts, localFiles: false });
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    void server.close().catch(() => {});
  };
  request.signal.addEventListener("abort", close, { once: true });
  await server.connect(transport);
  const response = await transport.handleRequest(request);
  if (!response.body) {
    close();
    return response;
  }
  const body = response.body.pipeThrough(new TransformStream({ flush: close }));
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
