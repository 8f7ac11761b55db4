// mcp: the binding's tools as an MCP server on stdio. stdout carries nothing but protocol;
// notes (e.g. the local server starting) go to stderr. Auth is every command's (ctx.clientDeps).
import type { Command } from "commander";
import type { CommandContext } from "./context.js";
import { CLI_VERSION } from "./version.js";

export interface McpOptions {
  readOnly?: boolean;
  site?: string;
}

export function register(program: Command, ctx: CommandContext): void {
  // `mcp install` (another file) hangs off the same command, whichever registers first
  const mcp = program.commands.find((c) => c.name() === "mcp") ?? program.command("mcp");
  mcp
    .description("Serve the hosting tools to an MCP client over stdio")
    .option("--read-only", "expose only tools that change nothing")
    .option("--site <name>", "default site for tools that take siteName")
    .addHelpText("after", "\nThe team is the global --team (sent as X-Deco-Team); auth is the CLI's.")
    .action(async (opts: McpOptions, cmd: Command) => {
      const deps = await ctx.clientDeps(cmd);
      await serveStdio(opts, deps.client);
    });
}

/** Serves until the client closes stdin (or the process is interrupted). */
export async function serveStdio(opts: McpOptions, client: import("../api/client.js").HostingClient): Promise<void> {
  const [{ createMcpServer }, { StdioServerTransport }] = await Promise.all([
    import("../mcp/server.js"),
    import("@modelcontextprotocol/sdk/server/stdio.js"),
  ]);
  const server = createMcpServer({
    client,
    version: CLI_VERSION,
    readOnly: opts.readOnly,
    site: opts.site,
    localFiles: true,
  });
  // stdout is the protocol's: a stray console.log from any library would corrupt it
  console.log = console.info = console.debug = console.error;
  const closed = new Promise<void>((resolve) => {
    server.onclose = resolve;
  });
  await server.connect(new StdioServerTransport());
  // the transport does not notice the end of stdin by itself
  process.stdin.once("end", () => void server.close());
  await closed;
}
