// The skill follows the Agent Skills format: front matter with `name` (the folder's name,
// lowercase letters, digits and single hyphens, ≤ 64) and `description` (≤ 1,024 characters),
// a body under 500 lines, and every linked reference file present.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "../helpers/cli.js";

const skillDir = join(root, "skill", "deco-hosting");
const text = readFileSync(join(skillDir, "SKILL.md"), "utf8");

/** Splits `---\n<yaml>\n---\n<body>` and reads the flat `key: value` lines of the YAML. */
function parseSkill(source: string): { meta: Record<string, string>; body: string } {
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(source);
  if (!match) throw new Error("SKILL.md does not start with YAML front matter between --- lines");
  const meta: Record<string, string> = {};
  for (const line of (match[1] as string).split("\n")) {
    const kv = /^([a-z-]+):\s*(.*)$/.exec(line);
    if (!kv) throw new Error(`front matter line is not a flat key: value pair: ${line}`);
    let value = (kv[2] as string).trim();
    if (/^["'].*["']$/.test(value)) value = value.slice(1, -1);
    meta[kv[1] as string] = value;
  }
  return { meta, body: match[2] as string };
}

describe("skill/deco-hosting/SKILL.md", () => {
  const { meta, body } = parseSkill(text);

  it("has a name equal to its folder: lowercase letters, digits and single hyphens, at most 64 characters", () => {
    expect(meta.name).toBe(basename(skillDir));
    expect(meta.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(meta.name?.length).toBeLessThanOrEqual(64);
  });

  it("has a description of at most 1,024 characters that says what it does and when to use it", () => {
    expect(meta.description).toBeTruthy();
    expect(meta.description?.length).toBeLessThanOrEqual(1024);
    expect(meta.description).toMatch(/Use when/);
    expect(meta.description).not.toMatch(/[<>]/);
  });

  it("has a body under 500 lines", () => {
    expect(body.trim().length).toBeGreaterThan(0);
    expect(body.split("\n").length).toBeLessThan(500);
  });

  it("links only reference files that exist, and links every one of them", () => {
    const linked = [...body.matchAll(/\]\((references\/[^)#\s]+)\)/g)].map((m) => m[1] as string);
    expect(linked.length).toBeGreaterThan(0);
    for (const file of linked) expect(existsSync(join(skillDir, file)), file).toBe(true);
    const present = readdirSync(join(skillDir, "references")).map((f) => `references/${f}`);
    expect(new Set(linked)).toEqual(new Set(present));
  });

  it("covers every error code of the contract in the troubleshooting reference", async () => {
    const { ERROR_CODES } = await import("../../src/api/errors.js");
    const { exitCodeFor } = await import("../../src/commands/exit-codes.js");
    const errors = readFileSync(join(skillDir, "references", "errors.md"), "utf8");
    for (const code of Object.keys(ERROR_CODES)) {
      const row = errors.split("\n").find((l) => l.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row?.split("|")[2]?.trim(), code).toBe(String(exitCodeFor(code)));
    }
  });
});

describe("the commands the skill teaches", () => {
  it("exist, with every flag they are shown with", async () => {
    const { buildProgram } = await import("../../src/commands/program.js");
    const { createContext } = await import("../../src/commands/context.js");
    const program = buildProgram(createContext({}));
    const files = [
      join(skillDir, "SKILL.md"),
      ...readdirSync(join(skillDir, "references")).map((f) => join(skillDir, "references", f)),
    ];
    const snippets: string[] = [];
    for (const file of files) {
      const source = readFileSync(file, "utf8");
      for (const block of source.matchAll(/```[a-z]*\n([\s\S]*?)```/g))
        snippets.push(...(block[1] as string).split("\n"));
      for (const span of source.replace(/```[\s\S]*?```/g, "").matchAll(/`([^`\n]+)`/g))
        snippets.push(span[1] as string);
    }
    const uses = snippets.flatMap((s) =>
      [...s.matchAll(/deco-hosting ((?:[^\s|#)"`]+ ?)+)/g)].map((m) => (m[1] as string).trim()),
    );
    expect(uses.length).toBeGreaterThan(20);
    for (const use of uses) {
      let cmd = program;
      const words = use.split(/\s+/);
      let i = 0;
      for (; i < words.length; i++) {
        const sub = cmd.commands.find((c) => c.name() === words[i] || c.aliases().includes(words[i] as string));
        if (!sub) break;
        cmd = sub;
      }
      if (!/^[-<]/.test(words[0] ?? "")) expect(cmd !== program, `\`deco-hosting ${use}\` names no command`).toBe(true);
      const known = new Set<string>();
      for (let c: typeof cmd | null = cmd; c; c = c.parent)
        for (const o of c.options) known.add(o.long ?? "").add(o.short ?? "");
      known.add("--help").add("-h");
      for (const flag of words.slice(i).filter((w) => /^--?[a-z]/.test(w))) {
        expect(known.has(flag.split("=")[0] as string), `\`deco-hosting ${use}\`: ${flag}`).toBe(true);
      }
    }
  });
});
