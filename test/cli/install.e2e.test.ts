// `skill install` and `mcp install` write exactly the files each agent or client reads, in a
// temp HOME (and temp XDG dirs), merging into what is already there.
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bin, cli, ensureBuilt, isolatedEnv, json, root } from "../helpers/cli.js";

beforeAll(ensureBuilt);

let env: Record<string, string>;
let home: string;
let project: string;
beforeEach(async () => {
  ({ env, home } = await isolatedEnv());
  env.HOME = home;
  env.CI = "true";
  project = join(home, "project");
  await mkdir(project);
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const skillSource = join(root, "skill", "deco-hosting");

async function tree(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile())
      files[join(e.parentPath, e.name).slice(dir.length + 1)] = await readFile(join(e.parentPath, e.name), "utf8");
  }
  return files;
}

describe("skill install", () => {
  const where = {
    "claude-code": ".claude/skills/deco-hosting",
    codex: ".agents/skills/deco-hosting",
    cursor: ".cursor/skills/deco-hosting",
  } as const;

  for (const [agent, dir] of Object.entries(where)) {
    it(`--agent ${agent} copies the skill to ~/${dir}, and with --project to ./${dir}`, async () => {
      const source = await tree(skillSource);
      const user = await cli(env, ["skill", "install", "--agent", agent, "--json"], { cwd: project });
      expect(user.exitCode, String(user.stdout)).toBe(0);
      expect(json(user.stdout)).toMatchObject({ agent, scope: "user", path: join(home, dir), unchanged: false });
      expect(json(user.stdout).files).toEqual(Object.keys(source).sort());
      expect(await tree(join(home, dir))).toEqual(source);

      const inProject = await cli(env, ["skill", "install", "--agent", agent, "--project", "--json"], { cwd: project });
      expect(inProject.exitCode).toBe(0);
      expect(json(inProject.stdout)).toMatchObject({ scope: "project", path: join(project, dir) });
      expect(await tree(join(project, dir))).toEqual(source);
    });
  }

  it("is a no-op when the same skill is there, and refuses a different one without --force", async () => {
    const target = join(home, where["claude-code"]);
    await cli(env, ["skill", "install", "--agent", "claude-code"]);
    const again = await cli(env, ["skill", "install", "--agent", "claude-code", "--json"]);
    expect(json(again.stdout)).toMatchObject({ unchanged: true, replaced: false });

    await writeFile(join(target, "SKILL.md"), "---\nname: deco-hosting\ndescription: mine\n---\nedited by hand\n");
    const refused = await cli(env, ["skill", "install", "--agent", "claude-code", "--json"]);
    expect(refused.exitCode).toBe(5);
    expect(json(refused.stdout).error).toMatchObject({ code: "conflict", hint: expect.stringContaining("--force") });
    expect(await readFile(join(target, "SKILL.md"), "utf8")).toContain("edited by hand");

    const forced = await cli(env, ["skill", "install", "--agent", "claude-code", "--force", "--json"]);
    expect(json(forced.stdout)).toMatchObject({ replaced: true });
    expect(await tree(target)).toEqual(await tree(skillSource));
  });

  it("without --agent and without a terminal fails at once naming --agent, writing nothing", async () => {
    const r = await cli(env, ["skill", "install", "--json"], { stdin: "ignore", timeout: 10_000 });
    expect(r.exitCode).toBe(2);
    expect(json(r.stdout).error).toMatchObject({ code: "invalid_input", hint: expect.stringContaining("--agent") });
    expect(await readdir(home)).toEqual(expect.not.arrayContaining([".claude", ".agents", ".cursor"]));
  });
});

