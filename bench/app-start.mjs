// What the sandbox costs an app's start: examples/node-server deployed ROUNDS times (default
// 5) to a sandboxed `deco-hosting server` and to one started with --no-sandbox, interleaved,
// in one run. Each time is the server's own, from the deployment's creation to ready (the
// upload is identical and excluded): sandbox, network namespace and bridge set-up, node's
// start and the health check. Also times a build step (`node -e 0` as the build command).
// Prints medians, the difference per app in ms, and ratios.
// Run: npm run build && node bench/app-start.mjs   (or npm run bench:app-start)
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { median, requireBuild, root, startServer, tempDir, withCleanup } from "./_hosting.mjs";

requireBuild();
const ROUNDS = Number(process.env.ROUNDS ?? 5);

/** Server-side ms from created to ready of one deploy of `dir`. */
async function deployMs(server, dir, site) {
  const { json } = await server.cliJson(["deploy", dir, "--site", site], { timeoutMs: 120_000 });
  const d = json.deployment;
  if (d.state !== "ready") throw new Error(`deployment ${d.id} is ${d.state}: ${d.reason}`);
  return Date.parse(d.readyAt) - Date.parse(d.createdAt);
}

await withCleanup(async (onCleanup) => {
  const sandboxed = await startServer({ label: "start-sandboxed" });
  onCleanup(() => sandboxed.stop());
  const plain = await startServer({ label: "start-plain", serverArgs: ["--no-sandbox"] });
  onCleanup(() => plain.stop());
  const app = join(root, "examples/node-server");
  const build = tempDir("build-step");
  cpSync(join(root, "examples/static-site"), build, { recursive: true });
  writeFileSync(join(build, "deco-hosting.json"), JSON.stringify({ build: "node -e 0" }));
  for (const s of [sandboxed, plain]) {
    await s.cliJson(["sites", "create", "app"]);
    await s.cliJson(["sites", "create", "built"]);
  }
  const times = { sandboxed: { app: [], build: [] }, plain: { app: [], build: [] } };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, s] of [
      ["sandboxed", sandboxed],
      ["plain", plain],
    ]) {
      times[name].app.push(await deployMs(s, app, "app"));
      times[name].build.push(await deployMs(s, build, "built"));
    }
  }
  console.log(`app start: created → ready, server-side, median of ${ROUNDS} interleaved deploys`);
  for (const what of ["app", "build"]) {
    const sb = median(times.sandboxed[what]);
    const pl = median(times.plain[what]);
    const label = what === "app" ? "node-server app  " : "build `node -e 0`";
    console.log(
      `${label}  sandboxed ${sb.toFixed(0)} ms   --no-sandbox ${pl.toFixed(0)} ms   overhead ${(sb - pl).toFixed(0)} ms (${(sb / pl).toFixed(2)}×)   runs: ${times.sandboxed[what].join(", ")} / ${times.plain[what].join(", ")}`,
    );
  }
});
