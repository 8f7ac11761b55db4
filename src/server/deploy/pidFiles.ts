// Process groups the server started, recorded as <runDir>/<name>.pid ("<pid> <start time>"),
// so that after the server itself was killed the next start can stop what it left running.
// The run dir is the server's alone (no sandbox sees it), and a recorded pid is signalled
// only while the process there is the one recorded: never pid 1 or less, never a pid reused
// by another process since (its start time in /proc would differ).
import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { killGroup } from "../platform/local/sandbox.js";

export async function recordPid(runDir: string, name: string, pid: number): Promise<void> {
  const started = startTime(pid);
  if (started === null) return; // gone already
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(runDir, `${name}.pid`), `${pid} ${started}`, { mode: 0o600 });
}

export function forgetPid(runDir: string, name: string): Promise<void> {
  return rm(path.join(runDir, `${name}.pid`), { force: true });
}

/** SIGKILLs every recorded group whose name starts with `prefix` and is still the one recorded, and forgets it. */
export async function killRecorded(runDir: string, prefix: string): Promise<void> {
  for (const file of await readdir(runDir).catch(() => [] as string[])) {
    if (!file.startsWith(prefix) || !file.endsWith(".pid")) continue;
    const [pidText = "", started = ""] = (await readFile(path.join(runDir, file), "utf8").catch(() => "")).split(" ");
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 1 && started !== "" && startTime(pid) === started) killGroup(pid, "SIGKILL");
    await rm(path.join(runDir, file), { force: true });
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
export function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}
