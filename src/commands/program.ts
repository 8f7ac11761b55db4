// The `deco-hosting` command table. Only commander and the register functions load here;
// each action imports the SDK, credentials, output libraries or the server when it runs.
import { Command, CommanderError } from "commander";
import { HostingError } from "../api/errors.js";
import { register as registerAuth } from "./auth.js";
import { register as registerCompletion } from "./completion.js";
import { type CommandContext, createContext } from "./context.js";
import { register as registerDeploy } from "./deploy.js";
import { register as registerDeployments } from "./deployments.js";
import { EXIT, EXIT_CODES_HELP } from "./exit-codes.js";
import { register as registerLink } from "./link.js";
import { register as registerLogs } from "./logs.js";
import { register as registerMcp } from "./mcp.js";
import { registerMcpInstall } from "./mcp-install.js";
import { register as registerOpen } from "./open.js";
import { register as registerServer } from "./server.js";
import { register as registerSites } from "./sites.js";
import { register as registerSkill } from "./skill.js";
import { register as registerTeams } from "./teams.js";
import { register as registerTokens } from "./tokens.js";
import { CLI_VERSION } from "./version.js";

const ENV_HELP = `
Environment:
  DECO_HOSTING_TOKEN     API key or access token; beats stored credentials
  DECO_HOSTING_API_URL   hosting API URL; beats the profile
  DECO_HOSTING_PROFILE   profile to use when --profile is not given
  DECO_HOSTING_KEYCHAIN  "off" keeps credentials in a 0600 file, not the OS keychain
  CI                     when set, never prompt (destructive commands need --yes)

Profiles live in $XDG_CONFIG_HOME/deco-hosting/config.json. With no server
configured, commands use a local server (data in $XDG_DATA_HOME/deco-hosting),
started in the background on first use; \`deco-hosting server stop\` stops it.`;

export function buildProgram(ctx: CommandContext, opts: { json?: boolean } = {}): Command {
  const program = new Command("deco-hosting")
    .description("Agent-native web hosting: create sites, deploy, and manage them from the terminal")
    .version(CLI_VERSION, "-V, --version")
    .option("--json", "print one JSON document on stdout (errors too)")
    .option("--profile <name>", "credentials profile to use")
    .option("--team <slug>", "team to act on (default: the profile's, else your default team)")
    .option("--api-url <url>", "URL of the hosting API (default: the profile's, else the local server)")
    // a fixed width keeps help identical on every terminal, so root-help.ts can be a snapshot of it
    .configureHelp({ showGlobalOptions: true, helpWidth: 80 })
    .showSuggestionAfterError()
    .exitOverride();
  // with --json, a usage error is printed as a JSON document by main, not as commander's text
  if (opts.json) program.configureOutput({ outputError: () => {} });
  program.addHelpText("after", `${EXIT_CODES_HELP}\n${ENV_HELP}`);
  registerAuth(program, ctx);
  registerSites(program, ctx);
  registerLink(program, ctx);
  registerDeploy(program, ctx);
  registerDeployments(program, ctx);
  registerLogs(program, ctx);
  registerOpen(program, ctx);
  registerTeams(program, ctx);
  registerTokens(program, ctx);
  registerServer(program, ctx);
  registerMcp(program, ctx);
  registerMcpInstall(program.commands.find((c) => c.name() === "mcp") ?? program.command("mcp"), ctx);
  registerSkill(program, ctx);
  registerCompletion(program, ctx);
  return program;
}

/** Parses `args` and runs the command; returns the exit code. */
export async function runProgram(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const json = args.includes("--json");
  const ctx = createContext(env);
  const program = buildProgram(ctx, { json });
  const onSigint = () => ctx.interrupt();
  process.on("SIGINT", onSigint);
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (err) {
    code = await report(err, program, ctx, json, args);
  } finally {
    process.off("SIGINT", onSigint);
  }
  return code;
}

async function report(
  err: unknown,
  program: Command,
  ctx: CommandContext,
  json: boolean,
  args: string[],
): Promise<number> {
  if (err instanceof CommanderError) {
    // commander.help with a non-zero code: a command group ran without its subcommand (help went to stderr)
    if (err.code === "commander.help" && err.exitCode !== 0) {
      if (json) (await ctx.output(program)).error(missingSubcommand(program, args));
      return EXIT.invalidInput;
    }
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") {
      return err.exitCode;
    }
    if (json) {
      const usage = new HostingError("invalid_input", err.message.replace(/^error: /, ""), {
        hint: "Add --help to the command to see its arguments and options",
      });
      (await ctx.output(program)).error(usage);
    }
    return EXIT.invalidInput;
  }
  return (await ctx.output(program)).error(err);
}

/** The usage error for a command group run without a subcommand, e.g. `deco-hosting sites`. */
function missingSubcommand(program: Command, args: string[]): HostingError {
  let group = program;
  for (const word of args) {
    const sub = group.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub) group = sub;
  }
  const path = [];
  for (let c: Command | null = group; c?.parent; c = c.parent) path.unshift(c.name());
  return new HostingError("invalid_input", `\`${path.join(" ")}\` needs a subcommand`, {
    hint: `Add one of: ${group.commands.map((c) => c.name()).join(", ")}`,
  });
}
