// Shared by the benches (not a bench itself): start a real `deco-hosting server` in a temp
// dir, run the built CLI against it, and tear everything down again. Nothing here is mocked.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const bin = join(root, "bin/deco-hosting.js");

/** Exits 2 with a clear message when the build output is missing. */
export function requireBuild() {
  if (!existsSync(join(root, "dist/cli.js"))) {
    console.error("dist/ is missing: run `npm run build` first");
    process.exit(2);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const now = () => Number(process.hrtime.bigint()) / 1e6; // ms

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** A port that was free a moment ago (bound on 127.0.0.1, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function tempDir(label) {
  return mkdtempSync(join(tmpdir(), `deco-bench-${label}-`));
}

const running = new Set(); // children of run(), killed by withCleanup's cleanup

/** Runs a command to completion; resolves {code, stdout, stderr, ms}. Bounded by timeoutMs. */
export function run(cmd, args, { env, cwd, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (e) => {
      running.delete(child);
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? `signal ${signal}` : null), stdout, stderr, ms: now() - t0 });
    });
  });
}

/** Sends SIGTERM, then SIGKILL after graceMs; resolves once the child has exited. */
export function stopChild(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {}
    }, graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      child.kill("SIGTERM");
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Starts `deco-hosting server` on free ports in a fresh temp dir and waits for its state
 * file. Returns { url, edgePort, env, dir, cli(args), cliJson(args), stop() }.
 * stop() terminates the server (its supervisor stops the apps it runs), kills any app
 * process group that outlived it, and removes the temp dir.
 */
export async function startServer({ label = "server", nodeArgs = [], serverArgs = [] } = {}) {
  const dir = tempDir(label);
  const stateFile = join(dir, "server.json");
  const tokenFile = join(dir, "local-token");
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      bin,
      "server",
      ...["--data-dir", join(dir, "data"), "--port", "0", "--edge-port", "0"],
      ...["--state-file", stateFile, "--local-token-file", tokenFile],
      ...serverArgs,
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
  );
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const appPids = new Set(); // app process groups seen in logs, killed if they outlive the server

  const stop = async () => {
    await stopChild(child);
    for (const pid of appPids) {
      if (alive(pid)) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {}
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = now() + 30_000;
    let state;
    while (!state) {
      if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}:\n${log}`);
      if (now() > deadline) throw new Error(`server did not write ${stateFile} within 30 s:\n${log}`);
      if (existsSync(stateFile) && existsSync(tokenFile)) {
        try {
          const s = JSON.parse(readFileSync(stateFile, "utf8"));
          if (s.pid === child.pid && s.url && s.edgePort) state = s;
        } catch {} // half-written; try again
      }
      if (!state) await sleep(50);
    }
    const env = {
      ...process.env,
      NO_COLOR: "1",
      DECO_HOSTING_API_URL: state.url,
      DECO_HOSTING_TOKEN: readFileSync(tokenFile, "utf8").trim(),
      DECO_HOSTING_KEYCHAIN: "off",
      XDG_CONFIG_HOME: join(dir, "xdg-config"),
      XDG_DATA_HOME: join(dir, "xdg-data"),
    };
    const cli = (args, opts = {}) => run(process.execPath, [bin, ...args], { env, ...opts });
    const cliJson = async (args, opts) => {
      const r = await cli([...args, "--json"], opts);
      if (r.code !== 0) throw new Error(`deco-hosting ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
      return { ...r, json: JSON.parse(r.stdout) };
    };
    /** Remembers the app pids the server reports starting, so stop() can make sure they are gone. */
    const trackApps = async (target) => {
      const r = await cli(["logs", target, "--json"]);
      if (r.code !== 0) return [];
      const entries = JSON.parse(r.stdout).entries ?? [];
      for (const e of entries) {
        const m = /^started pid (\d+)/.exec(e.message);
        if (e.source === "system" && m) appPids.add(Number(m[1]));
      }
      return entries;
    };
    return { url: state.url, edgePort: state.edgePort, env, dir, child, cli, cliJson, trackApps, stop, log: () => log };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Runs fn with cleanup registered for SIGINT/SIGTERM as well as normal exit and errors. */
export async function withCleanup(fn) {
  const cleanups = [];
  const onCleanup = (f) => cleanups.push(f);
  let cleaning;
  const cleanup = () => {
    cleaning ??= (async () => {
      await Promise.all([...running].map((c) => stopChild(c, 2000)));
      for (const f of cleanups.reverse()) {
        try {
          await f();
        } catch (e) {
          console.error(`cleanup: ${e.message}`);
        }
      }
    })();
    return cleaning;
  };
  const onSignal = (sig) => {
    console.error(`\n${sig}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await fn(onCleanup);
  } catch (e) {
    console.error(`bench failed: ${e.message}`);
    process.exitCode = 1;
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * One GET to 127.0.0.1:port (fetch drops a Host header, node:http keeps it). Resolves
 * { status, body } or { status: "error <code>" }; bounded by timeoutMs.
 */
export function httpGet(port, path, { host, timeoutMs = 5000, agent = false } = {}) {
  return new Promise((resolve) => {
    const req = http.get(
      { host: "127.0.0.1", port, path, agent, headers: host ? { host } : {}, timeout: timeoutMs },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode, body }));
        res.on("error", (e) => resolve({ status: `error ${e.code ?? e.message}` }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ status: `error ${e.code ?? e.message}` }));
  });
}
