// Deploy of a 1,000-file static site beside `cp -r` of the same directory, in one run.
// Per round: a fresh generated site (1,000 files, 200 B–20 KB log-uniform, nested dirs,
// a few MB) and a fresh site on a real `deco-hosting server`; timed, each as the wall time
// of the whole process: (a) `cp -r` to a temp dir (the floor for moving the bytes),
// (b) first `deploy --json`, (c) unchanged redeploy, (d) redeploy after changing 10 files.
// Prints medians over ROUNDS (default 3), bytes uploaded (from --json) and ratios.
// Asserts (exit 1) that an unchanged redeploy uploads 0 bytes (DESIGN.md target).
// Run: npm run build && node bench/deploy.mjs   (or npm run bench:deploy; ROUNDS=5 to vary)
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { median, requireBuild, run, startServer, tempDir, withCleanup } from "./_hosting.mjs";

requireBuild();
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const FILES = 1000;
const CHANGED = 10;

// Deterministic sizes and layout (mulberry32); contents are random bytes as text.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const content = (size) =>
  randomBytes(Math.ceil((size * 3) / 4))
    .toString("base64")
    .slice(0, size);

function generateSite(dir, seed) {
  const rand = prng(seed);
  const exts = [".html", ".css", ".js", ".json", ".txt", ".svg"];
  const files = [];
  let total = 0;
  for (let i = 0; i < FILES; i++) {
    let rel;
    if (i === 0) rel = "index.html";
    else {
      const depth = Math.floor(rand() * 4); // 0–3 levels: d0/d1/d2
      const parts = [];
      for (let d = 0; d < depth; d++) parts.push(`d${d}-${Math.floor(rand() * 5)}`);
      rel = join(...parts, `f${i}${exts[i % exts.length]}`);
    }
    const size = Math.round(200 * 100 ** rand()); // log-uniform 200 B – 20 KB
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), content(size));
    files.push({ rel, size });
    total += size;
  }
  return { files, total };
}

const fmtBytes = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} KB` : `${n} B`);

await withCleanup(async (onCleanup) => {
  const server = await startServer({ label: "deploy" });
  onCleanup(() => server.stop());
  const work = tempDir("deploy-work");
  onCleanup(() => rmSync(work, { recursive: true, force: true }));

  const cases = ["cp -r", "first deploy", "unchanged redeploy", `redeploy, ${CHANGED} changed`];
  const times = new Map(cases.map((c) => [c, []]));
  const uploads = new Map(cases.map((c) => [c, []])); // {files, bytes}
  const serverMs = new Map(cases.map((c) => [c, []]));
  let siteInfo;

  for (let round = 0; round < ROUNDS; round++) {
    const src = join(work, `site-${round}`);
    const { files, total } = generateSite(src, 1000 + round);
    siteInfo ??= { files: files.length, total };
    const site = `bench-deploy-${round}`;
    await server.cliJson(["sites", "create", site]);

    // (a) cp -r: same bytes, same (warm) page cache, no network or hashing.
    const dst = join(work, `copy-${round}`);
    const cp = await run("cp", ["-r", src, dst]);
    if (cp.code !== 0) throw new Error(`cp -r exited ${cp.code}: ${cp.stderr}`);
    times.get("cp -r").push(cp.ms);
    uploads.get("cp -r").push({ files: files.length, bytes: total });
    rmSync(dst, { recursive: true, force: true });

    const deploy = async (name) => {
      const r = await server.cliJson(["deploy", src, "--site", site, "--prod"], { timeoutMs: 300_000 });
      const { deployment, upload } = r.json;
      if (deployment.state !== "ready") throw new Error(`${name}: deployment ${deployment.id} is ${deployment.state}`);
      times.get(name).push(r.ms);
      uploads.get(name).push({ files: upload.uploadedFiles, bytes: upload.uploadedBytes, total: upload.totalBytes });
      // Server side only: from the deployment record's creation (uploads done) to ready.
      serverMs.get(name).push(Date.parse(deployment.readyAt) - Date.parse(deployment.createdAt));
      return r.json;
    };

    // (b) first deploy, (c) the same tree again.
    const first = await deploy("first deploy");
    if (first.upload.files !== files.length) {
      throw new Error(`first deploy saw ${first.upload.files} files, expected ${files.length}`);
    }
    const again = await deploy("unchanged redeploy");
    if (again.upload.uploadedBytes !== 0 || again.upload.uploadedFiles !== 0) {
      throw new Error(
        `unchanged redeploy uploaded ${again.upload.uploadedFiles} files / ${again.upload.uploadedBytes} bytes; the target is 0 (DESIGN.md)`,
      );
    }

    // (d) rewrite CHANGED files (same sizes, new bytes) and deploy again.
    const step = Math.floor(files.length / CHANGED);
    let changedBytes = 0;
    for (let k = 0; k < CHANGED; k++) {
      const f = files[k * step + 1];
      writeFileSync(join(src, f.rel), content(f.size));
      changedBytes += f.size;
    }
    const changed = await deploy(`redeploy, ${CHANGED} changed`);
    if (changed.upload.uploadedFiles !== CHANGED) {
      console.error(`note: ${CHANGED} files changed but ${changed.upload.uploadedFiles} were uploaded`);
    }
    uploads.get(`redeploy, ${CHANGED} changed`).at(-1).changedBytes = changedBytes;
  }

  const m = Object.fromEntries(cases.map((c) => [c, median(times.get(c))]));
  console.log(
    `deploy: ${siteInfo.files} files, ${fmtBytes(siteInfo.total)} per site; ${ROUNDS} rounds, median wall time (whole process)`,
  );
  console.log(
    `${"case".padEnd(24)} ${"uploaded".padStart(22)} ${"time".padStart(10)} ${"created→ready".padStart(14)}   ratio`,
  );
  for (const c of cases) {
    const u = uploads.get(c)[0];
    const up = `${u.files} files / ${fmtBytes(u.bytes)}`;
    const ratio =
      c === "cp -r"
        ? "1.00× cp"
        : c === "first deploy"
          ? `${(m[c] / m["cp -r"]).toFixed(1)}× cp`
          : `${(m[c] / m["first deploy"]).toFixed(2)}× first`;
    const srv = serverMs.get(c).length ? `${median(serverMs.get(c)).toFixed(0)} ms` : "-";
    console.log(
      `${c.padEnd(24)} ${up.padStart(22)} ${`${m[c].toFixed(0)} ms`.padStart(10)} ${srv.padStart(14)}   ${ratio}`,
    );
  }
  console.log(
    `unchanged redeploy uploaded 0 bytes in all ${ROUNDS} rounds (target: 0). samples ms: ${cases
      .map(
        (c) =>
          `${c}=[${times
            .get(c)
            .map((x) => x.toFixed(0))
            .join(",")}]`,
      )
      .join(" ")}`,
  );
});
