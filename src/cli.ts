// The CLI's entry (bin/deco-hosting.js calls main). `deco-hosting --help` prints a snapshot
// of commander's help without loading commander, the one start-up path a person and a
// benchmark hit most; everything else loads the command table from ./commands/program.ts.
import { ROOT_HELP } from "./commands/root-help.js";

/** Runs the CLI with `args` (argv without node and the script); returns and sets the exit code. */
export async function main(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    process.stdout.write(ROOT_HELP);
    return 0;
  }
  const { runProgram } = await import("./commands/program.js");
  const code = await runProgram(args, env);
  process.exitCode = code;
  return code;
}
