// CLI start-up beside `node -e 0`, in one run: each command is spawned RUNS times,
// interleaved so machine noise hits all alike; medians and ratios are printed.
// Target (DESIGN.md): --version and --help within 1.2× of `node -e 0`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const RUNS = Number(process.env.RUNS ?? 30);
const bin = fileURLToPath(new URL("../bin/deco-hosting.js", import.meta.url));
if (!existsSync(new URL("../dist/cli.js", import.meta.url))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(2);
}

const cases = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "deco-hosting --version", args: [bin, "--version"] },
  { name: "deco-hosting --help", args: [bin, "--help"] },
];
const env = { ...process.env, NO_COLOR: "1" };
const samples = new Map(cases.map((c) => [c.name, []]));

for (let i = 0; i < RUNS + 2; i++) {
  for (const c of cases) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, c.args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
    if (i >= 2) samples.get(c.name).push(ms); // two warm-up rounds fill the page cache
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const base = median(samples.get("node -e 0"));
console.log(`cli-start: ${RUNS} runs each, median wall time`);
for (const c of cases) {
  const m = median(samples.get(c.name));
  console.log(`${c.name.padEnd(26)} ${m.toFixed(1).padStart(7)} ms   ${(m / base).toFixed(2)}×`);
}
