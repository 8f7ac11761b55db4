// `server` runs the hosting server in the foreground; `server start|stop|status` manage the
// local background daemon that commands use when no API is configured.
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { HostingError } from "../api/errors.js";
import type { LocalIsolation, LocalServerPaths } from "../auth/local-server.js";
import type { CommandContext } from "./context.js";
import type { Output } from "./output.js";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError("expected a port number (0 for any free port)");
  return n;
}

export interface ServerOptions {
  dataDir?: string;
  port?: number;
  edgePort?: number;
  allowLocalGit?: boolean;
  host?: string;
  publicUrl?: string;
  ownerEmail?: string;
  stateFile?: string;
  localTokenFile?: string;
  /** commander's name for --no-sandbox: false when it was passed. */
  sandbox?: boolean;
  sitesDomain?: string;
  edgeHost?: string;
}

function domain(value: string): string {
  const d = value.toLowerCase().replace(/\.$/, "");
  const label = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
  if (d.length > 253 || !new RegExp(`^(${label}\\.)*${label}$`).test(d)) {
    throw new InvalidArgumentError("expected a domain name such as sites.example.com");
  }
  return d;
}

export function register(program: Command, ctx: CommandContext): void {
  const server = program
    .command("server")
    .description("Run the hosting server in the foreground, or manage the local background server")
    .option("--data-dir <dir>", "where the server keeps its state (default $XDG_DATA_HOME/deco-hosting)")
    .option("--port <port>", "port to listen on; 0 for any free port (default 4700)", port)
    .option("--edge-port <port>", "port where sites are served as <site>.localhost; 0 for any (default 4701)", port)
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option(
      "--sites-domain <domain>",
      "serve sites at <site>.<domain> (a wildcard DNS record points there; default localhost)",
      domain,
    )
    .option("--edge-host <addr>", "address the sites' edge listens on (default 127.0.0.1)")
    .option("--public-url <url>", "URL people reach this server at, for links")
    .option("--owner-email <email>", "email of the owner created on first start")
    .option("--state-file <file>", "where to write {pid,url,port} while running (default <data-dir>/server.json)")
    .option("--local-token-file <file>", "write an owner API key there (0600) on first start; off unless given")
    .option("--allow-local-git", "let deployments clone file:// git URLs (this machine's repositories)")
    .option(
      "--no-sandbox",
      "run builds and apps without bubblewrap, as this user (only where you trust every deployer)",
    )
    .action(async (opts: ServerOptions, cmd: Command) => {
      const out = await ctx.output(cmd);
      await runServer(opts, { out, env: ctx.env, onInterrupt: (fn) => ctx.onInterrupt(fn) });
    });
  server
    .command("start")
    .description("Start the local server in the background (commands start it on demand anyway)")
    .action(async (_opts, cmd: Command) =>
      runServerStart(
        { port: cmd.optsWithGlobals<ServerOptions>().port },
        { out: await ctx.output(cmd), paths: await localPaths(ctx, cmd) },
      ),
    );
  server
    .command("stop")
    .description("Stop the local background server (SIGTERM, then SIGKILL after 10 s)")
    .action(async (_opts, cmd: Command) =>
      runServerStop({}, { out: await ctx.output(cmd), paths: await localPaths(ctx, cmd) }),
    );
  server
    .command("status")
    .description("Show whether the local background server runs, and where")
    .action(async (_opts, cmd: Command) =>
      runServerStatus({}, { out: await ctx.output(cmd), paths: await localPaths(ctx, cmd) }),
    );
}

/** The daemon's files; `--data-dir` and `--port` of `server` apply to its subcommands too. */
async function localPaths(ctx: CommandContext, cmd: Command): Promise<LocalServerPaths> {
  const [{ localServerPaths }, { dataDir }] = await Promise.all([
    import("../auth/local-server.js"),
    import("../auth/paths.js"),
  ]);
  return localServerPaths(cmd.optsWithGlobals<ServerOptions>().dataDir ?? dataDir(ctx.env));
}

export interface ServerDeps {
  out: Output;
  env: NodeJS.ProcessEnv;
  onInterrupt(handler: () => void): void;
}

