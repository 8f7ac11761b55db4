// Apps in the sandbox: each in a network namespace of its own, where nothing outside can
// connect and from where it can reach nothing. The edge reaches the app only through
// sockets the sandbox's bridge (connect-bridge.mjs) connects from inside and hands over the
// IPC channel, so no other process can ever take an app's traffic by binding its port.
import type { ChildProcess } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { killGroup, type Sandbox } from "./sandbox.js";
import type { AppLauncher } from "./supervisor.js";

/** Every app listens here, in its own network namespace. */
export const SANDBOX_APP_PORT = 8080;
const BRIDGE_INSIDE = "/opt/deco-hosting/connect-bridge.mjs";
const CONNECT_TIMEOUT_MS = 10_000;

export function sandboxedLauncher(sandbox: Sandbox): AppLauncher {
  const bridge = bridgePath();
  const node = realpathSync(process.execPath);
  let launches = 0;
  return {
    port: async () => SANDBOX_APP_PORT,
    async spawn(spec, _port, env) {
      const { child, cleanup } = await sandbox.spawn(
        {
          // A restart may start before the last run's cgroup is gone: each launch has its own.
          name: `app-${spec.id}-${++launches}`,
          uid: spec.owner ?? 0,
          root: spec.cwd,
          writable: false,
          binds: [{ src: bridge, dest: BRIDGE_INSIDE }],
          network: "none",
          argv: [node, BRIDGE_INSIDE, spec.command],
          env,
          limits: sandbox.isolation.limits.app,
        },
        ["ignore", "pipe", "pipe", "ipc"],
      );
      return {
        child,
        connect: ipcConnector(child),
        terminate: () => {
          if (child.connected) child.send({ signal: "SIGTERM" }, () => {});
          else killGroup(child.pid, "SIGKILL");
        },
        cleanup,
      };
    },
  };
}

/** Asks the bridge for connections; what comes back is checked, since the sandbox is not trusted. */
function ipcConnector(child: ChildProcess): () => Promise<Socket> {
  let next = 1;
  const pending = new Map<number, { resolve(s: Socket): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  const refused = (why: string) =>
    Object.assign(new Error(`the app refused the connection (${why})`), { code: "ECONNREFUSED" });
  child.on("message", (message: { id?: unknown; error?: unknown }, handle: unknown) => {
    const id = typeof message?.id === "number" ? message.id : -1;
    const waiter = pending.get(id);
    if (!waiter || !(handle instanceof Socket)) {
      (handle as { destroy?(): void; close?(): void } | undefined)?.destroy?.();
      (handle as { close?(): void } | undefined)?.close?.();
      if (waiter) {
        pending.delete(id);
        clearTimeout(waiter.timer);
        waiter.reject(refused(typeof message.error === "string" ? message.error.slice(0, 40) : "no socket"));
      }
      return;
    }
    pending.delete(id);
    clearTimeout(waiter.timer);
    waiter.resolve(handle);
  });
  child.once("disconnect", () => {
    for (const w of pending.values()) {
      clearTimeout(w.timer);
      w.reject(refused("the instance stopped"));
    }
    pending.clear();
  });
  return () =>
    new Promise<Socket>((resolve, reject) => {
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
}

/** connect-bridge.mjs beside this module (src/) or beside the bundle (dist/, dist/chunks/). */
function bridgePath(): string {
  for (const rel of ["./connect-bridge.mjs", "../connect-bridge.mjs"]) {
    const candidate = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("connect-bridge.mjs is missing from the build; run `npm run build`");
}
