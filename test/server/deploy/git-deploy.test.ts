// Deploying from git: the server clones at a ref and records the commit.
import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostingClient } from "../../../src/api/client.js";
import { waitFinished as waitForDeployment } from "../../helpers/deployments.js";
import { fetchSiteUrl } from "../../helpers/fetch-edge.js";
import { clientFor, startTestServer, type TestServer } from "../../helpers/server.js";

let server: TestServer;
let client: HostingClient;
let repo: string;
let firstSha: string;

const extraRepos: string[] = [];
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: "Ada",
  GIT_AUTHOR_EMAIL: "ada@example.com",
  GIT_COMMITTER_NAME: "Ada",
  GIT_COMMITTER_EMAIL: "ada@example.com",
};
const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", env: gitEnv }).trim();

beforeAll(async () => {
  server = await startTestServer({ allowFileGitUrls: true });
  client = clientFor(server.url, server.ownerToken);
  await client.createSite({ name: "from-git" });
  repo = await mkdtemp(path.join(tmpdir(), "dh-repo-"));
  await chmod(repo, 0o755); // git reads it in the sandbox, as the site's own uid
  git("init", "-q", "-b", "main");
  await writeFile(path.join(repo, "index.html"), "<h1>first commit</h1>");
  git("add", ".");
  git("commit", "-q", "-m", "First page");
  firstSha = git("rev-parse", "HEAD");
  git("tag", "v1");
  await writeFile(path.join(repo, "index.html"), "<h1>second commit</h1>");
  git("commit", "-q", "-am", "Second page");
});
afterAll(async () => {
  await server?.close();
  await rm(repo, { recursive: true, force: true });
  for (const dir of extraRepos) await rm(dir, { recursive: true, force: true });
});

const waitFinished = (id: string) => waitForDeployment(client, id);

/** A one-commit repository laid out by `fill`, readable by the sandbox. */
async function repoWith(fill: (dir: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "dh-evil-repo-"));
  extraRepos.push(dir);
  await chmod(dir, 0o755);
  await fill(dir);
  const run = (...args: string[]) => execFileSync("git", args, { cwd: dir, env: gitEnv });
  run("init", "-q", "-b", "main");
  run("add", "-A");
  run("commit", "-q", "-m", "evil");
  return dir;
}

