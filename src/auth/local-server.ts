// The embedded default: a local hosting server run as a background daemon in the data dir.
// Commands with no API configured find it through `server.json` (or start it) and use the
// owner token it writes to `local-token`; `server start|stop|status` manage the same daemon.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { HostingError } from "../api/errors.js";
import { nodeFetch } from "../api/node/http-fetch.js";
import { isAlive } from "../api/node/process-alive.js";
import { readJson, withFileLock } from "./files.js";

export const DEFAULT_LOCAL_PORT = 4700;
/** Where the local server's edge serves sites: `http://<site>.localhost:4701`. */
export const DEFAULT_EDGE_PORT = 4701;
const START_TIMEOUT_MS = 10_000;

export interface LocalServerPaths {
  dataDir: string;
  stateFile: string;
  tokenFile: string;
  logFile: string;
  lockFile: string;
}

export function localServerPaths(dataDir: string): LocalServerPaths {
  return {
    dataDir,
    stateFile: join(dataDir, "server.json"),
    tokenFile: join(dataDir, "local-token"),
    logFile: join(dataDir, "server.log"),
    lockFile: join(dataDir, "server.lock"),
  };
}

/** What a running server writes to its state file. */
export interface ServerState {
  pid: number;
  url: string;
  port: number;
  edgePort?: number;
  dataDir: string;
  startedAt: string;
  /** How the server keeps tenant code in (platform/local/sandbox.ts's Isolation). */
  isolation?: LocalIsolation;
}

/** The part of the server's isolation report that status shows. */
export interface LocalIsolation {
  sandbox: "bubblewrap" | "none";
  unavailable: string | null;
  namespaces: string[];
  uidPerSite: boolean;
  noNewPrivs: boolean;
  capabilities: string;
  cgroups: string | null;
  rlimits: string[];
  limits: { app: object; build: object };
}

export interface LocalServerStatus {
  running: boolean;
  pid: number | null;
  url: string | null;
  /** Sites answer at `<site>.localhost` on this port. */
  edgePort: number | null;
  dataDir: string;
  startedAt: string | null;
  logFile: string;
  isolation: LocalIsolation | null;
}

export async function readState(paths: LocalServerPaths): Promise<ServerState | undefined> {
  try {
    const state = await readJson<ServerState>(paths.stateFile);
    return state && typeof state.url === "string" && typeof state.pid === "number" ? state : undefined;
  } catch {
    return undefined;
  }
}

export async function isHealthy(url: string, timeoutMs = 1500): Promise<boolean> {
  try {
    const res = await nodeFetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { ok?: unknown };
    return res.ok && body.ok === true;
  } catch {
    return false;
  }
}

export async function localServerStatus(paths: LocalServerPaths): Promise<LocalServerStatus> {
  const state = await readState(paths);
  const running = state !== undefined && (await isHealthy(state.url));
  return {
    running,
    pid: running ? state.pid : null,
    url: running ? state.url : null,
    edgePort: running ? (state.edgePort ?? null) : null,
    dataDir: paths.dataDir,
    startedAt: running ? state.startedAt : null,
    logFile: paths.logFile,
    isolation: running ? (state.isolation ?? null) : null,
  };
}

export async function readLocalToken(paths: LocalServerPaths): Promise<string> {
  try {
    const token = (await readFile(paths.tokenFile, "utf8")).trim();
    if (token) return token;
  } catch {
    // reported below
  }
  throw new HostingError("unauthorized", `the local server's owner token is missing (${paths.tokenFile})`, {
    hint: "Restart the local server with `deco-hosting server stop`; it writes a new token when it starts",
  });
}

/** The launcher (`bin/deco-hosting.js`), found by walking up from this module (src/ or dist/chunks/). */
export function launcherPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "bin", "deco-hosting.js");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find bin/deco-hosting.js to start the local server");
    dir = parent;
  }
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

