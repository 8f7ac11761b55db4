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
// Builds and apps run in bubblewrap's sandbox (the server refuses them without it); builds
// reach the internet through slirp4netns (without it they share the machine's network).
const missing = [
  ["bwrap", "bubblewrap"],
  ["slirp4netns", "slirp4netns"],
  ["nft", "nftables"],
].filter(([bin]) => !onPath(bin) && !existsSync(`/usr/sbin/${bin}`));
if (missing.length > 0) {
  const packages = missing.map(([, pkg]) => pkg).join(" ");
  if (process.getuid?.() === 0 && onPath("apt-get")) {
    console.error(`Installing ${packages}, for the sandbox builds and apps run in (apt-get)…`);
    sh(`apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages}`);
  } else {
    console.error(
      `Note: ${packages} is not installed; without bubblewrap the local server runs no builds or apps. Install with \`sudo apt-get install ${packages}\` (or your system's package manager).`,
    );
  }
}
if (!process.argv.includes("--no-build")) sh("node scripts/build.mjs");

function onPath(name) {
  return (process.env.PATH ?? "").split(":").some((dir) => dir && existsSync(`${dir}/${name}`));
}
