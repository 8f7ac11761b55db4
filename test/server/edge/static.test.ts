import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEdgeServer, type EdgeServer } from "../../../src/server/edge/router.js";
import { matchesEtag, parseRange, requestPath } from "../../../src/server/edge/static.js";
import type { StaticFile, StaticTarget } from "../../../src/server/edge/target.js";
import { fetchEdge } from "../../helpers/fetch-edge.js";

const SITE_FILES: Record<string, string> = {
  "/index.html": "<h1>home</h1>",
  "/about.html": "<h1>about</h1>",
  "/docs/index.html": "<h1>docs</h1>",
  "/guide/index.html": "<h1>guide</h1>",
  "/app.js": "console.log(1)",
  "/style.css": "body{}",
  "/data.json": "{}",
  "/logo.png": "\x89PNG",
  "/blob.unknownext": "???",
  "/numbers.txt": "0123456789",
};

let root: string;
let edge: EdgeServer;
const targets = new Map<string, StaticTarget>();

async function makeTarget(key: string, content: Record<string, string>, spaFallback = false): Promise<StaticTarget> {
  const files = new Map<string, StaticFile>();
  for (const [path, body] of Object.entries(content)) {
    const sha256 = createHash("sha256").update(body).digest("hex");
    await writeFile(join(root, "blobs", sha256), body);
    files.set(path, { sha256, size: Buffer.byteLength(body) });
  }
  return { kind: "static", key, files, blobPath: (sha) => join(root, "blobs", sha), spaFallback };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "edge-static-"));
  await mkdir(join(root, "blobs"));
  // Files beside the blob store that a traversal would love to reach.
  await writeFile(join(root, "secret.txt"), "top secret");
  await writeFile(join(root, "blobs", "x"), "blob named x");
  targets.set("site", await makeTarget("site", SITE_FILES));
  targets.set("spa", await makeTarget("spa", { "/index.html": "<div id=app></div>", "/main.js": "app()" }, true));
  targets.set(
    "custom404",
    await makeTarget("custom404", { "/index.html": "home", "/404.html": "<h1>our own 404</h1>" }),
  );
  const missing = await makeTarget("broken", { "/index.html": "gone" });
  targets.set("broken", { ...missing, blobPath: (sha) => join(root, "nowhere", sha) });
  edge = await createEdgeServer({ port: 0, resolve: async ({ site }) => targets.get(site) ?? null });
});

afterAll(async () => {
  await edge?.close();
  await rm(root, { recursive: true, force: true });
});

const get = (path: string, init?: Parameters<typeof fetchEdge>[3], site = "site") =>
  fetchEdge(edge.port, `${site}.localhost:${edge.port}`, path, init);

