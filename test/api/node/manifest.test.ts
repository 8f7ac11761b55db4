import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildManifest, mapLimit } from "../../../src/api/node/manifest.js";
import { unsafePathReason } from "../../../src/api/paths.js";

let dir: string;
let outside: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "dh-manifest-"));
  outside = await mkdtemp(path.join(tmpdir(), "dh-outside-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function put(rel: string, content: string) {
  await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
  await writeFile(path.join(dir, rel), content);
}
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("buildManifest", () => {
  it("hashes files and honours .gitignore, nested ignores and our ignore file", async () => {
    await put("index.html", "<h1>hi</h1>");
    await put("assets/app.js", "console.log(1)");
    await put("debug.log", "x");
    await put(".gitignore", "*.log\n");
    await put("assets/.gitignore", "secret.txt\n");
    await put("assets/secret.txt", "s");
    await put("drafts/a.md", "a");
    await put(".decohostingignore", "drafts/\n");
    await put("node_modules/x/index.js", "x");
    await put(".env", "TOKEN=1");
    await put(".env.example", "TOKEN=");
    await put(".git/HEAD", "ref");
    const m = await buildManifest(dir);
    expect(m.files.map((f) => f.path).sort()).toEqual([
      ".decohostingignore",
      ".env.example",
      ".gitignore",
      "assets/.gitignore",
      "assets/app.js",
      "index.html",
    ]);
    const index = m.files.find((f) => f.path === "index.html");
    expect(index).toMatchObject({ sha256: sha("<h1>hi</h1>"), size: 11 });
    expect(m.totalBytes).toBe(m.files.reduce((n, f) => n + f.size, 0));
  });

  it("follows links inside the tree and refuses links that leave it", async () => {
    await put("real/a.txt", "a");
    await symlink(path.join(dir, "real"), path.join(dir, "alias"));
    const m = await buildManifest(dir);
    expect(m.files.map((f) => f.path).sort()).toEqual(["alias/a.txt", "real/a.txt"]);

    await writeFile(path.join(outside, "passwd"), "root");
    await symlink(path.join(outside, "passwd"), path.join(dir, "leak"));
    await expect(buildManifest(dir)).rejects.toMatchObject({ code: "invalid_input", message: /outside/ });
  });

  it("enforces file-count, file-size and total-size limits with clear errors", async () => {
    await put("a.txt", "12345");
    await put("b.txt", "12345");
    await expect(buildManifest(dir, { limits: { maxFiles: 1 } })).rejects.toMatchObject({
      code: "payload_too_large",
      message: /more than 1 files/,
    });
    await expect(buildManifest(dir, { limits: { maxFileBytes: 4 } })).rejects.toMatchObject({
      code: "payload_too_large",
      message: /a\.txt is 5 bytes/,
    });
    await expect(buildManifest(dir, { limits: { maxTotalBytes: 9 } })).rejects.toMatchObject({
      code: "payload_too_large",
      hint: /\.decohostingignore/,
    });
  });

  it("fails clearly on a missing directory", async () => {
    await expect(buildManifest(path.join(dir, "nope"))).rejects.toMatchObject({
      code: "invalid_input",
      message: /no such directory/,
    });
  });
});

describe("unsafePathReason", () => {
  it.each([
    ["../etc/passwd", /'\.\.'/],
    ["a/../../b", /'\.\.'/],
    ["/etc/passwd", /absolute/],
    ["C:/x", /absolute/],
    ["a\0b", /NUL/],
    ["a\\b", /backslash/],
    ["a//b", /empty segment/],
    ["", /empty/],
  ])("refuses %j", (p, why) => {
    expect(unsafePathReason(p)).toMatch(why);
  });
  it("accepts ordinary paths", () => {
    expect(unsafePathReason("assets/app.v2.js")).toBeNull();
    expect(unsafePathReason(".well-known/x")).toBeNull();
  });
});

describe("mapLimit", () => {
  it("keeps order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});
