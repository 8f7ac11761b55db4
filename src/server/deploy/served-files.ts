// What a static deployment may serve, and when its output cannot be what the site means.
// A deploy that says `ready` while serving the source tree, a server bundle or nothing at
// `/` is worse than one that fails: these fail, with a reason and a hint.
import { HostingError } from "../../api/errors.js";
import { IGNORE_FILE } from "../../api/node/manifest.js";
import { SITE_CONFIG_FILE } from "../../api/schemas.js";
import type { ResolvedSiteConfig } from "./siteConfig.js";

// The project's own files at the output's root: config of ours and lockfiles.
const ROOT_ONLY = new Set([
  SITE_CONFIG_FILE,
  IGNORE_FILE,
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lockb",
  "bun.lock",
]);

/** Files no site serves, at any depth: ignore rules, npm credentials, environment files. */
export function neverServed(file: string): boolean {
  if (ROOT_ONLY.has(file)) return true;
  const name = file.slice(file.lastIndexOf("/") + 1);
  if (name === ".gitignore" || name === ".npmrc" || name === ".yarnrc.yml") return true;
  return (name === ".env" || name.startsWith(".env.")) && name !== ".env.example";
}

// Paths that mean the output is a server, not files to serve.
const SERVER_BUNDLES = [/^\.output\/server\//, /^\.svelte-kit\//, /^\.next\/server\//, /^server\/index\.m?js$/];

/** Throws when a build-backed static output cannot be the site (see the file's comment). */
export function checkBuiltOutput(files: ReadonlyArray<{ path: string }>, cfg: ResolvedSiteConfig, out: string): void {
  if (!cfg.build) return; // uploaded files are served as they were chosen
  const configured = `set "output" in ${SITE_CONFIG_FILE} to the directory the build writes (dist, build, out …)`;
  if (out === "." && cfg.output === null) {
    throw new HostingError(
      "invalid_input",
      "the build wrote no output directory, so the whole source tree would be served",
      {
        hint: `Make the build write into dist/ (or build/, out/), or ${configured}`,
      },
    );
  }
  const bundle = files.find((f) => SERVER_BUNDLES.some((re) => re.test(f.path)));
  if (bundle) {
    throw new HostingError("invalid_input", `the output holds a server bundle (${bundle.path}), not a static site`, {
      hint: `Run it as a server: set "start" in ${SITE_CONFIG_FILE} (for example "node ${bundle.path}")`,
    });
  }
  const paths = new Set(files.map((f) => f.path));
  if (!paths.has("index.html") && !paths.has("404.html") && !cfg.spa) {
    throw new HostingError("invalid_input", `the output "${out}" has no index.html, so / would answer 404`, {
      hint: `Check what the build writes, ${configured}, or set "spa": true with an index.html`,
    });
  }
}