describe("static targets", () => {
  it.each([
    ["/", "<h1>home</h1>"],
    ["/index.html", "<h1>home</h1>"],
    ["/?utm=x", "<h1>home</h1>"],
    ["/about", "<h1>about</h1>"],
    ["/about.html", "<h1>about</h1>"],
    ["/docs/", "<h1>docs</h1>"],
    ["/docs", "<h1>docs</h1>"],
    ["/guide", "<h1>guide</h1>"],
    ["/%61bout", "<h1>about</h1>"],
  ])("serves %s", async (path, body) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.text).toBe(body);
  });

  it.each([
    ["/index.html", "text/html; charset=utf-8"],
    ["/app.js", "text/javascript; charset=utf-8"],
    ["/style.css", "text/css; charset=utf-8"],
    ["/data.json", "application/json; charset=utf-8"],
    ["/numbers.txt", "text/plain; charset=utf-8"],
    ["/logo.png", "image/png"],
    ["/blob.unknownext", "application/octet-stream"],
  ])("types %s as %s", async (path, type) => {
    const res = await get(path);
    expect(res.headers["content-type"]).toBe(type);
  });

  it("sends a strong ETag and answers If-None-Match with 304", async () => {
    const first = await get("/app.js");
    const etag = first.headers.etag as string;
    expect(etag).toBe(`"${targets.get("site")!.files.get("/app.js")!.sha256}"`);
    expect(first.headers["cache-control"]).toBe("public, max-age=0, must-revalidate");
    expect(first.headers["content-length"]).toBe(String("console.log(1)".length));
    const again = await get("/app.js", { headers: { "if-none-match": `"nope", ${etag}` } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    const weak = await get("/app.js", { headers: { "if-none-match": `W/${etag}` } });
    expect(weak.status).toBe(304);
    const other = await get("/app.js", { headers: { "if-none-match": '"other"' } });
    expect(other.status).toBe(200);
  });

  it("answers HEAD with headers and no body", async () => {
    const res = await get("/about", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers["content-length"]).toBe(String("<h1>about</h1>".length));
    expect(res.body.length).toBe(0);
  });

  it("serves single byte ranges", async () => {
    const part = await get("/numbers.txt", { headers: { range: "bytes=2-4" } });
    expect(part.status).toBe(206);
    expect(part.text).toBe("234");
    expect(part.headers["content-range"]).toBe("bytes 2-4/10");
    expect((await get("/numbers.txt", { headers: { range: "bytes=-3" } })).text).toBe("789");
    expect((await get("/numbers.txt", { headers: { range: "bytes=7-" } })).text).toBe("789");
    const tooFar = await get("/numbers.txt", { headers: { range: "bytes=50-60" } });
    expect(tooFar.status).toBe(416);
    expect(tooFar.headers["content-range"]).toBe("bytes */10");
    const multi = await get("/numbers.txt", { headers: { range: "bytes=0-1,3-4" } });
    expect(multi.status).toBe(200);
    expect(multi.text).toBe("0123456789");
  });

  it("answers a missing page with our 404 page", async () => {
    const res = await get("/nope");
    expect(res.status).toBe(404);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.text).toContain("There is no page at this address.");
  });

  it("answers a missing page with the deployment's own 404.html when it has one", async () => {
    const res = await get("/nope", {}, "custom404");
    expect(res.status).toBe(404);
    expect(res.text).toBe("<h1>our own 404</h1>");
  });

  it("falls back to /index.html for extension-less paths when the SPA fallback is on", async () => {
    const route = await get("/users/42", {}, "spa");
    expect(route.status).toBe(200);
    expect(route.text).toBe("<div id=app></div>");
    expect((await get("/main.js", {}, "spa")).text).toBe("app()");
    expect((await get("/missing.js", {}, "spa")).status).toBe(404);
    expect((await get("/users/42", {}, "site")).status).toBe(404);
  });

  it.each(["POST", "PUT", "DELETE", "PATCH"])("refuses %s with 405 and Allow", async (method) => {
    const res = await get("/", { method, body: "x" });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("GET, HEAD");
  });

  it.each([
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/%2E%2E/secret.txt",
    "/..%2fsecret.txt",
    "/..%5csecret.txt",
    "/docs/../../secret.txt",
    "/x",
    "/../blobs/x",
    "/index.html%00.png",
    "/%00",
    "/%zz",
  ])("never leaves the file map for %s", async (path) => {
    const res = await get(path);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain("secret");
    expect(res.text).not.toContain("blob named x");
  });

  it("normalises dot segments inside the site", async () => {
    expect((await get("/docs/../about")).text).toBe("<h1>about</h1>");
    expect((await get("/%2e%2e/about")).text).toBe("<h1>about</h1>");
  });

  it("answers 500 when a listed blob is missing from the store", async () => {
    const res = await get("/", {}, "broken");
    expect(res.status).toBe(500);
    expect(res.headers.etag).toBeUndefined();
  });
});

describe("static helpers", () => {
  it("parses ranges", () => {
    expect(parseRange("bytes=0-0", 10)).toEqual([0, 0]);
    expect(parseRange("bytes=5-100", 10)).toEqual([5, 9]);
    expect(parseRange("bytes=-100", 10)).toEqual([0, 9]);
    expect(parseRange("bytes=-0", 10)).toBe("unsatisfiable");
    expect(parseRange("bytes=10-", 10)).toBe("unsatisfiable");
    expect(parseRange("bytes=4-2", 10)).toBeNull();
    expect(parseRange("bytes=a-b", 10)).toBeNull();
    expect(parseRange("items=0-1", 10)).toBeNull();
    expect(parseRange("bytes=-", 10)).toBeNull();
  });

  it("matches entity tags weakly", () => {
    expect(matchesEtag('"a"', '"a"')).toBe(true);
    expect(matchesEtag('W/"a"', '"a"')).toBe(true);
    expect(matchesEtag("*", '"a"')).toBe(true);
    expect(matchesEtag('"b", "c"', '"a"')).toBe(false);
    expect(matchesEtag(undefined, '"a"')).toBe(false);
  });

  it("decodes and normalises request paths", () => {
    expect(requestPath("/a/./b/../c?x=1")).toBe("/a/c");
    expect(requestPath("/../../etc/passwd")).toBe("/etc/passwd");
    expect(requestPath("/a%00b")).toBeNull();
    expect(requestPath("/a%5cb")).toBeNull();
    expect(requestPath("/%E0%A4%A")).toBeNull();
    expect(requestPath("http://evil/x")).toBeNull();
    expect(requestPath("*")).toBeNull();
  });
});
