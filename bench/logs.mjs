// `logs --follow` latency beside reading the app's own stdout pipe, in one run.
// Deploys examples/node-server to production on a real `deco-hosting server`, starts
// `deco-hosting logs <site> --follow --json` and waits until it streams (a warm-up request's
// line arrives). Then N times (default 30), interleaved with the baseline: t0, a GET
// /probe-<i> through the edge (the app prints "GET /probe-<i>"), t1 when that line is on the
// follower's stdout; latency = t1 − t0, the HTTP request included. Baseline: the same
// server.js run directly as a child (PORT set), t1 when the line is on its stdout pipe.
// Prints median and p95 of both and their ratio. Target (DESIGN.md): ours ≤ 250 ms.
// Run: npm run build && node bench/logs.mjs   (or npm run bench:logs; N=30)
import { spawn } from "node:child_process";
import { join } from "node:path";
import {
  bin,
  freePort,
  httpGet,
  median,
  now,
  percentile,
  requireBuild,
  root,
  sleep,
  startServer,
  stopChild,
  withCleanup,
} from "./_hosting.mjs";

requireBuild();
const N = Number(process.env.N ?? 30);
const SITE = "bench-logs";
const LINE_TIMEOUT_MS = 10_000;

/** Calls onLine(line, tMs) for each complete line the stream emits, stamped on arrival. */
function lines(stream, onLine) {
  let buf = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    const t = now();
    buf += chunk;
    let i = buf.indexOf("\n");
    while (i >= 0) {
      onLine(buf.slice(0, i), t);
      buf = buf.slice(i + 1);
      i = buf.indexOf("\n");
    }
  });
}

/** Waiters keyed by the exact message text; resolve with the arrival time. */
function waiters() {
  const pending = new Map();
  const seen = new Map(); // lines that arrived before anyone waited for them
  return {
    arrived(message, t) {
      const w = pending.get(message);
      if (w) {
        pending.delete(message);
        w(t);
      } else seen.set(message, t);
    },
    wait(message, what) {
      if (seen.has(message)) return Promise.resolve(seen.get(message));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(message);
          reject(new Error(`"${message}" did not appear on ${what} within ${LINE_TIMEOUT_MS} ms`));
        }, LINE_TIMEOUT_MS);
        pending.set(message, (t) => {
          clearTimeout(timer);
          resolve(t);
        });
      });
    },
  };
}

await withCleanup(async (onCleanup) => {
  const server = await startServer({ label: "logs" });
  onCleanup(() => server.stop());
  await server.cliJson(["sites", "create", SITE]);
  const { json: dep } = await server.cliJson(["deploy", join(root, "examples/node-server"), "--site", SITE, "--prod"], {
    timeoutMs: 180_000,
  });
  if (dep.deployment.state !== "ready") throw new Error(`deployment ${dep.deployment.id} is ${dep.deployment.state}`);
  await server.trackApps(SITE);
  const edgeHost = `${SITE}.localhost:${server.edgePort}`;

  // Ours: the follower, one JSON line per entry on stdout.
  const ours = waiters();
  const follower = spawn(process.execPath, [bin, "logs", SITE, "--follow", "--json"], {
    env: server.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  onCleanup(() => stopChild(follower));
  let followerErr = "";
  follower.stderr.on("data", (d) => (followerErr += d));
  follower.once("exit", (code) => {
    if (code) console.error(`logs --follow exited ${code}: ${followerErr}`);
  });
  lines(follower.stdout, (line, t) => {
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    if (e.source === "runtime" && typeof e.message === "string") ours.arrived(e.message, t);
  });

  // Baseline: the same app as a plain child, its stdout read straight off the pipe.
  const base = waiters();
  const basePort = await freePort();
  const app = spawn(process.execPath, [join(root, "examples/node-server/server.js")], {
    env: { ...process.env, PORT: String(basePort), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  onCleanup(() => stopChild(app));
  lines(app.stdout, (line, t) => base.arrived(line, t));
  await base.wait(`listening on ${basePort}`, "the baseline app's stdout");

  const send = async (port, path, host) => {
    const r = await httpGet(port, path, { host });
    if (r.status !== 200) throw new Error(`GET ${path} on port ${port} answered ${r.status}`);
  };

  // Warm-up: the follower is streaming once a fresh request's line comes through it.
  for (let i = 0; ; i++) {
    const path = `/warmup-${i}`;
    const seen = ours.wait(`GET ${path}`, "logs --follow").then(
      () => true,
      () => false,
    );
    await send(server.edgePort, path, edgeHost);
    if (await seen) break;
    if (i >= 2 || follower.exitCode !== null) throw new Error(`logs --follow is not streaming: ${followerErr}`);
  }
  await send(basePort, "/warmup", undefined);
  await base.wait("GET /warmup", "the baseline app's stdout");

  const oursMs = [];
  const baseMs = [];
  for (let i = 0; i < N; i++) {
    // Random gaps, so a poll or flush interval cannot line up with the probes.
    await sleep(20 + Math.random() * 100);
    {
      const path = `/probe-${i}`;
      const arrived = ours.wait(`GET ${path}`, "logs --follow");
      const t0 = now();
      await send(server.edgePort, path, edgeHost);
      oursMs.push((await arrived) - t0);
    }
    await sleep(20 + Math.random() * 100);
    {
      const path = `/probe-${i}`;
      const arrived = base.wait(`GET ${path}`, "the baseline app's stdout");
      const t0 = now();
      await send(basePort, path, undefined);
      baseMs.push((await arrived) - t0);
    }
  }

  const row = (name, xs) =>
    `${name.padEnd(34)} ${median(xs).toFixed(1).padStart(8)} ms ${percentile(xs, 95).toFixed(1).padStart(8)} ms ${Math.max(
      ...xs,
    )
      .toFixed(1)
      .padStart(8)} ms`;
  console.log(`logs: request → line visible, ${N} probes each, interleaved`);
  console.log(`${"path".padEnd(34)} ${"median".padStart(11)} ${"p95".padStart(11)} ${"max".padStart(11)}`);
  console.log(row("app stdout pipe (direct child)", baseMs));
  console.log(row("edge → logs --follow --json", oursMs));
  const p50 = median(oursMs);
  const p95 = percentile(oursMs, 95);
  console.log(
    `ours/pipe: median ${(p50 / median(baseMs)).toFixed(1)}×, p95 ${(p95 / percentile(baseMs, 95)).toFixed(1)}×   target ≤ 250 ms: median ${
      p50 <= 250 ? "met" : "MISSED"
    }, p95 ${p95 <= 250 ? "met" : "MISSED"}`,
  );
});
