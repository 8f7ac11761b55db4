// Commands' run functions with hand-built deps: a real server's SDK client and an output
// object that captures what would be printed.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session } from "../../src/auth/session.js";
import type { ClientDeps } from "../../src/commands/context.js";
import { Output, type Terminal } from "../../src/commands/output.js";
import { runSitesCreate, runSitesList, runSitesRemove } from "../../src/commands/sites.js";
import { runTeamsSwitch } from "../../src/commands/teams.js";
import { runTokensCreate } from "../../src/commands/tokens.js";
import { clientFor, startTestServer, type TestServer } from "../helpers/server.js";

const piped: Terminal = { stdoutTTY: false, stderrTTY: false, canPrompt: false, color: false };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

function deps(json = false): ClientDeps & { printed: { stdout: string; stderr: string } } {
  const printed = { stdout: "", stderr: "" };
  const out = new Output({
    json,
    terminal: piped,
    stdout: { write: (s: string) => (printed.stdout += s) },
    stderr: { write: (s: string) => (printed.stderr += s) },
  });
  return { client: clientFor(server.url, server.ownerToken), out, apiUrl: server.url, printed };
}

describe("sites", () => {
  it("create, then ls prints plain tab-separated rows when piped", async () => {
    const created = deps();
    await runSitesCreate({ name: "docs", git: "https://github.com/acme/docs.git" }, created);
    expect(created.printed.stdout).toBe("Created site docs on team default\n");
    const listed = deps();
    await runSitesList({}, listed);
    expect(listed.printed.stdout).toMatch(/^docs\tempty\t-\t\d{4}-\d\d-\d\d \d\d:\d\d\n$/);
  });

  it("rm without --yes and without a terminal fails naming --yes, and keeps the site", async () => {
    await expect(runSitesRemove({ name: "docs" }, deps())).rejects.toMatchObject({
      code: "invalid_input",
      hint: expect.stringContaining("--yes"),
    });
    const { sites } = await deps().client.listSites();
    expect(sites.map((s) => s.name)).toContain("docs");
    const removed = deps(true);
    await runSitesRemove({ name: "docs", yes: true }, removed);
    expect(JSON.parse(removed.printed.stdout)).toEqual({ ok: true, site: "docs" });
  });
});

describe("tokens create", () => {
  it("prints the key alone on stdout and the details on stderr", async () => {
    const d = deps();
    await runTokensCreate({ name: "ci", role: "collaborator" }, d);
    expect(d.printed.stdout).toMatch(/^\S+\n$/);
    expect(d.printed.stderr).toContain("Created key ci");
    expect(d.printed.stderr).toContain("shown only this once");
    const me = await clientFor(server.url, d.printed.stdout.trim()).whoami();
    expect(me.via).toBe("api_key");
  });
});

describe("teams switch", () => {
  it("saves the team in the profile; with no slug and no terminal it fails listing the slugs", async () => {
    const configHome = await mkdtemp(join(tmpdir(), "deco-hosting-cli-"));
    try {
      const env = { XDG_CONFIG_HOME: configHome, DECO_HOSTING_KEYCHAIN: "off" };
      const session = await Session.open({ profile: "work" }, env);
      await expect(runTeamsSwitch({}, { ...deps(), session })).rejects.toMatchObject({
        code: "invalid_input",
        hint: expect.stringContaining("default"),
      });
      await expect(runTeamsSwitch({ slug: "nope" }, { ...deps(), session })).rejects.toMatchObject({
        code: "not_found",
      });
      await runTeamsSwitch({ slug: "default" }, { ...deps(), session });
      expect((await Session.open({ profile: "work" }, env)).profile()).toEqual({ team: "default" });
    } finally {
      await rm(configHome, { recursive: true, force: true });
    }
  });
});
