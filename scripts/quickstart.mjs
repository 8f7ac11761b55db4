// The main job on the embedded default: install and build if needed, then deploy
// examples/static-site to production on the local server and print its URL.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
execFileSync(process.execPath, ["scripts/setup.mjs"], { cwd: root, stdio: "inherit" });

const site = process.env.SITE ?? "hello";
const cli = (...args) =>
  execFileSync(process.execPath, ["bin/deco-hosting.js", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });

try {
  cli("sites", "create", site, "--json");
} catch (err) {
  if (err.status !== 5) throw err; // 5: the site exists already, which is fine
}
const result = JSON.parse(cli("deploy", "examples/static-site", "--site", site, "--prod", "--json"));
console.log(`Deployed ${result.deployment.id} (${result.upload.uploadedBytes} bytes uploaded)`);
console.log(`Production: ${result.urls.production}`);
console.log(`Preview:    ${result.urls.preview}`);
