// Where this package is installed: the folder holding its package.json. Found by walking up
// from this module, which runs from src/ in tests and from dist/ (or dist/chunks/) when built.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "deco-hosting"
    ) {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the deco-hosting package folder");
    dir = parent;
  }
}

/** The CLI's launcher, run with `node` so an MCP client needs no global install. */
export function cliBin(): string {
  return join(packageRoot(), "bin", "deco-hosting.js");
}
