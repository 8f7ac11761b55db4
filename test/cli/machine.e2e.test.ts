// The CLI for machines: every command in the command table, run with stdin closed, CI=true and
// --json against a real server, either succeeds with one JSON document on stdout or fails fast
// with {error:{code,message,hint}} and the documented exit code. None waits for input.
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../../src/commands/context.js";
import { exitCodeFor } from "../../src/commands/exit-codes.js";
import { buildProgram } from "../../src/commands/program.js";
import { cli, ensureBuilt, isolatedEnv, json, root } from "../helpers/cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** Not run here: `server` serves in the foreground and `mcp` speaks MCP on stdio until closed. */
const LONG_RUNNING = new Set(["server", "mcp"]);

/** Plausible values for required arguments and options, by name; resources get names that do not exist. */
const VALUES: Record<string, string> = {
  name: "no-such-site",
  id: "dpl_doesnotexist",
  "deployment|site": "no-such-site",
  shell: "bash",
};

interface Case {
  path: string[];
  args: string[];
}

/** Every command of the table, groups included, with its required arguments and options filled in. */
function commandCases(): Case[] {
  const cases: Case[] = [];
  const walk = (cmd: Command, path: string[]) => {
    for (const sub of cmd.commands) {
      const subPath = [...path, sub.name()];
      const args = [...subPath];
      for (const a of sub.registeredArguments) if (a.required) args.push(VALUES[a.name()] ?? `no-such-${a.name()}`);
      for (const o of sub.options) if (o.mandatory) args.push(o.long as string, `machine-${o.attributeName()}`);
      cases.push({ path: subPath, args });
      walk(sub, subPath);
    }
  };
  walk(buildProgram(createContext({})), []);
  return cases;
}

const cases = commandCases();

let server: TestServer;
let env: Record<string, string>;
let home: string;
let cwd: string;

beforeAll(async () => {
  await ensureBuilt();
  server = await startTestServer();
  ({ env, home } = await isolatedEnv());
  cwd = join(home, "work");
  await mkdir(cwd);
  Object.assign(env, {
    HOME: home,
    CI: "true",
    DECO_HOSTING_API_URL: server.url,
    DECO_HOSTING_TOKEN: server.ownerToken,
  });
});