describe("deploy --git", () => {
  it("clones the default branch and records commit SHA, message and author", async () => {
    const d = await waitFinished((await client.deploy({ siteName: "from-git", git: { url: `file://${repo}` } })).id);
    expect(d).toMatchObject({ state: "ready", reason: null });
    expect(d.source).toMatchObject({
      type: "git",
      commitMessage: "Second page",
      commitAuthor: "Ada <ada@example.com>",
    });
    expect((await fetchSiteUrl(d.url as string, "/")).text).toContain("second commit");
  });

  it("checks out a tag or a commit SHA", async () => {
    for (const ref of ["v1", firstSha]) {
      const d = await waitFinished(
        (await client.deploy({ siteName: "from-git", git: { url: `file://${repo}`, ref } })).id,
      );
      expect(d).toMatchObject({ state: "ready", reason: null });
      expect(d.source).toMatchObject({ type: "git", ref, commitSha: firstSha, commitMessage: "First page" });
      expect((await fetchSiteUrl(d.url as string, "/")).text).toContain("first commit");
    }
  });

  it("fails with a reason for a ref that does not exist", async () => {
    const d = await waitFinished(
      (await client.deploy({ siteName: "from-git", git: { url: `file://${repo}`, ref: "nope" } })).id,
    );
    expect(d.state).toBe("error");
    expect(d.reason).toMatch(/could not fetch nope/);
  });

  it("refuses a repository whose output is a link out of its tree, serving nothing of the data dir", async () => {
    const evil = await repoWith(async (dir) => {
      await writeFile(path.join(dir, "deco-hosting.json"), JSON.stringify({ output: "dist" }));
      await symlink("../..", path.join(dir, "dist")); // dist -> the data dir, seen from work/<id>
    });
    const d = await waitFinished((await client.deploy({ siteName: "from-git", git: { url: `file://${evil}` } })).id);
    expect(d).toMatchObject({ state: "error", url: expect.any(String) });
    expect(d.reason).toMatch(/dist" is a link to outside/);
    expect(d.reason).not.toContain(server.dataDir);
    const res = await fetchSiteUrl(d.url as string, "/local-token");
    expect(res.status).toBe(404);
    expect(res.text).not.toContain(server.ownerToken);
    expect((await fetchSiteUrl(d.url as string, "/hosting.db")).status).toBe(404);
  });

  it("refuses a link out of the tree anywhere in the output", async () => {
    const evil = await repoWith(async (dir) => {
      await writeFile(path.join(dir, "index.html"), "<h1>decoy</h1>");
      await symlink("../..", path.join(dir, "data"));
    });
    const d = await waitFinished((await client.deploy({ siteName: "from-git", git: { url: `file://${evil}` } })).id);
    expect(d.state).toBe("error");
    expect(d.reason).toMatch(/data is a link to outside the deployed directory/);
    expect(d.reason).not.toContain(server.dataDir);
    expect((await fetchSiteUrl(d.url as string, "/data/local-token")).status).toBe(404);
  });

  it("does not read a config file that is a link, nor quote what it points at", async () => {
    const evil = await repoWith(async (dir) => {
      await symlink(path.join(server.dataDir, "local-token"), path.join(dir, "package.json"));
    });
    const d = await waitFinished((await client.deploy({ siteName: "from-git", git: { url: `file://${evil}` } })).id);
    expect(d.state).toBe("error");
    expect(d.reason).toMatch(/package\.json is a symbolic link/);
    expect(d.reason).not.toContain(server.ownerToken);
    const log = (await client.getBuildLogs({ deploymentId: d.id })).entries.map((e) => e.message).join("\n");
    expect(log).not.toContain(server.ownerToken);
  });

  it("keeps a URL's credentials sealed: used by git, shown as *** and found in no output, log or file", async () => {
    const seen: string[] = [];
    const recorder = createServer((req, res) => {
      seen.push(req.headers.authorization ?? "");
      if (!req.headers.authorization) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="git"' }).end();
      } else res.writeHead(404).end("no such repository");
    });
    await new Promise<void>((r) => recorder.listen(0, "127.0.0.1", r));
    const port = (recorder.address() as AddressInfo).port;
    try {
      const secret = "s3cr3t-pw-4f2a";
      const url = `http://alice:${secret}@127.0.0.1:${port}/repo.git`;
      const d = await waitFinished((await client.deploy({ siteName: "from-git", git: { url } })).id);
      expect(d.state).toBe("error");
      expect(seen).toContain(`Basic ${Buffer.from(`alice:${secret}`).toString("base64")}`);
      expect(d.source).toMatchObject({ url: `http://***@127.0.0.1:${port}/repo.git` });
      const everything = [
        JSON.stringify(d),
        JSON.stringify(await client.listDeployments({ siteName: "from-git" })),
        JSON.stringify(await client.getBuildLogs({ deploymentId: d.id })),
        JSON.stringify(await client.getDeploymentLogs({ deploymentId: d.id })),
      ];
      for (const file of await readdir(server.dataDir)) {
        if (file.startsWith("hosting.db"))
          everything.push((await readFile(path.join(server.dataDir, file))).toString("latin1"));
      }
      for (const text of everything) expect(text).not.toContain(secret);
    } finally {
      await new Promise((r) => recorder.close(r));
    }
  });

  it("refuses a site git URL with credentials, a ref that looks like an option and an overlong URL, creating nothing", async () => {
    const count = async () => (await client.listDeployments({ siteName: "from-git" })).deployments.length;
    const before = await count();
    for (const git of [
      { url: `file://${repo}`, ref: "--upload-pack=touch /tmp/pwned" },
      { url: `file://${repo}`, ref: "main branch" },
      { url: `https://example.com/${"a".repeat(2100)}.git` },
    ]) {
      const err = await client.deploy({ siteName: "from-git", git }).catch((e) => e);
      expect(err).toMatchObject({ code: "invalid_input" });
    }
    expect(await count()).toBe(before);
    const site = await client
      .createSite({ name: "cred-site", git: { url: "https://bob:hunter22@example.com/r.git" } })
      .catch((e) => e);
    expect(site).toMatchObject({ code: "invalid_input", hint: expect.stringContaining("deploy --git") });
    expect(await client.getSite({ siteName: "cred-site" }).catch((e) => e)).toMatchObject({ code: "not_found" });
  });

  it("refuses file:// URLs unless the server allows them", async () => {
    const strict = await startTestServer();
    try {
      const c = clientFor(strict.url, strict.ownerToken);
      await c.createSite({ name: "strict" });
      const refused = await c.deploy({ siteName: "strict", git: { url: `file://${repo}` } }).catch((e) => e);
      expect(refused).toMatchObject({ code: "invalid_input", message: expect.stringMatching(/unsupported git URL/) });

      // Hosts on loopback, private or link-local addresses are refused at once, creating nothing.
      for (const url of [
        "http://127.0.0.1:9/x.git",
        "http://localhost/x.git",
        "http://[::1]/x.git",
        "https://10.1.2.3/x.git",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/x.git",
      ]) {
        const err = await c.deploy({ siteName: "strict", git: { url } }).catch((e) => e);
        expect([url, err]).toMatchObject([
          url,
          { code: "invalid_input", hint: expect.stringContaining("--allow-local-git") },
        ]);
      }
      expect((await c.listDeployments({ siteName: "strict" })).deployments.length).toBe(0);
    } finally {
      await strict.close();
    }
  });
});
