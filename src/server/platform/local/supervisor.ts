import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { DEFAULT_RESTART_POLICY, type RestartPolicy, restartDelay } from "./backoff.js";
import { waitHealthy } from "./health.js";
import { createLineSplitter, quoteTail } from "./line-splitter.js";
import { connectTcp, freePort } from "./ports.js";
import { killGroup } from "./sandbox.js";

export type InstanceState = "starting" | "ready" | "restarting" | "stopping" | "stopped" | "failed";
export type LogStream = "stdout" | "stderr" | "system";

/** A snapshot of one supervised process. */
export interface Instance {
  id: string;
  /** Fixed for the instance's life, across restarts, so the edge's target stays valid. */
  port: number;
  /** `null` while no process is running (restarting, stopped, failed). */
  pid: number | null;
  state: InstanceState;
  restarts: number;
}

export interface StartSpec {
  id: string;
  cwd: string;
  /** Run with `/bin/sh -c`. */
  command: string;
  /** The site's variables; PORT and HOST are set by the supervisor and win. */
  env: Record<string, string>;
  /** GET path that must answer below 500 before the instance counts as ready; default "/". */
  healthPath?: string;
  /** Default 30 s. */
  startTimeoutMs?: number;
  /** The site's number, for launchers that run each site under its own uid. */
  owner?: number;
}

/** One running app process, however it was started. */
export interface LaunchedApp {
  child: ChildProcess;
  /** A connection to the app's port; the only way anything reaches it. */
  connect(): Promise<Socket>;
  /** Asks the app to finish (SIGTERM); a SIGKILL of the child's group ends it for sure. */
  terminate(): void;
  /** Releases what the launch holds on the host, once the process closed. */
  cleanup(): Promise<void>;
}

/** Starts app processes: as plain process groups (the default) or in a sandbox. */
export interface AppLauncher {
  /** The port the app is told to listen on (PORT). */
  port(): Promise<number>;
  spawn(spec: StartSpec, port: number, env: Record<string, string>): Promise<LaunchedApp>;
}

export interface SupervisorOptions {
  log?(instanceId: string, stream: LogStream, line: string): void;
  /** Every state change, with the instance as it is now. */
  onStateChange?(instance: Instance): void;
  restartPolicy?: Partial<RestartPolicy>;
  /** Default: each app a process group of this user, reached over TCP on loopback. */
  launcher?: AppLauncher;
}

