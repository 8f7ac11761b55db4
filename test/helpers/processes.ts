// Looking at the machine's processes from the host side (Linux /proc), where a sandboxed
// process has its host pid whatever pid it sees inside its own namespace.
import { readdir, readFile } from "node:fs/promises";

/** Host pids of live processes (zombies awaiting their reaper do not count) for which `match` holds. */
async function processesWhere(match: (cmdline: string, environ: string) => boolean): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const [cmdline, environ, stat] = await Promise.all(
      ["cmdline", "environ", "stat"].map((f) => readFile(`/proc/${name}/${f}`, "utf8").catch(() => "")),
    );
    const state = (stat ?? "").slice((stat ?? "").lastIndexOf(")") + 2)[0];
    if (state && state !== "Z" && match(cmdline ?? "", environ ?? "")) pids.push(Number(name));
  }
  return pids;
}

/** Pids whose command line contains `needle`. */
export function processesRunning(needle: string): Promise<number[]> {
  return processesWhere((cmdline) => cmdline.includes(needle));
}

/** Pids of the processes a deployment started (its build or app), by the id in their environment. */
export function processesOfDeployment(id: string): Promise<number[]> {
  return processesWhere((_, environ) => environ.split("\0").includes(`DECO_HOSTING_DEPLOYMENT_ID=${id}`));
}
