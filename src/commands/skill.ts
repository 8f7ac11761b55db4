// skill install: copies the agent skill (skill/deco-hosting/) to where a coding agent reads skills.
//
// Where each agent looks (checked against its docs, 2026):
// - Claude Code: ~/.claude/skills/<name>/, project .claude/skills/<name>/ (code.claude.com/docs/en/skills)
// - Codex: $HOME/.agents/skills/<name>/, project .agents/skills/<name>/ — Codex scans .agents/skills from
//   the working directory up to the repository root (developers.openai.com/codex/skills); ~/.codex/skills
//   is the older location
// - Cursor: ~/.cursor/skills/<name>/, project .cursor/skills/<name>/ (cursor.com/docs/context/skills).
//   Cursor reads Agent Skills (SKILL.md) there; its older rules (.cursor/rules/*.mdc) would need a
//   second copy of the text in another format, so we install the skill.
import { homedir } from "node:os";
import path from "node:path";
import { type Command, Option } from "commander";
import { HostingError } from "../api/errors.js";
import type { CommandContext } from "./context.js";
import type { Output } from "./output.js";

export const SKILL_NAME = "deco-hosting";
export const AGENTS = ["claude-code", "codex", "cursor"] as const;
export type Agent = (typeof AGENTS)[number];

const AGENT_LABELS: Record<Agent, string> = { "claude-code": "Claude Code", codex: "Codex", cursor: "Cursor" };
const AGENT_DIRS: Record<Agent, string> = {
  "claude-code": ".claude/skills",
  codex: ".agents/skills",
  cursor: ".cursor/skills",
};

export interface SkillInstallOptions {
  agent?: Agent;
  project?: boolean;
  force?: boolean;
}

export interface SkillInstallDeps {
  out: Output;
  /** The skill folder to copy (skill/deco-hosting in the package). */
  source: string;
  home: string;
  cwd: string;
}

export function register(program: Command, ctx: CommandContext): void {
  const skill = program.command("skill").description("Install the deco-hosting agent skill for a coding agent");
  skill
    .command("install")
    .description("Copy the skill to where Claude Code, Codex or Cursor reads skills")
    .addOption(new Option("--agent <agent>", "the agent to install it for (asked for on a terminal)").choices(AGENTS))
    .option("--project", "install into this directory's project (e.g. .claude/skills/), not your home")
    .option("--force", "replace a different skill already installed there")
    .addHelpText(
      "after",
      `
Where it goes (<home> is your home directory, or this directory with --project):
  claude-code  <home>/.claude/skills/deco-hosting/
  codex        <home>/.agents/skills/deco-hosting/
  cursor       <home>/.cursor/skills/deco-hosting/`,
    )
    .action(async (opts: SkillInstallOptions, cmd: Command) => {
      const [out, { packageRoot }] = await Promise.all([ctx.output(cmd), import("./package-root.js")]);
      await runSkillInstall(opts, {
        out,
        source: path.join(packageRoot(), "skill", SKILL_NAME),
        home: homedir(),
        cwd: process.cwd(),
      });
    });
}

/** The folder an agent reads this skill from. */
export function skillTarget(agent: Agent, opts: { project?: boolean; home: string; cwd: string }): string {
  return path.join(opts.project ? opts.cwd : opts.home, AGENT_DIRS[agent], SKILL_NAME);
}

export async function runSkillInstall(opts: SkillInstallOptions, deps: SkillInstallDeps): Promise<void> {
  const { out } = deps;
  const agent =
    opts.agent ??
    (await (
      await import("./prompt.js")
    ).chooseOne<Agent>(out, {
      message: "Which agent should get the deco-hosting skill?",
      choices: AGENTS.map((a) => ({
        value: a,
        label: AGENT_LABELS[a],
        hint: skillTarget(a, { ...deps, project: opts.project }),
      })),
      missing: new HostingError("invalid_input", "which agent? no --agent given and this terminal cannot prompt", {
        hint: `Pass --agent ${AGENTS.join("|")}`,
      }),
    }));
  const target = skillTarget(agent, { ...deps, project: opts.project });
  const { cp, mkdir, rm } = await import("node:fs/promises");
  const source = await readTree(deps.source);
  if (source.size === 0) throw new HostingError("internal", `the skill is missing from this package (${deps.source})`);
  const existing = await readTree(target);
  const same = existing.size === source.size && [...source].every(([f, text]) => existing.get(f)?.equals(text));
  if (existing.size > 0 && !same && !opts.force) {
    throw new HostingError("conflict", `a different skill is already installed at ${target}`, {
      hint: "Pass --force to replace it, or move that folder away first",
    });
  }
  if (!same) {
    if (existing.size > 0) await rm(target, { recursive: true, force: true });
    await mkdir(path.dirname(target), { recursive: true });
    await cp(deps.source, target, { recursive: true });
  }
  const result = {
    agent,
    scope: opts.project ? "project" : "user",
    path: target,
    files: [...source.keys()].sort(),
    unchanged: same,
    replaced: existing.size > 0 && !same,
  };
  out.result(result, (r) =>
    out.success(
      r.unchanged
        ? `The deco-hosting skill for ${AGENT_LABELS[agent]} is already up to date in ${r.path}`
        : `Installed the deco-hosting skill for ${AGENT_LABELS[agent]} in ${r.path} (${r.files.length} files)`,
    ),
  );
}

/** Every file under `dir`, by relative path (forward slashes); empty when `dir` does not exist. */
async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const { readdir, readFile } = await import("node:fs/promises");
  const files = new Map<string, Buffer>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    throw err;
  });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    files.set(path.relative(dir, full).split(path.sep).join("/"), await readFile(full));
  }
  return files;
}
