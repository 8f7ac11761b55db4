// Edge proxy throughput beside nginx proxying to the same app, and beside the app direct,
// in one run. Deploys examples/node-server to production on a real `deco-hosting server`
// (sandboxed: the app is in its own network namespace, reachable only through the edge) and
// on a second one started with --no-sandbox, whose app listens on a loopback port (read from
// its runtime log, "listening on <port>"): nginx (1 worker, upstream keepalive 64, HTTP/1.1
// to the upstream) proxies to that app, and the direct run hits it. `wrk -t1 -c32 -d5s`
// runs against each target twice, interleaved, keeping each target's better run. Prints
// rps, latency and ratios: edge/nginx (target DESIGN.md ≥ 0.60×) and sandboxed/unsandboxed
// edge (the sandbox's cost). Each app logs every request to stdout, and that line goes
// through our log pipeline for every target: it is part of the product.
// Needs nginx and wrk: apt-get install -y nginx-light wrk
// Run: npm run build && node bench/edge.mjs   (or npm run bench:edge; DURATION=5s, CONNS=32;
// CPU_PROF=<dir> writes a V8 CPU profile of the server process there, for DevTools).
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  freePort,
  httpGet,
  requireBuild,
  root,
  run,
  sleep,
  startServer,
  stopChild,
  tempDir,
  withCleanup,
} from "./_hosting.mjs";

const NGINX = "/usr/sbin/nginx";
const WRK = "/usr/bin/wrk";
const missing = [NGINX, WRK].filter((p) => !existsSync(p));
if (missing.length) {
  console.error(`missing ${missing.join(", ")}: install with  apt-get install -y nginx-light wrk`);
  process.exit(2);
}
requireBuild();

const DURATION = process.env.DURATION ?? "5s";
const CONNS = Number(process.env.CONNS ?? 32);
const RUNS = 2;
const SITE = "bench-edge";

/** Parses wrk's text output (with --latency). */
function parseWrk(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : null;
  };
  const ms = (v, unit) => Number(v) * { us: 1e-3, ms: 1, s: 1e3, m: 60e3 }[unit];
  const lat = /Latency\s+([\d.]+)(us|ms|s|m)\s+([\d.]+)(us|ms|s|m)/.exec(out);
  const pct = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s|m)`).exec(out);
    return m ? ms(m[1], m[2]) : null;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    avgMs: lat ? ms(lat[1], lat[2]) : null,
    p50Ms: pct(50),
    p99Ms: pct(99),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/) ?? 0,
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

async function wrk(target) {
  const args = [
    "-t1",
    `-c${CONNS}`,
    `-d${DURATION}`,
    "--latency",
    ...target.headers.flatMap((h) => ["-H", h]),
    target.url,
  ];
  const r = await run(WRK, args, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`wrk ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  const p = parseWrk(r.stdout);
  if (p.rps === null) throw new Error(`could not parse wrk output:\n${r.stdout}`);
  return p;
}

function nginxConf(prefix, listen, upstreamPort) {
  return `worker_processes 1;
${process.getuid?.() === 0 ? "user root;" : ""}
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${listen};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`;
}

/** The status of one GET /healthz to 127.0.0.1:port with an optional Host header. */
const probe = async (port, host) => (await httpGet(port, "/healthz", { host })).status;

/** Deploys the example to production on `server` and returns the Host its edge answers to. */
async function deployExample(server) {
  await server.cliJson(["sites", "create", SITE]);
  const { json: dep } = await server.cliJson(["deploy", join(root, "examples/node-server"), "--site", SITE, "--prod"], {
    timeoutMs: 180_000,
  });
  if (dep.deployment.state !== "ready") throw new Error(`deployment ${dep.deployment.id} is ${dep.deployment.state}`);
  await server.trackApps(SITE);
  return `${SITE}.localhost:${server.edgePort}`;
}

