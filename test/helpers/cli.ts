// Runs the built CLI (`node bin/deco-hosting.js`, building it first if needed) with
// throwaway XDG dirs, the keychain off and none of the caller's deco-hosting settings.
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type Options } from "execa";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const bin = join(root, "bin", "deco-hosting.js");

export async function ensureBuilt(): Promise<void> {
  if (!existsSync(join(root, "dist", "cli.js"))) await execa("node", ["scripts/build.mjs"], { cwd: root });
}

/** A clean environment: temp XDG dirs, no keychain, none of the caller's deco-hosting settings. */
export async function isolatedEnv(): Promise<{ env: Record<string, string>; home: string }> {
  const home = await mkdtemp(join(tmpdir(), "deco-hosting-cli-e2e-"));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("DECO_HOSTING_") && k !== "CI") env[k] = v;
  Object.assign(env, {
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_DATA_HOME: join(home, "data"),
    DECO_HOSTING_KEYCHAIN: "off",
    NO_COLOR: "1",
  });
  return { env, home };
}

export function cli(env: Record<string, string>, args: string[], opts: Options = {}) {
  return execa("node", [bin, ...args], { env, extendEnv: false, reject: false, timeout: 30_000, ...opts });
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON documents
export function json(stdout: unknown): any {
  return JSON.parse(String(stdout));
}

/** `deco-hosting server … --json` in the foreground; resolves with its first document once it listens. */
export async function serverProcess(
  env: Record<string, string>,
  args: string[],
): Promise<{ child: ReturnType<typeof execa>; started: { url: string; edgePort: number; isolation: unknown } }> {
  const child = execa("node", [bin, "server", ...args, "--json"], {
    env,
    extendEnv: false,
    reject: false,
    stdin: "ignore",
  });
  try {
    const started = await new Promise<{ url: string; edgePort: number; isolation: unknown }>((resolve, reject) => {
      let out = "";
      child.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
        try {
          resolve(JSON.parse(out));
        } catch {} // not whole yet
      });
      child.once("exit", () => reject(new Error(`server exited: ${out}`)));
    });
    return { child, started };
  } catch (err) {
    child.kill("SIGKILL");
    await child;
    throw err;
  }
}
