// mcp install: adds a `deco-hosting` entry that runs `deco-hosting mcp` to an MCP client's
// config, merged into the JSON already there.
//
// Where each client reads its MCP servers:
// - Claude Code: user scope ~/.claude.json → mcpServers; project scope .mcp.json → mcpServers
//   (code.claude.com/docs/en/mcp; `claude mcp add --scope user|project` writes the same shape)
// - Claude Desktop: claude_desktop_config.json → mcpServers, in ~/Library/Application Support/Claude
//   on macOS, %APPDATA%\Claude on Windows, and $XDG_CONFIG_HOME/Claude (~/.config/Claude) on Linux
// - Cursor: ~/.cursor/mcp.json, project .cursor/mcp.json → mcpServers (cursor.com/docs/context/mcp)
import { homedir } from "node:os";
import path from "node:path";
import { type Command, Option } from "commander";
import { HostingError } from "../api/errors.js";
import type { CommandContext } from "./context.js";
import type { Output } from "./output.js";

export const MCP_SERVER_NAME = "deco-hosting";
export const CLIENTS = ["claude-code", "claude-desktop", "cursor"] as const;
export type McpClient = (typeof CLIENTS)[number];

const CLIENT_LABELS: Record<McpClient, string> = {
  "claude-code": "Claude Code",
  "claude-desktop": "Claude Desktop",
  cursor: "Cursor",
};

export interface McpInstallOptions {
  client?: McpClient;
  project?: boolean;
  readOnly?: boolean;
  site?: string;
  /** Global options the server should run with too. */
  team?: string;
  profile?: string;
  apiUrl?: string;
}

export interface McpInstallDeps {
  out: Output;
  home: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** What the client runs: node's absolute path, then the launcher's, so no global install is needed. */
  command: string;
  commandArgs: string[];
}

export interface McpServerEntry {
  type?: "stdio";
  command: string;
  args: string[];
}

/** Adds `install` to the `mcp` command (which src/commands/mcp.ts creates). */
export function registerMcpInstall(mcp: Command, ctx: CommandContext): void {
  const install = mcp
    .command("install")
    .description("Add deco-hosting to an MCP client's config (Claude Code, Claude Desktop or Cursor)")
    .addOption(new Option("--client <client>", "the MCP client (asked for on a terminal)").choices(CLIENTS))
    .option("--project", "write the project's config in this directory (Claude Code, Cursor)")
    .addHelpText(
      "after",
      `
The entry runs \`deco-hosting mcp\` with --read-only, --site, --team, --profile and
--api-url when given here. Files written (other entries are kept):
  claude-code     ~/.claude.json (--project: ./.mcp.json)
  claude-desktop  ~/.config/Claude/claude_desktop_config.json on Linux,
                  ~/Library/Application Support/Claude/… on macOS, %APPDATA%\\Claude\\… on Windows
  cursor          ~/.cursor/mcp.json (--project: ./.cursor/mcp.json)`,
    )
    .action(async (_opts, cmd: Command) => {
      const [out, { cliBin }] = await Promise.all([ctx.output(cmd), import("./package-root.js")]);
      // with globals: `mcp` itself may own --site and --read-only, and then commander gives them to it
      const { client, project, readOnly, site, team, profile, apiUrl } = cmd.optsWithGlobals<McpInstallOptions>();
      await runMcpInstall(
        { client, project, readOnly, site, team, profile, apiUrl },
        {
          out,
          home: homedir(),
          cwd: process.cwd(),
          env: ctx.env,
          platform: process.platform,
          command: process.execPath,
          commandArgs: [cliBin()],
        },
      );
    });
  // the server's own --read-only and --site are passed on; `mcp` usually declares them itself
  if (!mcp.options.some((o) => o.long === "--read-only"))
    install.option("--read-only", "expose only the tools that change nothing");
  if (!mcp.options.some((o) => o.long === "--site"))
    install.option("--site <name>", "site the tools act on by default");
}

