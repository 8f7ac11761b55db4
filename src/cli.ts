// The CLI's entry (bin/deco-hosting.js calls main). `deco-hosting --help` prints the root
// help that the build rendered from the command table into dist/root-help.txt, so the path a
// person and a benchmark hit most never loads commander; everything else loads the table.
import { readFileSync } from "node:fs";

/** Runs the CLI with `args` (argv without node and the script); returns and sets the exit code. */
export async function main(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    const help = renderedRootHelp();
    if (help !== null) {
      process.stdout.write(help);
      return 0;
    }
  }
  const { runProgram } = await import("./commands/program.js");
  const code = await runProgram(args, env);
  process.exitCode = code;
  return code;
}

function renderedRootHelp(): string | null {
  try {
    return readFileSync(new URL("./root-help.txt", import.meta.url), "utf8");
  } catch {
    return null; // not built (running from source): commander renders it
  }
}
