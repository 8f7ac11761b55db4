// Deploys a local directory: build the manifest, ask which blobs the server lacks, upload
// only those (bounded concurrency, retries), then create the deployment. Node-only.
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type { HostingClient } from "../client.js";
import { HostingError } from "../errors.js";
import type { UploadLimits } from "../paths.js";
import type { Deployment } from "../schemas.js";
import { buildManifest, type LocalFile, mapLimit } from "./manifest.js";

export interface UploadProgress {
  phase: "hashing" | "negotiating" | "uploading" | "creating";
  files: number;
  totalBytes: number;
  uploadFiles: number;
  uploadBytes: number;
  uploadedFiles: number;
  uploadedBytes: number;
}

export interface UploadStats {
  files: number;
  totalBytes: number;
  uploadedFiles: number;
  uploadedBytes: number;
}

export interface DeployDirectoryOptions {
  dir: string;
  siteName: string;
  production?: boolean;
  environment?: string;
  message?: string;
  concurrency?: number;
  retries?: number;
  limits?: Partial<UploadLimits>;
  onProgress?: (p: UploadProgress) => void;
  signal?: AbortSignal;
}

const RETRYABLE = new Set(["unavailable", "upstream", "timeout", "rate_limited", "internal"]);

export async function deployDirectory(
  client: HostingClient,
  opts: DeployDirectoryOptions,
): Promise<{ deployment: Deployment; upload: UploadStats }> {
  const progress: UploadProgress = {
    phase: "hashing",
    files: 0,
    totalBytes: 0,
    uploadFiles: 0,
    uploadBytes: 0,
    uploadedFiles: 0,
    uploadedBytes: 0,
  };
  const report = () => opts.onProgress?.({ ...progress });
  report();
  const manifest = await buildManifest(opts.dir, { limits: opts.limits ?? {} });
  if (manifest.files.length === 0) {
    throw new HostingError(
      "invalid_input",
      `nothing to deploy in ${opts.dir}: every file is ignored or the directory is empty`,
      {
        hint: "Check .gitignore and .decohostingignore, or pass the directory that holds the site",
      },
    );
  }
  progress.files = manifest.files.length;
  progress.totalBytes = manifest.totalBytes;
  progress.phase = "negotiating";
  report();

  const bySha = new Map<string, LocalFile>();
  for (const f of manifest.files) bySha.set(f.sha256, f);
  const { missing } = await client.findMissingBlobs({ hashes: [...bySha.keys()] }, { signal: opts.signal });
  const toUpload = missing.map((sha) => bySha.get(sha)).filter((f): f is LocalFile => f !== undefined);
  progress.phase = "uploading";
  progress.uploadFiles = toUpload.length;
  progress.uploadBytes = toUpload.reduce((n, f) => n + f.size, 0);
  report();

  await mapLimit(toUpload, opts.concurrency ?? 16, async (file) => {
    await withRetries(opts.retries ?? 3, () =>
      client.putBlob(
        file.sha256,
        () => Readable.toWeb(createReadStream(file.absolute)) as ReadableStream<Uint8Array>,
        file.size,
        {
          signal: opts.signal,
        },
      ),
    );
    progress.uploadedFiles++;
    progress.uploadedBytes += file.size;
    report();
  });

  progress.phase = "creating";
  report();
  const input: Parameters<HostingClient["deploy"]>[0] = {
    siteName: opts.siteName,
    files: manifest.files.map(({ path, sha256, size, mode }) => ({ path, sha256, size, mode })),
  };
  if (opts.production !== undefined) input.production = opts.production;
  if (opts.environment !== undefined) input.environment = opts.environment;
  if (opts.message !== undefined) input.message = opts.message;
  const deployment = await client.deploy(input, { signal: opts.signal });
  return {
    deployment,
    upload: {
      files: progress.files,
      totalBytes: progress.totalBytes,
      uploadedFiles: progress.uploadedFiles,
      uploadedBytes: progress.uploadedBytes,
    },
  };
}

async function withRetries<T>(retries: number, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as HostingError).code;
      if (attempt >= retries || !RETRYABLE.has(code)) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}