await withCleanup(async (onCleanup) => {
  const cpuProf = process.env.CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", process.env.CPU_PROF] : [];
  const server = await startServer({ label: "edge", nodeArgs: cpuProf });
  onCleanup(() => server.stop());
  const plain = await startServer({ label: "edge-plain", serverArgs: ["--no-sandbox"] });
  onCleanup(() => plain.stop());
  const edgeHost = await deployExample(server);
  const plainHost = await deployExample(plain);

  // The unsandboxed app's port, from its own "listening on <port>" runtime log line.
  let appPort;
  for (let i = 0; i < 50 && !appPort; i++) {
    const entries = await plain.trackApps(SITE);
    const line = entries.find((e) => e.source === "runtime" && /^listening on \d+/.test(e.message));
    if (line) appPort = Number(/^listening on (\d+)/.exec(line.message)[1]);
    else await sleep(100);
  }
  if (!appPort) throw new Error(`no "listening on <port>" line in the runtime log of ${SITE}`);

  // nginx in a temp prefix, proxying to that app.
  const prefix = tempDir("nginx");
  onCleanup(() => rmSync(prefix, { recursive: true, force: true }));
  const nginxPort = await freePort();
  writeFileSync(join(prefix, "nginx.conf"), nginxConf(prefix, nginxPort, appPort));
  const nginx = spawn(
    NGINX,
    ["-p", prefix, "-e", join(prefix, "error.log"), "-c", join(prefix, "nginx.conf"), "-g", "daemon off;"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let nginxOut = "";
  nginx.stdout.on("data", (d) => (nginxOut += d));
  nginx.stderr.on("data", (d) => (nginxOut += d));
  onCleanup(() => stopChild(nginx)); // SIGTERM: fast shutdown of master and worker

  const edgeTarget = (name, s, host) => ({
    name,
    url: `http://127.0.0.1:${s.edgePort}/`,
    headers: [`Host: ${host}`],
    port: s.edgePort,
    host,
  });
  const targets = [
    { name: "app direct", url: `http://127.0.0.1:${appPort}/`, headers: [], port: appPort },
    { name: "nginx", url: `http://127.0.0.1:${nginxPort}/`, headers: [], port: nginxPort },
    edgeTarget("deco edge", server, edgeHost),
    edgeTarget("edge no-sandbox", plain, plainHost),
  ];
  // Every target answers 200 before any load.
  for (const t of targets) {
    let status;
    for (let i = 0; i < 50 && status !== 200; i++) {
      if (nginx.exitCode !== null) {
        const log = existsSync(join(prefix, "error.log")) ? readFileSync(join(prefix, "error.log"), "utf8") : "";
        throw new Error(`nginx exited ${nginx.exitCode}: ${nginxOut}${log}`);
      }
      status = await probe(t.port, t.host);
      if (status !== 200) await sleep(100);
    }
    if (status !== 200) throw new Error(`${t.name} (${t.url}) answered ${status}, not 200`);
  }

  const results = new Map(targets.map((t) => [t.name, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const t of targets) {
      results.get(t.name).push(await wrk(t));
      await sleep(500); // let the log pipeline drain between runs
    }
  }

  const best = new Map(targets.map((t) => [t.name, results.get(t.name).reduce((a, b) => (b.rps > a.rps ? b : a))]));
  console.log(`edge: wrk -t1 -c${CONNS} -d${DURATION}, ${RUNS} interleaved runs per target, better run kept`);
  console.log(
    `${"target".padEnd(16)} ${"req/s".padStart(9)} ${"avg".padStart(9)} ${"p50".padStart(9)} ${"p99".padStart(9)} ${"errors".padStart(7)}   runs (req/s)`,
  );
  for (const t of targets) {
    const b = best.get(t.name);
    const f = (v) => (v === null ? "-" : `${v.toFixed(2)}ms`);
    console.log(
      `${t.name.padEnd(16)} ${b.rps.toFixed(0).padStart(9)} ${f(b.avgMs).padStart(9)} ${f(b.p50Ms).padStart(9)} ${f(b.p99Ms).padStart(9)} ${String(
        b.non2xx + b.socketErrors,
      ).padStart(7)}   ${results
        .get(t.name)
        .map((x) => x.rps.toFixed(0))
        .join(", ")}`,
    );
  }
  const rps = (n) => best.get(n).rps;
  const edgeNginx = rps("deco edge") / rps("nginx");
  console.log(
    `edge/nginx ${edgeNginx.toFixed(2)}× (target ≥ 0.60${edgeNginx < 0.6 ? ", MISSED" : ""})   edge/direct ${(rps("deco edge") / rps("app direct")).toFixed(2)}×   nginx/direct ${(
      rps("nginx") / rps("app direct")
    ).toFixed(2)}×   sandboxed/unsandboxed edge ${(rps("deco edge") / rps("edge no-sandbox")).toFixed(2)}×`,
  );
  const errs = [...best.entries()].filter(([, b]) => b.non2xx + b.socketErrors > 0);
  if (errs.length) console.log(`note: errors (non-2xx or socket) in: ${errs.map(([n]) => n).join(", ")}`);
});
