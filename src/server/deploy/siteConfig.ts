// What to do with an uploaded directory: deco-hosting.json when present, else what
// package.json's scripts say, else serve the directory as it is.
import { access } from "node:fs/promises";
import path from "node:path";
import { HostingError } from "../../api/errors.js";
import { readRegularText } from "../../api/node/regular-file.js";
import { unsafePathReason } from "../../api/paths.js";
import { SITE_CONFIG_FILE, SiteConfig } from "../../api/schemas.js";
import { parseWith } from "../../api/validate.js";

export interface ResolvedSiteConfig {
  source: "deco-hosting.json" | "package.json" | "static";
  install: string | null;
  build: string | null;
  /** Relative to the work dir; "." for the root. */
  output: string | null;
  start: string | null;
  healthCheckPath: string;
  spa: boolean;
}

/** Directories a build commonly writes to, in the order they are looked for. */
export const OUTPUT_CANDIDATES = ["dist", "build", "out", "public", "."];

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads a config file of the tenant's tree without following a link (`package.json ->
 * /etc/shadow` would have the server read, and quote in its error, a file of its own).
 */
async function readConfigFile(file: string): Promise<string | undefined> {
  try {
    return await readRegularText(file, MAX_CONFIG_BYTES);
  } catch {
    throw new HostingError(
      "invalid_input",
      `${path.basename(file)} is a symbolic link or not a regular file of at most 1 MiB`,
      {
        hint: `Make ${path.basename(file)} a regular file in the deployed directory`,
      },
    );
  }
}

async function readJson(file: string): Promise<unknown | undefined> {
  const text = await readConfigFile(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HostingError("invalid_input", `${path.basename(file)} is not valid JSON: ${(err as Error).message}`, {
      hint: `Fix ${path.basename(file)} and deploy again`,
    });
  }
}

/** The install of a project with a lockfile; when npm refuses the lockfile, npm install follows. */
export const NPM_CI = "npm ci --no-audit --no-fund";
export const NPM_INSTALL = "npm install --no-audit --no-fund";

async function defaultInstall(dir: string, pkg: { dependencies?: object; devDependencies?: object }) {
  const deps = Object.keys(pkg.dependencies ?? {}).length + Object.keys(pkg.devDependencies ?? {}).length;
  if (deps === 0) return null;
  return (await exists(path.join(dir, "package-lock.json"))) ? NPM_CI : NPM_INSTALL;
}

export async function resolveSiteConfig(dir: string): Promise<ResolvedSiteConfig> {
  const raw = await readJson(path.join(dir, SITE_CONFIG_FILE));
  const pkg = ((await readJson(path.join(dir, "package.json"))) ?? null) as {
    scripts?: Record<string, string>;
    dependencies?: object;
    devDependencies?: object;
  } | null;

  if (raw !== undefined) {
    const cfg = parseWith(SiteConfig, raw, SITE_CONFIG_FILE);
    if (cfg.output !== undefined) {
      const why = cfg.output === "." ? null : unsafePathReason(cfg.output.replace(/\/+$/, ""));
      if (why)
        throw new HostingError("invalid_input", `${SITE_CONFIG_FILE}: output ${why}`, {
          hint: 'Use a directory inside the site, like "dist"',
        });
    }
    return {
      source: "deco-hosting.json",
      install: cfg.install ?? (pkg ? await defaultInstall(dir, pkg) : null),
      build: cfg.build ?? null,
      output: cfg.output?.replace(/\/+$/, "") ?? null,
      start: cfg.start ?? null,
      healthCheckPath: cfg.healthCheckPath ?? "/",
      spa: cfg.spa ?? false,
    };
  }

  if (pkg) {
    const scripts = pkg.scripts ?? {};
    // A `start` that runs a development server is never what serves a deployment: with a
    // build, the build's output is served; without one, the site cannot be served at all.
    const devStart = typeof scripts.start === "string" && isDevServer(scripts.start);
    if (devStart && !scripts.build) {
      throw new HostingError(
        "invalid_input",
        `package.json's start script runs a development server (${scripts.start})`,
        {
          hint: `Add a "build" script whose output is served, or set "start" in ${SITE_CONFIG_FILE} to a production server`,
        },
      );
    }
    return {
      source: "package.json",
      install: await defaultInstall(dir, pkg),
      build: scripts.build ? "npm run build" : null,
      output: null,
      start: scripts.start && !devStart ? "npm start" : null,
      healthCheckPath: "/",
      spa: false,
    };
  }

  return { source: "static", install: null, build: null, output: ".", start: null, healthCheckPath: "/", spa: false };
}

// Development servers: fast to start, slow and unsafe to serve (sources, client-only pages).
const DEV_SERVERS = [
  // vite alone, with options, or `vite dev|serve` (not `vite build`, `vite preview`)
  /(^|[\s;&|])vite(\s+(dev|serve)\b|\s+-|\s*$|\s*[;&|])/,
  /\bnext\s+dev\b/,
  /\bnuxt\s+dev\b/,
  /\bnuxi\s+dev\b/,
  /\bastro\s+dev\b/,
  /\bdocusaurus\s+start\b/,
  /\bvitepress\s+dev\b/,
  /\breact-scripts\s+start\b/,
  /\bwebpack\s+serve\b/,
  /\bwebpack-dev-server\b/,
];

/** Whether a script runs a development server rather than a production one. */
export function isDevServer(script: string): boolean {
  return DEV_SERVERS.some((re) => re.test(script));
}

/** The output directory to serve: the configured one, else the first candidate that exists. */
export async function findOutputDir(workDir: string, cfg: ResolvedSiteConfig): Promise<string> {
  if (cfg.output !== null) {
    if (!(await exists(path.join(workDir, cfg.output)))) {
      throw new HostingError("invalid_input", `the output directory "${cfg.output}" does not exist after the build`, {
        hint: `Check "output" in ${SITE_CONFIG_FILE} or what the build command writes`,
      });
    }
    return cfg.output;
  }
  for (const c of OUTPUT_CANDIDATES) if (await exists(path.join(workDir, c))) return c;
  return ".";
}
