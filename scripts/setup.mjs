// Installs dependencies when they are missing or older than the lock file, then builds.
// Used by `npm start` and `npm test` so a fresh clone needs no other step.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const installed = `${root}node_modules/.package-lock.json`;
const lock = `${root}package-lock.json`;
const sh = (cmd) => execSync(cmd, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });

// better-sqlite3 compiles from source when its prebuilt download is unreachable; point
// node-gyp at the headers a system Node ships rather than downloading them.
const env = { ...process.env };
if (!env.npm_config_nodedir && existsSync("/usr/include/node/node.h")) env.npm_config_nodedir = "/usr";

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.error("Installing dependencies (npm ci)…");
  sh("npm ci --no-audit --no-fund");
}
if (!process.argv.includes("--no-build")) sh("node scripts/build.mjs");
