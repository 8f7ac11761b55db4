import { readFile, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bin, cli, ensureBuilt, isolatedEnv, json, root, serverProcess } from "../helpers/cli.js";
import { decide, openSignInLink } from "../helpers/device-sign-in.js";
import { fetchSiteUrl } from "../helpers/fetch-edge.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

beforeAll(ensureBuilt);

describe("against a remote server, signed in with the device flow", () => {
  let server: TestServer;
  let env: Record<string, string>;
  let home: string;
  let loginOutput = "";

  beforeAll(async () => {
    server = await startTestServer({ devicePollIntervalSeconds: 1 });
    ({ env, home } = await isolatedEnv());
  });
  afterAll(async () => {
    await server?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("login: prints the code, waits for approval in the browser, stores tokens and the profile", async () => {
    const child = cli(env, ["login", "--api-url", server.url, "--json"]);
    const userCode = await new Promise<string>((resolve, reject) => {
      let buffered = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        for (const line of buffered.split("\n")) {
          if (!line.startsWith("{")) continue;
          const event = JSON.parse(line) as { event?: string; userCode?: string };
          if (event.event === "device_code" && event.userCode) resolve(event.userCode);
        }
      });
      child.then((r) => reject(new Error(`login ended before printing a code: ${r.stdout} ${r.stderr}`)), reject);
    });
    const cookie = await openSignInLink(server.signInUrl);
    expect((await decide(server.url, cookie, userCode, "approve")).status).toBe(200);

    const result = await child;
    expect(result.exitCode).toBe(0);
    const out = json(result.stdout);
    expect(out).toMatchObject({
      profile: "default",
      apiUrl: server.url,
      user: { email: "owner@localhost" },
      team: "default",
    });
    loginOutput = `${result.stdout}${result.stderr}`;

    const config = JSON.parse(await readFile(join(home, "config", "deco-hosting", "config.json"), "utf8"));
    expect(config).toEqual({ currentProfile: "default", profiles: { default: { apiUrl: server.url } } });
    const credentialsFile = join(home, "config", "deco-hosting", "credentials.json");
    expect((await stat(credentialsFile)).mode & 0o777).toBe(0o600);
    const credentials = JSON.parse(await readFile(credentialsFile, "utf8"));
    expect(credentials.default.refreshToken).toBeTruthy();
    expect(loginOutput).not.toContain(credentials.default.accessToken);
    expect(loginOutput).not.toContain(credentials.default.refreshToken);
  });

  it("whoami reports the signed-in person", async () => {
    const r = await cli(env, ["whoami", "--json"]);
    expect(r.exitCode).toBe(0);
    expect(json(r.stdout)).toMatchObject({
      user: { email: "owner@localhost" },
      team: { slug: "default" },
      via: "oauth",
      apiUrl: server.url,
    });
  });

  it("sites create, ls, inspect and rm --yes", async () => {
    const created = await cli(env, ["sites", "create", "blog", "--json"]);
    expect(created.exitCode).toBe(0);
    expect(json(created.stdout)).toMatchObject({ name: "blog", team: "default", status: "empty" });

    const listed = await cli(env, ["sites", "ls", "--json"]);
    expect(json(listed.stdout).sites.map((s: { name: string }) => s.name)).toContain("blog");

    const piped = await cli(env, ["sites", "ls"]);
    expect(piped.stdout).toMatch(/^blog\tempty\t-\t\d{4}-\d\d-\d\d \d\d:\d\d$/m);

    const inspected = await cli(env, ["sites", "inspect", "blog", "--json"]);
    expect(json(inspected.stdout)).toMatchObject({ name: "blog", environments: expect.any(Array) });

    const removed = await cli(env, ["sites", "rm", "blog", "--yes", "--json"]);
    expect(removed.exitCode).toBe(0);
    expect(json(removed.stdout)).toEqual({ ok: true, site: "blog" });
    const after = await cli(env, ["sites", "ls", "--json"]);
    expect(json(after.stdout).sites).toEqual([]);
  });

  it("a destructive command without --yes fails at once in CI, naming --yes, and changes nothing", async () => {
    expect((await cli(env, ["sites", "create", "keep", "--json"])).exitCode).toBe(0);
    const r = await cli({ ...env, CI: "true" }, ["sites", "rm", "keep", "--json"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe("");
    const body = json(r.stdout);
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.hint).toContain("--yes");
    const listed = await cli(env, ["sites", "ls", "--json"]);
    expect(json(listed.stdout).sites.map((s: { name: string }) => s.name)).toEqual(["keep"]);
  });

  it("maps errors to documented exit codes, as JSON on stdout", async () => {
    const missing = await cli(env, ["sites", "inspect", "nope", "--json"]);
    expect(missing.exitCode).toBe(4);
    expect(json(missing.stdout).error.code).toBe("not_found");

    const usage = await cli(env, ["sites", "create", "--json"]);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toBe("");
    expect(json(usage.stdout).error).toMatchObject({ code: "invalid_input", message: expect.stringContaining("name") });

    const bad = await cli(env, ["sites", "create", "Not_A_Name", "--json"]);
    expect(bad.exitCode).toBe(2);

    const conflict = await cli(env, ["sites", "create", "keep", "--json"]);
    expect(conflict.exitCode).toBe(5);

    const unreachable = await cli(env, ["--api-url", "http://127.0.0.1:9", "sites", "ls", "--json"]);
    expect(unreachable.exitCode).toBe(6);
    expect(json(unreachable.stdout).error.code).toBe("unavailable");
  });

  it("tokens create prints the key once; DECO_HOSTING_TOKEN beats stored credentials; revoke stops it", async () => {
    const created = await cli(env, ["tokens", "create", "--name", "ci", "--role", "publisher", "--json"]);
    expect(created.exitCode).toBe(0);
    const { apiKey, token } = json(created.stdout);
    expect(apiKey).toMatchObject({ name: "ci", role: "publisher" });

    const asKey = await cli({ ...env, DECO_HOSTING_TOKEN: token }, ["whoami", "--json"]);
    expect(json(asKey.stdout)).toMatchObject({ via: "api_key" });

    const listed = await cli(env, ["tokens", "ls", "--json"]);
    expect(listed.stdout).not.toContain(token);
    expect(json(listed.stdout).apiKeys.map((k: { id: string }) => k.id)).toContain(apiKey.id);

    expect((await cli(env, ["tokens", "revoke", apiKey.id, "--yes", "--json"])).exitCode).toBe(0);
    const rejected = await cli({ ...env, DECO_HOSTING_TOKEN: token }, ["whoami", "--json"]);
    expect(rejected.exitCode).toBe(3);
    expect(json(rejected.stdout).error.hint).toContain("DECO_HOSTING_TOKEN");
  });

  it("teams ls and switch (stored in the profile); a missing choice fails with a hint", async () => {
    const listed = await cli(env, ["teams", "ls", "--json"]);
    expect(json(listed.stdout).teams).toEqual([expect.objectContaining({ slug: "default", current: true })]);

    const switched = await cli(env, ["teams", "switch", "default", "--json"]);
    expect(json(switched.stdout)).toMatchObject({ team: "default", profile: "default" });
    const config = JSON.parse(await readFile(join(home, "config", "deco-hosting", "config.json"), "utf8"));
    expect(config.profiles.default.team).toBe("default");

    const unknown = await cli(env, ["teams", "switch", "nope", "--json"]);
    expect(unknown.exitCode).toBe(4);

    const noChoice = await cli(env, ["teams", "switch", "--json"]);
    expect(noChoice.exitCode).toBe(2);
    expect(json(noChoice.stdout).error.hint).toContain("slug");
  });

  it("logout revokes the sign-in on the server and deletes the stored credentials", async () => {
    const credentialsFile = join(home, "config", "deco-hosting", "credentials.json");
    const { refreshToken } = JSON.parse(await readFile(credentialsFile, "utf8")).default;
    const r = await cli(env, ["logout", "--json"]);
    expect(r.exitCode).toBe(0);
    expect(json(r.stdout)).toMatchObject({ profile: "default", signedOut: true, revoked: true });
    expect(JSON.parse(await readFile(credentialsFile, "utf8"))).toEqual({});

    const refresh = await fetch(`${server.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: refreshToken,
        client_id: "deco-hosting-cli",
      }),
    });
    expect(refresh.status).toBe(400);

    const whoami = await cli(env, ["whoami", "--json"]);
    expect(whoami.exitCode).toBe(3);
    expect(json(whoami.stdout).error.hint).toContain("deco-hosting login");
  });
});

describe("the embedded default: a local server started on demand", () => {
  let env: Record<string, string>;
  let home: string;

  beforeAll(async () => {
    ({ env, home } = await isolatedEnv());
  });
  afterAll(async () => {
    if (!home) return;
    await cli(env, ["server", "stop"]);
    // belt and braces: never leave a daemon behind
    const state = await readFile(join(home, "data", "deco-hosting", "server.json"), "utf8").catch(() => undefined);
    if (state) {
      try {
        process.kill((JSON.parse(state) as { pid: number }).pid, "SIGKILL");
      } catch {}
    }
    await rm(home, { recursive: true, force: true });
  });

  it("sites ls just works on a fresh machine: it starts the local server and uses its owner token", async () => {
    // hold the default port, as another program might: the daemon must pick a free one instead
    const holder = createServer();
    await new Promise<void>((resolve) => holder.once("error", () => resolve()).listen(4700, "127.0.0.1", resolve));
    let r: Awaited<ReturnType<typeof cli>>;
    try {
      r = await cli(env, ["sites", "ls", "--json"]);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    expect(r.exitCode).toBe(0);
    expect(json(r.stdout)).toEqual({ sites: [] });
    const state = JSON.parse(await readFile(join(home, "data", "deco-hosting", "server.json"), "utf8"));
    expect(state.port).not.toBe(4700);
    const tokenFile = join(home, "data", "deco-hosting", "local-token");
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
  });

  it("reuses the running server", async () => {
    const before = json((await cli(env, ["server", "status", "--json"])).stdout);
    expect(before).toMatchObject({
      running: true,
      pid: expect.any(Number),
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    });
    expect(json((await cli(env, ["sites", "create", "hello", "--json"])).stdout)).toMatchObject({ name: "hello" });
    const started = json((await cli(env, ["server", "start", "--json"])).stdout);
    expect(started).toMatchObject({ running: true, started: false, pid: before.pid });
    expect(before.isolation).toMatchObject({ sandbox: "bubblewrap", unavailable: null, noNewPrivs: true });
    expect(before.isolation.namespaces).toEqual(expect.arrayContaining(["mount", "pid", "network (apps)"]));
    expect(json((await cli(env, ["whoami", "--json"])).stdout)).toMatchObject({ via: "api_key", apiUrl: before.url });
  });

  it("server stop stops it, and status says so", async () => {
    const { pid } = json((await cli(env, ["server", "status", "--json"])).stdout);
    const stopped = await cli(env, ["server", "stop", "--json"]);
    expect(json(stopped.stdout)).toMatchObject({ stopped: true, pid });
    expect(() => process.kill(pid, 0)).toThrow();
    expect(json((await cli(env, ["server", "status", "--json"])).stdout)).toMatchObject({ running: false });
    expect(json((await cli(env, ["server", "stop", "--json"])).stdout)).toMatchObject({ stopped: false });
  });

  it("starts again on demand, with the data kept", async () => {
    const r = await cli(env, ["sites", "ls", "--json"]);
    expect(json(r.stdout).sites.map((s: { name: string }) => s.name)).toEqual(["hello"]);
  });
});

describe("help", () => {
  it("--help lists the commands and the exit codes", async () => {
    const r = await execa("node", [bin, "--help"]);
    expect(r.stdout).toContain("sites");
    expect(r.stdout).toContain("Exit codes:");
    expect(r.stdout).toContain("130  interrupted");
    const viaCommander = await execa("node", [bin, "help"]);
    expect(viaCommander.stdout).toBe(r.stdout);
  });

  it("dist/cli.js statically loads no npm package and only small chunks (commander and the rest load lazily)", async () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = async (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = await readFile(file, "utf8");
      for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s*"([^"]+)"|^import\s*"([^"]+)"/gm)) {
        const spec = (m[1] ?? m[2]) as string;
        if (spec.startsWith(".")) await visit(join(file, "..", spec));
        else if (!spec.startsWith("node:")) packages.add(spec); // Node's own modules are already loaded
      }
    };
    await visit(join(root, "dist", "cli.js"));
    expect([...packages]).toEqual([]);
    const sizes = await Promise.all([...seen].map(async (f) => (await stat(f)).size));
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(20_000);
  });
});

describe("a foreground server", () => {
  it("says how it isolates tenant code, and writes no owner key to disk unless asked", async () => {
    const { env, home } = await isolatedEnv();
    const dataDir = join(home, "shared");
    const { child, started } = await serverProcess(env, ["--data-dir", dataDir, "--port", "0", "--edge-port", "0"]);
    try {
      expect(started.isolation).toMatchObject({ sandbox: "bubblewrap", unavailable: null });
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
      await expect(stat(join(dataDir, "local-token"))).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      child.kill("SIGTERM");
      await child;
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe("a shared server on its own domain", () => {
  it("serves sites at <site>.<domain> and prints those URLs; a bad domain is a usage error", async () => {
    const { env, home } = await isolatedEnv();
    const bad = await cli(env, ["server", "--sites-domain", "not_a_domain", "--json"]);
    expect(bad.exitCode).toBe(2);
    expect(json(bad.stdout).error).toMatchObject({ code: "invalid_input" });
    const dataDir = join(home, "team");
    const tokenFile = join(home, "token");
    const args = ["--data-dir", dataDir, "--port", "0", "--edge-port", "0", "--local-token-file", tokenFile];
    const { child, started } = await serverProcess(env, [...args, "--sites-domain", "Sites.Example.Test"]);
    try {
      const team = {
        ...env,
        DECO_HOSTING_API_URL: started.url,
        DECO_HOSTING_TOKEN: (await readFile(tokenFile, "utf8")).trim(),
      };
      expect((await cli(team, ["sites", "create", "blog", "--json"])).exitCode).toBe(0);
      const deployed = await cli(team, [
        "deploy",
        join(root, "examples", "static-site"),
        "--site",
        "blog",
        "--prod",
        "--json",
      ]);
      expect(deployed.exitCode, String(deployed.stderr)).toBe(0);
      const urls = json(deployed.stdout).urls as { production: string; preview: string };
      expect(urls.production).toBe(`http://blog.sites.example.test:${started.edgePort}`);
      expect(urls.preview).toMatch(new RegExp(`^http://[a-z0-9]+--blog\\.sites\\.example\\.test:${started.edgePort}$`));
      const res = await fetchSiteUrl(urls.production, "/");
      expect(res.status).toBe(200);
      expect((await fetchSiteUrl(`http://blog.localhost:${started.edgePort}`, "/")).status).toBe(404);
    } finally {
      child.kill("SIGTERM");
      await child;
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe("the embedded default under concurrency", () => {
  let env: Record<string, string>;
  let home: string;

  beforeAll(async () => {
    ({ env, home } = await isolatedEnv());
  });
  afterAll(async () => {
    if (!home) return;
    await cli(env, ["server", "stop"]);
    await rm(home, { recursive: true, force: true });
  });

  it("three commands at once on a fresh machine share one local server", async () => {
    const runs = await Promise.all([1, 2, 3].map(() => cli(env, ["whoami", "--json"])));
    for (const r of runs) expect(r.exitCode, String(r.stdout)).toBe(0);
    expect(new Set(runs.map((r) => json(r.stdout).apiUrl)).size).toBe(1);
    const status = json((await cli(env, ["server", "status", "--json"])).stdout);
    expect(status).toMatchObject({ running: true, url: json(runs[0]?.stdout).apiUrl });
    const log = await readFile(join(home, "data", "deco-hosting", "server.log"), "utf8");
    expect(log.match(/listening on/g)).toHaveLength(1);
  });
});
