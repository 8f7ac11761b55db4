// `deco-hosting --help` prints dist/root-help.txt (rendered by the build) without loading
// commander; it must be exactly what commander renders from the command table in src.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createContext } from "../../src/commands/context.js";
import { buildProgram } from "../../src/commands/program.js";

const bin = fileURLToPath(new URL("../../bin/deco-hosting.js", import.meta.url));

function commanderRootHelp(): string {
  let text = "";
  const program = buildProgram(createContext({}));
  program.configureOutput({ writeOut: (s) => (text += s) });
  program.outputHelp();
  return text;
}

describe("root help", () => {
  it("the built --help is exactly commander's help for the current command table", () => {
    const printed = execFileSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
    expect(printed).toBe(commanderRootHelp());
    expect(printed).toContain("Exit codes:");
    expect(printed).toContain("deploy");
  });
});
