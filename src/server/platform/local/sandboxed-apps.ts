// Apps in the sandbox: each in a network namespace of its own, where nothing outside can
// connect and from where it can reach nothing. The edge reaches an app only through sockets
// its bridge (connect-bridge.mjs) connects inside that namespace and hands over an IPC
// channel. The bridge is the server's: it joins only the app's network namespace (nsenter),
// so the app can neither see it (other pid namespace) nor touch its channel; and no process
// can take an app's traffic by binding its port, since the edge routes to no port at all.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { killGroup, type Sandbox } from "./sandbox.js";
import type { AppLauncher } from "./supervisor.js";

/** Every app listens here, in its own network namespace. */
export const SANDBOX_APP_PORT = 8080;
const CONNECT_TIMEOUT_MS = 10_000;

export function sandboxedLauncher(sandbox: Sandbox): AppLauncher {
  const bridge = bridgePath();
  const node = realpathSync(process.execPath);
  const root = process.getuid?.() === 0;
  let launches = 0;
  return {
    port: async () => SANDBOX_APP_PORT,
    async spawn(spec, _port, env) {
      const { child, pid, cleanup } = await sandbox.spawn(
        {
          // A restart may start before the last run's cgroup is gone: each launch has its own.
          name: `app-${spec.id}-${++launches}`,
          uid: spec.owner ?? 0,
          root: spec.cwd,
          writable: false,
          network: "none",
          init: true,
          argv: [spec.command],
          env,
          limits: sandbox.isolation.limits.app,
        },
        ["ignore", "pipe", "pipe"],
      );
      let link: ChildProcess | null = null;
      const connect = bridgeConnector(
        pid.then((init) => {
          // As root, joining the network namespace is enough; otherwise first the sandbox's
          // user namespace, which owns it (the server's uid owns that one).
          const join = root ? ["--net"] : ["--user", "--net", "--preserve-credentials"];
          link = spawn("nsenter", ["--target", String(init), ...join, "--", node, bridge], {
            env: { PORT: String(SANDBOX_APP_PORT), PATH: process.env.PATH ?? "/usr/bin:/bin" },
            stdio: ["ignore", "ignore", "ignore", "ipc"],
          });
          // No bridge, no way in: an instance that lost it is ended, and the supervisor restarts it.
          link.once("exit", () => {
            if (child.exitCode === null && child.signalCode === null) killGroup(child.pid, "SIGKILL");
          });
          return link;
        }),
      );
      child.once("close", () => link?.kill("SIGKILL"));
      return {
        child,
        connect,
        terminate: () => {
          pid.then(childOf).then(
            (init) => process.kill(init, "SIGTERM"),
            () => killGroup(child.pid, "SIGKILL"),
          );
        },
        cleanup,
      };
    },
  };
}

/** The host pid of the one process bwrap's pid 1 runs: the app's init. */
async function childOf(parent: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    for (const name of await readdir("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) return Number(name);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the sandbox ${parent} runs no init`);
}

/** Asks the bridge for connections, once it said it listens for the asking. */
function bridgeConnector(bridge: Promise<ChildProcess>): () => Promise<Socket> {
  let next = 1;
  const pending = new Map<number, { resolve(s: Socket): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  const refused = (why: string) =>
    Object.assign(new Error(`the app refused the connection (${why})`), { code: "ECONNREFUSED" });
  const ready = bridge.then(
    (child) =>
      new Promise<ChildProcess>((resolve, reject) => {
        child.on("message", (message: { ready?: unknown; id?: unknown; error?: unknown }, handle: unknown) => {
          if (message?.ready === true) return resolve(child);
          const id = typeof message?.id === "number" ? message.id : -1;
          const waiter = pending.get(id);
          if (!waiter) {
            if (handle instanceof Socket) handle.destroy();
            return;
          }
          pending.delete(id);
          clearTimeout(waiter.timer);
          if (handle instanceof Socket) waiter.resolve(handle);
          else waiter.reject(refused(typeof message.error === "string" ? message.error.slice(0, 40) : "no socket"));
        });
        child.once("exit", () => {
          reject(refused("the instance stopped"));
          for (const w of pending.values()) {
            clearTimeout(w.timer);
            w.reject(refused("the instance stopped"));
          }
          pending.clear();
        });
        child.once("error", (error) => reject(refused(error.message)));
      }),
  );
  ready.catch(() => {});
  return async () => {
    const child = await ready;
    return new Promise<Socket>((resolve, reject) => {
      if (!child.connected) return reject(refused("the instance stopped"));
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(refused(`no answer in ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      child.send({ id }, (error) => {
        if (!error || !pending.has(id)) return;
        pending.delete(id);
        clearTimeout(timer);
        reject(refused(error.message));
      });
    });
  };
}

/** connect-bridge.mjs beside this module (src/) or beside the bundle (dist/, dist/chunks/). */
function bridgePath(): string {
  for (const rel of ["./connect-bridge.mjs", "../connect-bridge.mjs"]) {
    const candidate = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("connect-bridge.mjs is missing from the build; run `npm run build`");
}