afterAll(async () => {
  // `server start` in the loop started a local daemon in this temp data dir
  if (env) await cli(env, ["server", "stop", "--json"], { cwd });
  await server?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

/** Does `hint` tell the caller to run the very command that failed? */
function namesCommand(hint: string, path: string[]): boolean {
  return new RegExp(`deco-hosting ${path.join(" ")}(?![\\w-])`).test(hint);
}

describe("every command, with stdin closed, CI=true and --json", () => {
  it("the table has the commands this test expects to find (it reads them from commander)", () => {
    const names = cases.map((c) => c.path.join(" "));
    expect(names).toEqual(expect.arrayContaining(["deploy", "sites rm", "skill install", "mcp install", "completion"]));
    expect(names.length).toBeGreaterThan(25);
  });

  for (const c of cases.filter((c) => !LONG_RUNNING.has(c.path.join(" ")))) {
    it(`${c.args.join(" ")}`, async () => {
      const started = Date.now();
      const r = await cli(env, [...c.args, "--json"], { cwd, stdin: "ignore", timeout: 15_000 });
      expect(r.timedOut, `${c.args.join(" ")} waited for something`).toBe(false);
      const doc = json(r.stdout); // exactly one JSON document, or this throws
      if (r.exitCode === 0) {
        expect(doc).not.toHaveProperty("error");
        return;
      }
      expect(doc.error, String(r.stdout)).toEqual({
        code: expect.any(String),
        message: expect.any(String),
        hint: expect.any(String),
        ...(doc.error.details !== undefined ? { details: doc.error.details } : {}),
      });
      expect(r.exitCode).toBe(exitCodeFor(doc.error.code));
      expect(namesCommand(doc.error.hint, c.path), `hint of ${c.path.join(" ")}: ${doc.error.hint}`).toBe(false);
      expect(Date.now() - started).toBeLessThan(15_000);
    });
  }
});

describe("what machines rely on", () => {
  it("destructive commands without --yes fail naming --yes and change nothing", async () => {
    expect((await cli(env, ["sites", "create", "keep-me", "--json"], { cwd })).exitCode).toBe(0);
    const r = await cli(env, ["sites", "rm", "keep-me", "--json"], { cwd, stdin: "ignore" });
    expect(r.exitCode).toBe(2);
    expect(json(r.stdout).error).toMatchObject({ code: "invalid_input", hint: expect.stringContaining("--yes") });
    expect((await cli(env, ["sites", "inspect", "keep-me", "--json"], { cwd })).exitCode).toBe(0);
  });

  it("a command group without its subcommand is a usage error in JSON whose hint lists the subcommands", async () => {
    const r = await cli(env, ["deployments", "--json"], { cwd, stdin: "ignore" });
    expect(r.exitCode).toBe(2);
    expect(json(r.stdout).error).toMatchObject({ code: "invalid_input", hint: expect.stringContaining("rollback") });
  });

  it("hints never name the command that failed, on the error paths machines hit most", async () => {
    const failing: string[][] = [
      ["sites", "inspect", "nope"],
      ["deployments", "ls", "--site", "nope"],
      ["deployments", "inspect", "dpl_nope"],
      ["deployments", "promote", "dpl_nope"],
      ["deployments", "rollback", "--site", "nope"],
      ["deployments", "cancel", "dpl_nope", "--yes"],
      ["logs", "nope", "--build"],
      ["open", "nope"],
      ["tokens", "revoke", "key_nope", "--yes"],
      ["teams", "switch", "nope"],
      ["teams", "ls", "--team", "nope"],
      ["sites", "ls", "--team", "nope"],
      ["whoami", "--team", "nope"],
      ["deploy", ".", "--site", "nope"],
      ["link", "--site", "nope"],
      ["sites", "create", "Not A Name"],
    ];
    for (const args of failing) {
      const r = await cli(env, [...args, "--json"], { cwd, stdin: "ignore" });
      expect(r.exitCode, args.join(" ")).not.toBe(0);
      const { error } = json(r.stdout);
      const path = args.filter((a, i) => !a.startsWith("-") && !args[i - 1]?.startsWith("--")).slice(0, 2);
      const command = ["deploy", "link", "logs", "open", "whoami"].includes(args[0] as string)
        ? [args[0] as string]
        : path;
      expect(namesCommand(error.hint ?? "", command), `${args.join(" ")} → ${error.hint}`).toBe(false);
    }
  });

  it("logs --follow prints JSON lines: a build log to its end, and runtime logs until SIGINT (exit 0)", async () => {
    await cli(env, ["sites", "create", "machine-follow", "--json"], { cwd });
    const deployed = await cli(
      env,
      ["deploy", join(root, "examples", "static-site"), "--site", "machine-follow", "--json"],
      {
        cwd,
      },
    );
    expect(deployed.exitCode, String(deployed.stdout)).toBe(0);
    const id = json(deployed.stdout).deployment.id;

    const build = await cli(env, ["logs", id, "--build", "--follow", "--json"], {
      cwd,
      stdin: "ignore",
      timeout: 15_000,
    });
    expect(build.exitCode).toBe(0);
    const lines = String(build.stdout)
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatchObject({ end: true, deploymentId: id, state: "ready" });

    const follower = cli(env, ["logs", "machine-follow", "--follow", "--json"], {
      cwd,
      stdin: "ignore",
      timeout: 15_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const signaled = Date.now();
    follower.kill("SIGINT");
    const r = await follower;
    expect(r.exitCode).toBe(0);
    expect(Date.now() - signaled).toBeLessThan(3000);
    for (const line of String(r.stdout).split("\n").filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  });
});