export interface Supervisor {
  /** Resolves once the process answers its health check; rejects (and kills it) if it exits or never does. */
  start(spec: StartSpec): Promise<Instance>;
  /** SIGTERM to the process group, SIGKILL after `drainMs` (default 5 s); resolves once it exited. */
  stop(id: string, options?: { drainMs?: number }): Promise<void>;
  stopAll(options?: { drainMs?: number }): Promise<void>;
  get(id: string): Instance | undefined;
  list(): Instance[];
  /** A connection to a running instance's app; rejects when it has no process. */
  connect(id: string): Promise<Socket>;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Run {
  child: ChildProcess;
  app: LaunchedApp;
  /** Settles once the process exited and its output was read to the end. */
  closed: Promise<Exit>;
}

interface Supervised {
  spec: StartSpec;
  port: number;
  state: InstanceState;
  restarts: number;
  /** Crashes since the last run that lasted `resetAfterMs`. */
  rapidCrashes: number;
  run: Run | null;
  readyAt: number;
  restartTimer: NodeJS.Timeout | null;
  stopping: Promise<void> | null;
  /** The last few output lines, quoted when a start fails. */
  tail: string[];
}

const HOST = "127.0.0.1";
const TAIL_LINES = 5;
// What a process needs from our environment to find its tools; nothing else of the server leaks in.
const INHERITED_ENV = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"];

/** Apps as process groups of the server's user on loopback ports: only for --no-sandbox and tests. */
export const processLauncher: AppLauncher = {
  port: () => freePort(HOST),
  async spawn(spec, port, env) {
    const inherited: Record<string, string> = {};
    for (const name of INHERITED_ENV) {
      const value = process.env[name];
      if (value !== undefined) inherited[name] = value;
    }
    const child = spawn("/bin/sh", ["-c", spec.command], {
      cwd: spec.cwd,
      env: { ...inherited, ...env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return {
      child,
      connect: () => connectTcp(HOST, port),
      terminate: () => killGroup(child.pid, "SIGTERM"),
      cleanup: async () => {},
    };
  },
};

export function createSupervisor(options: SupervisorOptions = {}): Supervisor {
  const log = options.log ?? (() => {});
  const launcher = options.launcher ?? processLauncher;
  const policy: RestartPolicy = { ...DEFAULT_RESTART_POLICY, ...options.restartPolicy };
  const instances = new Map<string, Supervised>();

  function snapshot(s: Supervised): Instance {
    return { id: s.spec.id, port: s.port, pid: s.run?.child.pid ?? null, state: s.state, restarts: s.restarts };
  }

  function setState(s: Supervised, state: InstanceState): void {
    s.state = state;
    options.onStateChange?.(snapshot(s));
  }

  function system(s: Supervised, line: string): void {
    log(s.spec.id, "system", line);
  }

  async function launch(s: Supervised): Promise<Run> {
    const { spec } = s;
    const app = await launcher.spawn(spec, s.port, { ...spec.env, PORT: String(s.port), HOST });
    const { child } = app;
    const output = (stream: "stdout" | "stderr") => {
      const splitter = createLineSplitter((line) => {
        s.tail.push(line);
        if (s.tail.length > TAIL_LINES) s.tail.shift();
        log(spec.id, stream, line);
      });
      child[stream]?.on("data", (chunk: Buffer) => splitter.push(chunk));
      child[stream]?.on("end", () => splitter.flush());
    };
    output("stdout");
    output("stderr");
    const closed = new Promise<Exit>((resolve) => {
      // After a crash, whatever the shell left behind must not outlive it (and hold the port);
      // during a stop the group keeps its drain time, and "close" waits for every holder of its pipes.
      child.once("exit", () => {
        if (s.state !== "stopping") killGroup(child.pid, "SIGKILL");
      });
      child.once("close", (code, signal) => {
        void app.cleanup();
        resolve({ code, signal });
      });
      child.once("error", (error) => {
        system(s, `could not start: ${error.message}`);
        void app.cleanup();
        resolve({ code: null, signal: null });
      });
    });
    const run = { child, app, closed };
    s.run = run;
    system(s, `started pid ${child.pid ?? "?"} on port ${s.port}: ${spec.command}`);
    return run;
  }

  /** Spawns and waits for health; on failure the process is gone and the error says why. */
  async function bringUp(s: Supervised): Promise<void> {
    const { spec } = s;
    s.tail = [];
    const run = await launch(s);
    const stopped = () => s.state === "stopping" || s.state === "stopped";
    // A stop that came while the process was being spawned found nothing to stop: this run
    // must not become ready behind its back.
    if (stopped()) {
      killGroup(run.child.pid, "SIGKILL");
      await run.closed;
      if (s.run === run) s.run = null;
      throw new Error(`instance ${spec.id} was stopped before it became healthy`);
    }
    const exited = new AbortController();
    run.closed.then((exit) => {
      exited.abort(new Error(`exited (${describeExit(exit)}) before it became healthy${quoteTail(s.tail)}`));
    });
    try {
      await waitHealthy({
        connect: () => run.app.connect(),
        path: spec.healthPath ?? "/",
        timeoutMs: spec.startTimeoutMs ?? 30_000,
        intervalMs: 50,
        signal: exited.signal,
      });
    } catch (error) {
      killGroup(run.child.pid, "SIGKILL");
      await run.closed;
      if (s.run === run) s.run = null;
      if (stopped()) throw new Error(`instance ${spec.id} was stopped before it became healthy`);
      throw new Error(`instance ${spec.id} (${spec.command}) ${(error as Error).message}`);
    }
    if (stopped()) {
      killGroup(run.child.pid, "SIGKILL");
      await run.closed;
      if (s.run === run) s.run = null;
      throw new Error(`instance ${spec.id} was stopped before it became healthy`);
    }
    s.readyAt = Date.now();
    setState(s, "ready");
    system(s, `ready on port ${s.port}`);
    run.closed.then((exit) => onExit(s, run, exit));
  }

  function onExit(s: Supervised, run: Run, exit: Exit): void {
    if (s.run !== run) return;
    s.run = null;
    if (s.state === "stopping" || s.state === "stopped") return;
    crashed(s, `exited (${describeExit(exit)})`, Date.now() - s.readyAt);
  }

  function crashed(s: Supervised, reason: string, uptimeMs: number): void {
    if (uptimeMs >= policy.resetAfterMs) s.rapidCrashes = 0;
    s.rapidCrashes++;
    if (s.rapidCrashes > policy.maxRapidCrashes) {
      system(s, `${reason}; ${s.rapidCrashes} crashes in a row, giving up`);
      setState(s, "failed");
      return;
    }
    const delay = restartDelay(s.rapidCrashes, policy);
    system(s, `${reason}; restarting in ${delay} ms (restart ${s.restarts + 1})`);
    setState(s, "restarting");
    s.restartTimer = setTimeout(() => void restart(s), delay);
  }

  async function restart(s: Supervised): Promise<void> {
    s.restartTimer = null;
    if (s.state !== "restarting") return;
    s.restarts++;
    try {
      await bringUp(s);
    } catch (error) {
      if (s.state === "restarting") crashed(s, (error as Error).message, 0);
    }
  }

  async function start(spec: StartSpec): Promise<Instance> {
    const existing = instances.get(spec.id);
    if (existing && existing.state !== "stopped" && existing.state !== "failed") {
      throw new Error(`instance ${spec.id} is already ${existing.state}`);
    }
    const s: Supervised = {
      spec,
      port: 0,
      state: "starting",
      restarts: 0,
      rapidCrashes: 0,
      run: null,
      readyAt: 0,
      restartTimer: null,
      stopping: null,
      tail: [],
    };
    instances.set(spec.id, s);
    s.port = await launcher.port();
    if (s.state !== "starting") throw new Error(`instance ${spec.id} was stopped before it started`);
    options.onStateChange?.(snapshot(s));
    try {
      await bringUp(s);
    } catch (error) {
      if (s.state === "starting") {
        system(s, (error as Error).message);
        setState(s, "failed");
      }
      throw error;
    }
    return snapshot(s);
  }

  function stop(id: string, stopOptions: { drainMs?: number } = {}): Promise<void> {
    const s = instances.get(id);
    if (!s) return Promise.resolve();
    s.stopping ??= stopSupervised(s, stopOptions.drainMs ?? 5_000);
    return s.stopping;
  }

  async function stopSupervised(s: Supervised, drainMs: number): Promise<void> {
    if (s.restartTimer) clearTimeout(s.restartTimer);
    s.restartTimer = null;
    const run = s.run;
    if (!run) {
      if (s.state !== "stopped") setState(s, "stopped");
      return;
    }
    setState(s, "stopping");
    system(s, "stopping (SIGTERM)");
    run.app.terminate();
    const kill = setTimeout(() => {
      system(s, `still running ${drainMs} ms after SIGTERM; sending SIGKILL`);
      killGroup(run.child.pid, "SIGKILL");
    }, drainMs);
    const exit = await run.closed;
    clearTimeout(kill);
    if (s.run === run) s.run = null;
    system(s, `stopped (${describeExit(exit)})`);
    setState(s, "stopped");
  }

  return {
    start,
    stop,
    stopAll: async (stopOptions) => {
      await Promise.all([...instances.keys()].map((id) => stop(id, stopOptions)));
    },
    get: (id) => {
      const s = instances.get(id);
      return s ? snapshot(s) : undefined;
    },
    list: () => [...instances.values()].map(snapshot),
    connect: (id) => {
      const run = instances.get(id)?.run;
      if (!run)
        return Promise.reject(Object.assign(new Error(`instance ${id} is not running`), { code: "ECONNREFUSED" }));
      return run.app.connect();
    },
  };
}

function describeExit(exit: Exit): string {
  if (exit.signal) return `signal ${exit.signal}`;
  return exit.code === null ? "could not start" : `code ${exit.code}`;
}
