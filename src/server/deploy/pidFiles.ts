// Process groups the server started, recorded as <runDir>/<name>.pid, so that after the
// server itself was killed the next start can stop what it left running.
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { killGroup } from "./buildRunner.js";

export async function recordPid(runDir: string, name: string, pid: number): Promise<void> {
  await mkdir(runDir, { recursive: true });
  await writeFile(path.join(runDir, `${name}.pid`), String(pid));
}

export function forgetPid(runDir: string, name: string): Promise<void> {
  return rm(path.join(runDir, `${name}.pid`), { force: true });
}

/** SIGKILLs every recorded group whose name starts with `prefix`, and forgets it. */
export async function killRecorded(runDir: string, prefix: string): Promise<void> {
  for (const file of await readdir(runDir).catch(() => [] as string[])) {
    if (!file.startsWith(prefix) || !file.endsWith(".pid")) continue;
    const pid = Number(await readFile(path.join(runDir, file), "utf8").catch(() => "NaN"));
    if (Number.isInteger(pid) && pid > 0) killGroup(pid, "SIGKILL");
    await rm(path.join(runDir, file), { force: true });
  }
}
