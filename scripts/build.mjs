// Bundles the CLI into dist/ with esbuild. Dependencies stay external (installed by npm);
// every dynamic import() becomes its own chunk, so `--version` and `--help` load only the
// command table, and the server, SDK and UI libraries load when a command needs them.
import { execFileSync } from "node:child_process";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { build } from "esbuild";

const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
await rm(new URL("../dist", import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: "src/cli.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  chunkNames: "chunks/[name]-[hash]",
  define: { __VERSION__: JSON.stringify(pkg.version) },
  logLevel: "warning",
});
await writeFile(
  new URL("../dist/version.js", import.meta.url),
  `export const version = ${JSON.stringify(pkg.version)};\n`,
);
// The bridge runs inside app sandboxes from a read-only bind, as the plain file it is.
await cp(
  new URL("../src/server/platform/local/connect-bridge.mjs", import.meta.url),
  new URL("../dist/connect-bridge.mjs", import.meta.url),
);
// The edge's error pages are files (read once at start), not strings in the bundle.
await cp(new URL("../src/server/edge/pages", import.meta.url), new URL("../dist/edge-pages", import.meta.url), {
  recursive: true,
});
// `--help` prints this file; rendering it here from the built command table keeps it exact.
const rootHelp = execFileSync(
  process.execPath,
  [new URL("../bin/deco-hosting.js", import.meta.url).pathname, "--help"],
  {
    encoding: "utf8",
  },
);
await writeFile(new URL("../dist/root-help.txt", import.meta.url), rootHelp);
