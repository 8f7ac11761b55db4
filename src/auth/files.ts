// Small file helpers for config and secrets: JSON reads that tolerate absence, atomic writes
// with a chosen mode (so a secret file is never briefly world-readable), and a lock file.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { HostingError } from "../api/errors.js";

export async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${path} is not valid JSON; fix or delete it`);
  }
}

export async function writeJsonAtomic(path: string, data: unknown, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/**
 * Runs `work` holding an exclusive lock file (created with O_EXCL), so two deco-hosting
 * processes do not start two servers or spend one refresh token twice. A lock older than
 * `staleMs` is taken to belong to a process that died.
 */
export async function withFileLock<T>(
  path: string,
  work: () => Promise<T>,
  opts: { waitMs: number; staleMs: number },
): Promise<T> {
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    try {
      await (await open(path, "wx", 0o600)).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const since = await stat(path).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (since > opts.staleMs) {
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new HostingError("timeout", `another deco-hosting process holds ${path}`, {
          hint: `If no other deco-hosting command is running, delete ${path}`,
        });
      }
      await delay(50);
    }
  }
  try {
    return await work();
  } finally {
    await rm(path, { force: true });
  }
}