describe("mcp install", () => {
  async function install(args: string[], extraEnv: Record<string, string> = {}) {
    return cli({ ...env, ...extraEnv }, ["mcp", "install", ...args, "--json"], { cwd: project });
  }
  const readJson = async (file: string) => JSON.parse(await readFile(file, "utf8"));

  it("claude-code: merges a deco-hosting entry into ~/.claude.json, keeping every other key", async () => {
    const file = join(home, ".claude.json");
    await writeFile(
      file,
      JSON.stringify({ numStartups: 3, projects: { "/x": {} }, mcpServers: { other: { command: "x" } } }),
    );
    const r = await install(["--client", "claude-code", "--read-only", "--site", "blog"]);
    expect(r.exitCode, String(r.stdout)).toBe(0);
    const config = await readJson(file);
    expect(config.numStartups).toBe(3);
    expect(config.projects).toEqual({ "/x": {} });
    expect(config.mcpServers.other).toEqual({ command: "x" });
    expect(config.mcpServers["deco-hosting"]).toEqual({
      type: "stdio",
      command: expect.stringMatching(/^\//),
      args: [bin, "mcp", "--read-only", "--site", "blog"],
    });
    expect(json(r.stdout)).toMatchObject({ client: "claude-code", file, created: false, replaced: false });

    // the entry runs: the same command line answers --help
    const entry = config.mcpServers["deco-hosting"];
    const help = await execa(entry.command, [...entry.args, "--help"], { env, extendEnv: false, reject: false });
    expect(help.exitCode).toBe(0);
    expect(String(help.stdout)).toContain("Serve the hosting tools");

    // again: unchanged; with other args: replaced, still one entry
    expect(json((await install(["--client", "claude-code", "--read-only", "--site", "blog"])).stdout).unchanged).toBe(
      true,
    );
    expect(json((await install(["--client", "claude-code"])).stdout).replaced).toBe(true);
    expect((await readJson(file)).mcpServers["deco-hosting"].args).toEqual([bin, "mcp"]);
  });

  it("claude-code --project writes ./.mcp.json", async () => {
    const r = await install(["--client", "claude-code", "--project"]);
    expect(r.exitCode).toBe(0);
    expect((await readJson(join(project, ".mcp.json"))).mcpServers["deco-hosting"].args).toEqual([bin, "mcp"]);
  });

  it("claude-desktop writes $XDG_CONFIG_HOME/Claude/claude_desktop_config.json (~/.config by default) on Linux", async () => {
    const r = await install(["--client", "claude-desktop"]);
    expect(r.exitCode).toBe(0);
    const file = join(env.XDG_CONFIG_HOME as string, "Claude", "claude_desktop_config.json");
    expect(json(r.stdout)).toMatchObject({ file, created: true });
    expect((await readJson(file)).mcpServers["deco-hosting"]).toEqual({
      command: expect.any(String),
      args: [bin, "mcp"],
    });

    const { XDG_CONFIG_HOME: _, ...withoutXdg } = env;
    const r2 = await cli(withoutXdg, ["mcp", "install", "--client", "claude-desktop", "--json"]);
    expect(json(r2.stdout).file).toBe(join(home, ".config", "Claude", "claude_desktop_config.json"));

    const project = await install(["--client", "claude-desktop", "--project"]);
    expect(project.exitCode).toBe(2);
    expect(json(project.stdout).error.hint).toContain("--project");
  });

  it("cursor writes ~/.cursor/mcp.json, and ./.cursor/mcp.json with --project", async () => {
    expect((await install(["--client", "cursor"])).exitCode).toBe(0);
    expect((await readJson(join(home, ".cursor", "mcp.json"))).mcpServers["deco-hosting"].args).toEqual([bin, "mcp"]);
    expect((await install(["--client", "cursor", "--project", "--team", "acme"])).exitCode).toBe(0);
    expect((await readJson(join(project, ".cursor", "mcp.json"))).mcpServers["deco-hosting"].args).toEqual([
      bin,
      "mcp",
      "--team",
      "acme",
    ]);
  });

  it("refuses a config that is not valid JSON, and leaves it as it was", async () => {
    const file = join(home, ".cursor", "mcp.json");
    await mkdir(join(home, ".cursor"));
    await writeFile(file, "{ not json");
    const r = await install(["--client", "cursor"]);
    expect(r.exitCode).toBe(2);
    expect(json(r.stdout).error).toMatchObject({ code: "invalid_input", hint: expect.stringContaining(file) });
    expect(await readFile(file, "utf8")).toBe("{ not json");
  });

  it("without --client and without a terminal fails at once naming --client", async () => {
    const r = await cli(env, ["mcp", "install", "--json"], { stdin: "ignore", timeout: 10_000 });
    expect(r.exitCode).toBe(2);
    expect(json(r.stdout).error.hint).toContain("--client");
  });
});

describe("completion", () => {
  it("bash: completes commands, subcommands, options and choices from the command table", async () => {
    const scriptFile = join(home, "completion.bash");
    await writeFile(scriptFile, String((await cli(env, ["completion", "bash"])).stdout));
    const complete = async (...words: string[]) => {
      const line = words.map((w) => `'${w}'`).join(" ");
      const r = await execa("bash", [
        "-c",
        `source '${scriptFile}'; COMP_WORDS=(deco-hosting ${line}); COMP_CWORD=${words.length}; _deco_hosting; echo "\${COMPREPLY[*]}"`,
      ]);
      return String(r.stdout).trim().split(" ");
    };
    expect(await complete("")).toEqual(expect.arrayContaining(["deploy", "sites", "skill", "completion", "mcp"]));
    expect(await complete("sites", "")).toEqual(["ls", "list", "create", "inspect", "rm", "delete"]);
    expect(await complete("--team", "x", "dpl", "ro")).toEqual(["rollback"]);
    expect(await complete("deploy", "--")).toEqual(expect.arrayContaining(["--site", "--prod", "--json", "--team"]));
    expect(await complete("mcp", "install", "--client", "")).toEqual(["claude-code", "claude-desktop", "cursor"]);
    expect(await complete("completion", "")).toEqual(["bash", "zsh", "fish"]);
  });

  it("zsh and fish scripts are generated from the same table; --json wraps the script", async () => {
    const zsh = String((await cli(env, ["completion", "zsh"])).stdout);
    expect(zsh.startsWith("#compdef deco-hosting")).toBe(true);
    expect(zsh).toContain("'skill install --agent') echo 'claude-code codex cursor'");
    const fish = String((await cli(env, ["completion", "fish"])).stdout);
    expect(fish).toContain("complete -c deco-hosting");
    expect(fish).toContain("case 'deployments' 'dpl'");
    const r = await cli(env, ["completion", "fish", "--json"]);
    expect(json(r.stdout)).toEqual({ shell: "fish", script: `${fish}\n` });
  });
});