async function tail(path: string, lines = 15): Promise<string> {
  try {
    return (await readFile(path, "utf8")).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

async function waitForServer(
  paths: LocalServerPaths,
  pid: number | undefined,
  childExited: () => number | null,
): Promise<ServerState> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const state = await readState(paths);
    // the state file is written once the server is ready (owner token included)
    if (state && state.pid === pid && (await isHealthy(state.url))) return state;
    const code = childExited();
    if (code !== null) {
      throw new HostingError("unavailable", `the local server exited during start-up (exit code ${code})`, {
        hint: `See ${paths.logFile}`,
        details: { log: await tail(paths.logFile) },
      });
    }
    await delay(100);
  }
  throw new HostingError("timeout", `the local server did not answer within ${START_TIMEOUT_MS / 1000} s`, {
    hint: `See ${paths.logFile}`,
    details: { log: await tail(paths.logFile) },
  });
}

/** Returns the running local server, starting it in the background if needed. */
export async function ensureLocalServer(
  paths: LocalServerPaths,
  opts: { port?: number; onStart?: () => void } = {},
): Promise<{ state: ServerState; started: boolean }> {
  const running = await readState(paths);
  if (running && (await isHealthy(running.url))) return { state: running, started: false };
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  // one starter at a time; the others wait for the lock and then find the server running
  const lock = { waitMs: START_TIMEOUT_MS + 5000, staleMs: START_TIMEOUT_MS + 5000 };
  return withFileLock(paths.lockFile, () => startUnlessRunning(paths, opts), lock);
}

async function startUnlessRunning(
  paths: LocalServerPaths,
  opts: { port?: number; onStart?: () => void },
): Promise<{ state: ServerState; started: boolean }> {
  const running = await readState(paths);
  if (running && (await isHealthy(running.url))) return { state: running, started: false };
  opts.onStart?.();
  const port = opts.port ?? ((await portIsFree(DEFAULT_LOCAL_PORT)) ? DEFAULT_LOCAL_PORT : 0);
  const edgePort = (await portIsFree(DEFAULT_EDGE_PORT)) ? DEFAULT_EDGE_PORT : 0;
  await rm(paths.stateFile, { force: true }); // a dead server's, or we would not be here
  const log = await open(paths.logFile, "a", 0o600);
  let exitCode: number | null = null;
  let pid: number | undefined;
  try {
    const args = [launcherPath(), "server", "--data-dir", paths.dataDir, "--port", String(port)];
    args.push("--edge-port", String(edgePort));
    args.push("--state-file", paths.stateFile, "--local-token-file", paths.tokenFile);
    const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", log.fd, log.fd] });
    child.once("exit", (code, signal) => {
      exitCode = code ?? (signal ? 128 : 1);
    });
    child.unref();
    pid = child.pid;
  } finally {
    await log.close();
  }
  return { state: await waitForServer(paths, pid, () => exitCode), started: true };
}

/** The process at `pid` is one of ours (checked on Linux; assumed elsewhere). */
async function looksLikeOurServer(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes("deco-hosting") && cmdline.includes("server");
  } catch {
    return process.platform !== "linux";
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await delay(100);
  }
  return !isAlive(pid);
}

/** SIGTERM, wait, then SIGKILL. */
export async function stopLocalServer(
  paths: LocalServerPaths,
  opts: { graceMs?: number } = {},
): Promise<{ stopped: boolean; pid: number | null; forced: boolean }> {
  const state = await readState(paths);
  if (!state || !isAlive(state.pid) || !(await looksLikeOurServer(state.pid))) {
    await rm(paths.stateFile, { force: true });
    return { stopped: false, pid: null, forced: false };
  }
  process.kill(state.pid, "SIGTERM");
  let forced = false;
  if (!(await waitForExit(state.pid, opts.graceMs ?? 10_000))) {
    forced = true;
    process.kill(state.pid, "SIGKILL");
    await waitForExit(state.pid, 2000);
  }
  await rm(paths.stateFile, { force: true });
  return { stopped: true, pid: state.pid, forced };
}
