// Content-addressed blob store under the data dir, shared across deployments and sites:
// each file's bytes live once, at blobs/<first two hex>/<sha256>. A blob is written to a
// temp file while its hash is computed and renamed into place only if the hash matches.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { access, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HostingError } from "../../api/errors.js";

const SHA256 = /^[a-f0-9]{64}$/;

export interface BlobStore {
  root: string;
  path(sha256: string): string;
  has(sha256: string): Promise<boolean>;
  missing(hashes: Iterable<string>): Promise<string[]>;
  put(sha256: string, body: Readable, opts: { maxBytes: number; expectedSize?: number }): Promise<{ size: number }>;
}

export function createBlobStore(dataDir: string): BlobStore {
  const root = path.join(dataDir, "blobs");
  const tmp = path.join(root, "tmp");
  const blobPath = (sha256: string) => {
    if (!SHA256.test(sha256)) throw new HostingError("invalid_input", `not a SHA-256: ${sha256.slice(0, 80)}`);
    return path.join(root, sha256.slice(0, 2), sha256);
  };
  const has = (sha256: string) =>
    access(blobPath(sha256)).then(
      () => true,
      () => false,
    );

  return {
    root,
    path: blobPath,
    has,
    async missing(hashes) {
      const unique = [...new Set(hashes)];
      const present = await Promise.all(unique.map(has));
      return unique.filter((_, i) => !present[i]);
    },
    async put(sha256, body, { maxBytes, expectedSize }) {
      const final = blobPath(sha256);
      await mkdir(tmp, { recursive: true });
      const temp = path.join(tmp, `${sha256}.${randomBytes(6).toString("hex")}`);
      const hash = createHash("sha256");
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (size > maxBytes) {
            done(new HostingError("payload_too_large", `blob is larger than ${maxBytes} bytes`));
            return;
          }
          hash.update(chunk);
          done(null, chunk);
        },
      });
      try {
        await pipeline(body, meter, createWriteStream(temp, { mode: 0o600 }));
        const actual = hash.digest("hex");
        if (actual !== sha256) {
          throw new HostingError("invalid_input", `the uploaded bytes hash to ${actual}, not ${sha256}`, {
            hint: "The file changed while uploading, or the upload was corrupted; deploy again",
          });
        }
        if (expectedSize !== undefined && size !== expectedSize) {
          throw new HostingError("invalid_input", `blob is ${size} bytes, the manifest said ${expectedSize}`);
        }
        await mkdir(path.dirname(final), { recursive: true });
        await rename(temp, final);
        return { size };
      } finally {
        await rm(temp, { force: true });
      }
    },
  };
}