/** The config file a client reads its MCP servers from. */
export function mcpConfigFile(
  client: McpClient,
  opts: { project?: boolean; home: string; cwd: string; env: NodeJS.ProcessEnv; platform: NodeJS.Platform },
): string {
  const { home, cwd, env, platform } = opts;
  switch (client) {
    case "claude-code":
      return opts.project ? path.join(cwd, ".mcp.json") : path.join(home, ".claude.json");
    case "cursor":
      return path.join(opts.project ? cwd : home, ".cursor", "mcp.json");
    case "claude-desktop": {
      if (opts.project) {
        throw new HostingError("invalid_input", "Claude Desktop has no per-project MCP config", {
          hint: "Drop --project to add it to Claude Desktop's own config",
        });
      }
      const dir =
        platform === "darwin"
          ? path.join(home, "Library", "Application Support")
          : platform === "win32"
            ? (env.APPDATA ?? path.join(home, "AppData", "Roaming"))
            : env.XDG_CONFIG_HOME || path.join(home, ".config");
      return path.join(dir, "Claude", "claude_desktop_config.json");
    }
  }
}

export function mcpServerEntry(client: McpClient, opts: McpInstallOptions, deps: McpInstallDeps): McpServerEntry {
  const args = [...deps.commandArgs, "mcp"];
  if (opts.readOnly) args.push("--read-only");
  if (opts.site) args.push("--site", opts.site);
  if (opts.team) args.push("--team", opts.team);
  if (opts.profile) args.push("--profile", opts.profile);
  if (opts.apiUrl) args.push("--api-url", opts.apiUrl);
  // Claude Code records the transport with each server (`claude mcp add` writes type "stdio")
  return client === "claude-code" ? { type: "stdio", command: deps.command, args } : { command: deps.command, args };
}

export async function runMcpInstall(opts: McpInstallOptions, deps: McpInstallDeps): Promise<void> {
  const { out } = deps;
  const client =
    opts.client ??
    (await (
      await import("./prompt.js")
    ).chooseOne<McpClient>(out, {
      message: "Which MCP client should run deco-hosting?",
      choices: CLIENTS.map((c) => ({ value: c, label: CLIENT_LABELS[c] })),
      missing: new HostingError(
        "invalid_input",
        "which MCP client? no --client given and this terminal cannot prompt",
        {
          hint: `Pass --client ${CLIENTS.join("|")}`,
        },
      ),
    }));
  const file = mcpConfigFile(client, { ...deps, project: opts.project });
  const entry = mcpServerEntry(client, opts, deps);

  const { readFile } = await import("node:fs/promises");
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  const config = text === null || text.trim() === "" ? {} : parseConfig(file, text);
  const servers = config.mcpServers ?? {};
  if (typeof servers !== "object" || servers === null || Array.isArray(servers)) {
    throw new HostingError("invalid_input", `"mcpServers" in ${file} is not an object`, {
      hint: `Fix "mcpServers" in ${file} by hand; nothing was written`,
    });
  }
  const previous = (servers as Record<string, unknown>)[MCP_SERVER_NAME];
  const unchanged = previous !== undefined && JSON.stringify(previous) === JSON.stringify(entry);
  if (!unchanged) {
    config.mcpServers = { ...servers, [MCP_SERVER_NAME]: entry };
    await writeJsonAtomically(file, config);
  }
  const result = {
    client,
    scope: opts.project ? "project" : "user",
    file,
    name: MCP_SERVER_NAME,
    entry,
    created: text === null,
    replaced: previous !== undefined && !unchanged,
    unchanged,
  };
  out.result(result, (r) =>
    out.success(
      r.unchanged
        ? `${CLIENT_LABELS[client]} already runs deco-hosting (${r.file})`
        : `Added deco-hosting to ${CLIENT_LABELS[client]}'s MCP servers in ${r.file}; restart ${CLIENT_LABELS[client]} to load it`,
    ),
  );
}

function parseConfig(file: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new HostingError("invalid_input", `${file} is not valid JSON (${(err as Error).message})`, {
      hint: `Fix the JSON in ${file} or move the file aside; nothing was written`,
    });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new HostingError("invalid_input", `${file} does not hold a JSON object`, {
      hint: `Fix ${file} so it holds a JSON object, or move it aside; nothing was written`,
    });
  }
  return parsed as Record<string, unknown>;
}

/** Writes through a temp file and a rename, so a client reading the file never sees half of it. */
async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  const { mkdir, rename, stat, writeFile } = await import("node:fs/promises");
  await mkdir(path.dirname(file), { recursive: true });
  const mode = await stat(file).then(
    (s) => s.mode & 0o777,
    () => 0o644,
  );
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode });
  await rename(temp, file);
}
