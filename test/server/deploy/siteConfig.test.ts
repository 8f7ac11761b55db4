import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findOutputDir, resolveSiteConfig } from "../../../src/server/deploy/siteConfig.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "dh-cfg-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));
const put = (rel: string, body: unknown) =>
  writeFile(path.join(dir, rel), typeof body === "string" ? body : JSON.stringify(body));

describe("resolveSiteConfig", () => {
  it("serves a plain directory as it is", async () => {
    await put("index.html", "hi");
    expect(await resolveSiteConfig(dir)).toMatchObject({ source: "static", build: null, start: null, output: "." });
  });

  it("reads package.json scripts and picks the install command from the lock file", async () => {
    await put("package.json", { scripts: { build: "vite build", start: "node server.js" }, dependencies: { x: "1" } });
    await put("package-lock.json", "{}");
    expect(await resolveSiteConfig(dir)).toMatchObject({
      source: "package.json",
      install: "npm ci --no-audit --no-fund",
      build: "npm run build",
      start: "npm start",
    });
  });

  it("never serves with a development server: the build's output instead, or an error with a hint", async () => {
    for (const start of [
      "vite",
      "vite dev",
      "next dev",
      "nuxt dev",
      "astro dev",
      "docusaurus start",
      "react-scripts start",
    ]) {
      await put("package.json", { scripts: { build: "x build", start } });
      expect([start, await resolveSiteConfig(dir)]).toMatchObject([start, { start: null, build: "npm run build" }]);
    }
    await put("package.json", { scripts: { start: "vite --port 3000" } });
    await expect(resolveSiteConfig(dir)).rejects.toMatchObject({
      code: "invalid_input",
      message: expect.stringContaining("development server"),
      hint: expect.stringContaining('"build"'),
    });
    // Production servers are kept.
    for (const start of [
      "node server.js",
      "next start",
      "node build",
      "react-router-serve ./build/server/index.js",
      "vite build && node server.js",
    ]) {
      await put("package.json", { scripts: { build: "x", start } });
      expect([start, (await resolveSiteConfig(dir)).start]).toEqual([start, "npm start"]);
    }
  });

  it("skips the install when package.json has no dependencies", async () => {
    await put("package.json", { scripts: { start: "node server.js" } });
    expect(await resolveSiteConfig(dir)).toMatchObject({ install: null, start: "npm start", build: null });
  });

  it("prefers deco-hosting.json", async () => {
    await put("package.json", { scripts: { build: "x" } });
    await put("deco-hosting.json", { build: "make site", output: "site/", spa: true, healthCheckPath: "/healthz" });
    expect(await resolveSiteConfig(dir)).toMatchObject({
      source: "deco-hosting.json",
      build: "make site",
      output: "site",
      spa: true,
      healthCheckPath: "/healthz",
    });
  });

  it("refuses unknown fields, bad JSON and an output outside the site", async () => {
    await put("deco-hosting.json", { biuld: "typo" });
    await expect(resolveSiteConfig(dir)).rejects.toMatchObject({
      code: "invalid_input",
      message: /unknown field.*biuld/,
    });
    await put("deco-hosting.json", "{ nope");
    await expect(resolveSiteConfig(dir)).rejects.toMatchObject({ code: "invalid_input", message: /not valid JSON/ });
    await put("deco-hosting.json", { output: "../etc" });
    await expect(resolveSiteConfig(dir)).rejects.toMatchObject({ code: "invalid_input", message: /output/ });
  });
});

describe("findOutputDir", () => {
  it("finds the first usual build directory, or the root", async () => {
    const cfg = await resolveSiteConfig(dir);
    expect(await findOutputDir(dir, { ...cfg, output: null })).toBe(".");
    await mkdir(path.join(dir, "build"));
    await mkdir(path.join(dir, "public"));
    expect(await findOutputDir(dir, { ...cfg, output: null })).toBe("build");
    await expect(findOutputDir(dir, { ...cfg, output: "dist" })).rejects.toMatchObject({ message: /does not exist/ });
  });
});
