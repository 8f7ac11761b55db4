import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BlobStore, createBlobStore } from "../../../src/server/deploy/blobStore.js";

let dir: string;
let store: BlobStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "dh-blobs-"));
  store = createBlobStore(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const sha = (b: string) => createHash("sha256").update(b).digest("hex");

describe("blobStore", () => {
  it("stores bytes under their hash and reports what is missing", async () => {
    const a = sha("alpha");
    const b = sha("beta");
    expect(await store.missing([a, b, a])).toEqual([a, b]);
    await store.put(a, Readable.from([Buffer.from("alpha")]), { maxBytes: 100, expectedSize: 5 });
    expect(await store.missing([a, b])).toEqual([b]);
    expect(await readFile(store.path(a), "utf8")).toBe("alpha");
    expect(store.path(a)).toBe(path.join(dir, "blobs", a.slice(0, 2), a));
  });

  it("refuses bytes that do not match the hash and keeps nothing", async () => {
    const claimed = sha("what was promised");
    await expect(
      store.put(claimed, Readable.from([Buffer.from("something else")]), { maxBytes: 100 }),
    ).rejects.toMatchObject({
      code: "invalid_input",
      message: /hash to/,
    });
    expect(await store.has(claimed)).toBe(false);
    expect(await readdir(path.join(dir, "blobs", "tmp"))).toEqual([]);
  });

  it("refuses blobs over the size limit and a size that differs from the manifest", async () => {
    const big = "x".repeat(64);
    await expect(store.put(sha(big), Readable.from([Buffer.from(big)]), { maxBytes: 10 })).rejects.toMatchObject({
      code: "payload_too_large",
    });
    await expect(
      store.put(sha("abc"), Readable.from([Buffer.from("abc")]), { maxBytes: 10, expectedSize: 4 }),
    ).rejects.toMatchObject({ code: "invalid_input" });
    expect(await store.missing([sha(big), sha("abc")])).toHaveLength(2);
  });

  it("refuses names that are not hashes, so a path cannot escape the store", () => {
    expect(() => store.path("../../etc/passwd")).toThrow(/not a SHA-256/);
    expect(() => store.path(sha("x").toUpperCase())).toThrow(/not a SHA-256/);
  });
});
