// Walks a directory into a deploy manifest: honours .gitignore files (nested too) and our
// own .decohostingignore, refuses links that leave the tree, and hashes files with SHA-256
// in parallel. Node-only.
import { createHash } from "node:crypto";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import ignore, { type Ignore } from "ignore";
import { HostingError } from "../errors.js";
import { UPLOAD_LIMITS, type UploadLimits, unsafePathReason } from "../paths.js";
import type { ManifestFile } from "../schemas.js";
import { openRegular, readRegularText } from "./regular-file.js";

export const IGNORE_FILE = ".decohostingignore";

/** Never uploaded: VCS data, dependencies (the build installs them), local links, secrets. */
const DEFAULT_IGNORES = [".git/", "node_modules/", ".deco-hosting/", ".DS_Store", ".env", ".env.*", "!.env.example"];

export interface LocalFile extends ManifestFile {
  /** Absolute path on this machine, to read when uploading. */
  absolute: string;
}

export interface Manifest {
  root: string;
  files: LocalFile[];
  totalBytes: number;
}

interface Rules {
  base: string; // directory of the ignore file, relative to root ("" for root)
  ig: Ignore;
}

export async function buildManifest(
  dir: string,
  opts: { limits?: Partial<UploadLimits>; concurrency?: number } = {},
): Promise<Manifest> {
  const limits = { ...UPLOAD_LIMITS, ...opts.limits };
  const root = await realpath(dir).catch(() => {
    throw new HostingError("invalid_input", `no such directory: ${dir}`, { hint: "Pass the directory to deploy" });
  });
  if (!(await stat(root)).isDirectory()) {
    throw new HostingError("invalid_input", `not a directory: ${dir}`, { hint: "Pass the directory to deploy" });
  }
  const found: Array<{ rel: string; absolute: string; size: number; mode: number }> = [];
  let totalBytes = 0;

  const walk = async (relDir: string, inherited: Rules[]): Promise<void> => {
    const absDir = path.join(root, relDir);
    const rules = [...inherited];
    const gi = await readIgnoreFile(path.join(absDir, ".gitignore"));
    if (gi !== null) rules.push({ base: relDir, ig: ignore().add(gi) });
    const entries = await readdir(absDir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      let isDir = entry.isDirectory();
      let absolute = path.join(root, rel);
      if (entry.isSymbolicLink()) {
        const target = await realpath(absolute).catch(() => null);
        if (target === null) continue; // dangling link: nothing to upload
        if (target !== root && !target.startsWith(root + path.sep)) {
          throw new HostingError("invalid_input", `${rel} is a link to outside the deployed directory`, {
            hint: `Copy the file into the directory, or list ${rel} in ${IGNORE_FILE}`,
          });
        }
        isDir = (await stat(target)).isDirectory();
        absolute = target;
      } else if (!isDir && !entry.isFile()) {
        continue; // sockets, FIFOs, devices
      }
      if (isIgnored(rules, rel, isDir)) continue;
      if (isDir) {
        await walk(rel, rules);
        continue;
      }
      const reason = unsafePathReason(rel);
      if (reason) throw new HostingError("invalid_input", `cannot upload ${JSON.stringify(rel)}: ${reason}`);
      const st = await lstat(absolute);
      if (!st.isFile()) continue; // a link to a FIFO, socket or device: nothing to upload
      if (st.size > limits.maxFileBytes) {
        throw new HostingError("payload_too_large", `${rel} is ${st.size} bytes; the limit is ${limits.maxFileBytes}`, {
          hint: `Keep large assets elsewhere, or list ${rel} in ${IGNORE_FILE}`,
        });
      }
      totalBytes += st.size;
      found.push({ rel, absolute, size: st.size, mode: st.mode & 0o777 });
      if (found.length > limits.maxFiles) {
        throw new HostingError("payload_too_large", `more than ${limits.maxFiles} files to upload`, {
          hint: `Deploy the build output directory, or list what is not needed in ${IGNORE_FILE}`,
        });
      }
      if (totalBytes > limits.maxTotalBytes) {
        throw new HostingError("payload_too_large", `the files add up to more than ${limits.maxTotalBytes} bytes`, {
          hint: `Deploy the build output directory, or list what is not needed in ${IGNORE_FILE}`,
        });
      }
    }
  };

  const own = (await readIgnoreFile(path.join(root, IGNORE_FILE))) ?? "";
  await walk("", [{ base: "", ig: ignore().add(DEFAULT_IGNORES).add(own) }]);

  const files = await mapLimit(found, opts.concurrency ?? 16, async (f) => ({
    path: f.rel,
    sha256: await sha256File(f.absolute),
    size: f.size,
    mode: f.mode,
    absolute: f.absolute,
  }));
  return { root, files, totalBytes };
}

function isIgnored(rules: Rules[], rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { base, ig } of rules) {
    const sub = base ? rel.slice(base.length + 1) : rel;
    const r = ig.test(isDir ? `${sub}/` : sub);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

/** An ignore file's rules; one that is a link, a special file or over 1 MiB has none. */
async function readIgnoreFile(file: string): Promise<string | null> {
  return (await readRegularText(file, 1024 * 1024).catch(() => undefined)) ?? null;
}

/** SHA-256 of a regular file (never of what a link or a FIFO would give). */
export async function sha256File(file: string): Promise<string> {
  const handle = await openRegular(file);
  const h = createHash("sha256");
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) h.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return h.digest("hex");
}

/** Runs `fn` over `items` with at most `limit` at once, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