export async function runServer(opts: ServerOptions, { out, env, onInterrupt }: ServerDeps): Promise<void> {
  const [{ startServer }, { localServerPaths, DEFAULT_LOCAL_PORT, DEFAULT_EDGE_PORT }, { dataDir }] = await Promise.all(
    [import("../server/index.js"), import("../auth/local-server.js"), import("../auth/paths.js")],
  );
  const paths = localServerPaths(opts.dataDir ?? dataDir(env));
  const listenPort = opts.port ?? DEFAULT_LOCAL_PORT;
  const edgePort = opts.edgePort ?? DEFAULT_EDGE_PORT;
  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer({
      dataDir: paths.dataDir,
      port: listenPort,
      edgePort,
      allowFileGitUrls: opts.allowLocalGit ?? false,
      host: opts.host,
      publicUrl: opts.publicUrl,
      ownerEmail: opts.ownerEmail,
      stateFile: opts.stateFile ?? paths.stateFile,
      // A shared server's owner key is not written to disk unless asked; the embedded
      // default asks for it (auth/local-server.ts).
      ...(opts.localTokenFile ? { localTokenFile: opts.localTokenFile } : {}),
      noSandbox: opts.sandbox === false,
      ...(opts.sitesDomain ? { baseDomain: opts.sitesDomain } : {}),
      ...(opts.edgeHost ? { edgeHost: opts.edgeHost } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      const which = String((err as Error).message).includes(`:${edgePort}`) ? "--edge-port" : "--port";
      const taken = which === "--port" ? listenPort : edgePort;
      throw new HostingError("conflict", `port ${taken} is already in use`, {
        hint: `Pass ${which} 0 for any free port, or ${which} <n> for another one`,
      });
    }
    throw err;
  }
  const closed = new Promise<void>((resolve) => {
    const shutdown = () => {
      out.note("Stopping…");
      running.close().then(resolve, resolve);
    };
    onInterrupt(shutdown);
    process.once("SIGTERM", shutdown);
  });
  out.result(
    {
      url: running.url,
      publicUrl: running.publicUrl,
      port: running.port,
      edgePort: running.edgePort,
      dataDir: paths.dataDir,
      pid: process.pid,
      isolation: running.isolation,
    },
    (r) =>
      `deco-hosting server listening on ${out.style("cyan", r.url)}; sites at http://<site>.${opts.sitesDomain ?? "localhost"}:${r.edgePort} (data in ${r.dataDir}); ${describeIsolation(r.isolation)}; Ctrl-C stops it`,
  );
  if (running.isolation.unavailable) out.note(`Warning: ${running.isolation.unavailable}`);
  await closed;
}

export async function runServerStart(
  opts: { port?: number },
  { out, paths }: { out: Output; paths: LocalServerPaths },
) {
  const { ensureLocalServer } = await import("../auth/local-server.js");
  const { state, started } = await out.spin("Starting the local server", () =>
    ensureLocalServer(paths, { port: opts.port }),
  );
  out.result(
    { running: true, started, pid: state.pid, url: state.url, dataDir: paths.dataDir, logFile: paths.logFile },
    (r) => out.success(`${r.started ? "Started" : "Already running:"} the local server at ${r.url} (pid ${r.pid})`),
  );
}

export async function runServerStop(_opts: object, { out, paths }: { out: Output; paths: LocalServerPaths }) {
  const { stopLocalServer } = await import("../auth/local-server.js");
  const result = await out.spin("Stopping the local server", () => stopLocalServer(paths));
  out.result(result, (r) =>
    r.stopped
      ? out.success(`Stopped the local server (pid ${r.pid}${r.forced ? ", killed" : ""})`)
      : "The local server is not running",
  );
}

export async function runServerStatus(_opts: object, { out, paths }: { out: Output; paths: LocalServerPaths }) {
  const { localServerStatus } = await import("../auth/local-server.js");
  const status = await localServerStatus(paths);
  out.result(status, (s) =>
    out.fields([
      ["Status", s.running ? "running" : "not running"],
      ["URL", s.url],
      ["Sites", s.edgePort ? `http://<site>.localhost:${s.edgePort}` : null],
      ["PID", s.pid],
      ["Started", s.startedAt],
      ["Data", s.dataDir],
      ["Log", s.logFile],
      ["Isolation", s.isolation ? describeIsolation(s.isolation) : null],
    ]),
  );
}

function describeIsolation(i: LocalIsolation): string {
  if (i.unavailable) return "builds and apps cannot run: no sandbox (see the warning)";
  if (i.sandbox === "none") return "no sandbox (--no-sandbox): builds and apps run as this user";
  const parts = [`bubblewrap (${i.namespaces.join(", ")} namespaces)`];
  if (i.uidPerSite) parts.push("a uid per site");
  parts.push(i.cgroups ? `cgroup ${i.cgroups} limits` : `rlimits (${i.rlimits.join(", ")})`);
  return `sandbox: ${parts.join(", ")}`;
}
