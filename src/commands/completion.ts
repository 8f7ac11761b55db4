// completion bash|zsh|fish: a shell completion script generated from the command table as it is
// when the command runs, so new commands, subcommands and options complete without a change here.
import { Argument, type Command } from "commander";
import type { CommandContext } from "./context.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

const INSTALL_HELP = `
Install (then open a new shell):
  bash  deco-hosting completion bash > ~/.local/share/bash-completion/completions/deco-hosting
        (or add  source <(deco-hosting completion bash)  to ~/.bashrc)
  zsh   deco-hosting completion zsh > "\${fpath[1]}/_deco-hosting"
        (or add  source <(deco-hosting completion zsh)  to ~/.zshrc, after compinit)
  fish  deco-hosting completion fish > ~/.config/fish/completions/deco-hosting.fish`;

export function register(program: Command, ctx: CommandContext): void {
  program
    .command("completion")
    .description("Print a shell completion script for bash, zsh or fish")
    .addArgument(new Argument("<shell>", "the shell to complete in").choices(SHELLS))
    .addHelpText("after", INSTALL_HELP)
    .action(async (shell: Shell, _opts, cmd: Command) => {
      const out = await ctx.output(cmd);
      let root = cmd;
      while (root.parent) root = root.parent;
      const script = completionScript(shell, root);
      out.result({ shell, script }, (r) => r.script);
    });
}

interface OptionSpec {
  flags: string[];
  takesValue: boolean;
  choices: string[];
  description: string;
}

interface CommandSpec {
  /** Every way to spell the path: names and aliases ("deployments ls", "dpl list" …); "" is the root. */
  keys: string[];
  subcommands: Array<{ names: string[]; description: string }>;
  options: OptionSpec[];
}

/** The command table as data: one entry per command, with the root's options on every command. */
export function commandSpecs(root: Command): CommandSpec[] {
  const help = root.createHelp();
  const optionsOf = (cmd: Command): OptionSpec[] =>
    help.visibleOptions(cmd).map((o) => ({
      flags: [o.short, o.long].filter((f): f is string => Boolean(f)),
      takesValue: o.required || o.optional,
      choices: o.argChoices ?? [],
      description: o.description,
    }));
  const globals = optionsOf(root);
  // a subcommand has its own --help; --version answers only at the root
  const inherited = globals.filter((g) => !g.flags.includes("--help") && !g.flags.includes("--version"));
  const specs: CommandSpec[] = [];
  const walk = (cmd: Command, keys: string[]) => {
    const visible = help.visibleCommands(cmd).filter((c) => c.name() !== "help");
    specs.push({
      keys,
      subcommands: [
        ...visible.map((c) => ({ names: [c.name(), ...c.aliases()], description: c.description() })),
        // an argument's fixed values complete like subcommands (`completion bash`)
        ...help
          .visibleArguments(cmd)
          .flatMap((a) => (a.argChoices ?? []).map((v) => ({ names: [v], description: a.description }))),
      ],
      options: cmd === root ? globals : [...optionsOf(cmd), ...inherited],
    });
    for (const sub of visible) {
      const names = [sub.name(), ...sub.aliases()];
      walk(
        sub,
        keys.flatMap((k) => names.map((n) => (k ? `${k} ${n}` : n))),
      );
    }
  };
  walk(root, [""]);
  return specs;
}

export function completionScript(shell: Shell, root: Command): string {
  const specs = commandSpecs(root);
  const name = root.name();
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
  if (shell === "fish") return fishScript(name, fn, specs);
  const tables = shTables(fn, specs);
  return shell === "bash" ? bashScript(name, fn, tables) : zshScript(name, fn, tables);
}

/** Lookup functions shared by bash and zsh: `<fn>_subs PATH`, `_opts PATH`, `_valued PATH`, `_choices "PATH OPT"`. */
function shTables(fn: string, specs: CommandSpec[]): string {
  const table = (fname: string, rows: Array<[string[], string[]]>) => {
    const cases = rows
      .filter(([, words]) => words.length > 0)
      .map(([keys, words]) => `    ${keys.map((k) => shQuote(k)).join("|")}) echo ${shQuote(words.join(" "))} ;;`);
    return `${fn}_${fname}() {\n  case "$1" in\n${cases.join("\n")}\n  esac\n}`;
  };
  const choiceRows: Array<[string[], string[]]> = specs.flatMap((s) =>
    s.options
      .filter((o) => o.choices.length > 0)
      .map((o): [string[], string[]] => [
        s.keys.flatMap((k) => o.flags.map((f) => (k ? `${k} ${f}` : ` ${f}`))),
        o.choices,
      ]),
  );
  return [
    table(
      "subs",
      specs.map((s) => [s.keys, s.subcommands.flatMap((c) => c.names)]),
    ),
    table(
      "opts",
      specs.map((s) => [s.keys, s.options.flatMap((o) => o.flags.filter((f) => f.startsWith("--")))]),
    ),
    table(
      "valued",
      specs.map((s) => [s.keys, s.options.filter((o) => o.takesValue).flatMap((o) => o.flags)]),
    ),
    table("choices", choiceRows),
  ].join("\n");
}

function bashScript(name: string, fn: string, tables: string): string {
  return `# ${name} completion for bash, generated by \`${name} completion bash\`
${tables}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath="" skip=0 i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    if [[ "$w" == -* ]]; then
      [[ "$w" != *=* && " $(${fn}_valued "$cmdpath") " == *" $w "* ]] && skip=1
      continue
    fi
    [[ " $(${fn}_subs "$cmdpath") " == *" $w "* ]] && cmdpath="\${cmdpath:+$cmdpath }$w"
  done
  if ((skip)); then
    COMPREPLY=($(compgen -W "$(${fn}_choices "$cmdpath \${COMP_WORDS[COMP_CWORD-1]}")" -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(${fn}_opts "$cmdpath")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(${fn}_subs "$cmdpath")" -- "$cur"))
  fi
}
complete -o default -F ${fn} ${name}
`;
}

function zshScript(name: string, fn: string, tables: string): string {
  return `#compdef ${name}
# ${name} completion for zsh, generated by \`${name} completion zsh\`
${tables}
${fn}() {
  local cmdpath="" skip=0 i w
  local -a cands
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    if ((skip)); then skip=0; continue; fi
    if [[ "$w" == -* ]]; then
      [[ "$w" != *=* && " $(${fn}_valued "$cmdpath") " == *" $w "* ]] && skip=1
      continue
    fi
    [[ " $(${fn}_subs "$cmdpath") " == *" $w "* ]] && cmdpath="\${cmdpath:+$cmdpath }$w"
  done
  if ((skip)); then
    cands=(\${=$(${fn}_choices "$cmdpath \${words[CURRENT-1]}")})
  elif [[ "\${words[CURRENT]}" == -* ]]; then
    cands=(\${=$(${fn}_opts "$cmdpath")})
  else
    cands=(\${=$(${fn}_subs "$cmdpath")})
  fi
  if ((\${#cands})); then compadd -a cands; else _files; fi
}
if [[ "\${funcstack[1]}" == "_${name}" ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

function fishScript(name: string, fn: string, specs: CommandSpec[]): string {
  const sw = (fname: string, rows: Array<[string[], string[]]>) => {
    const cases = rows
      .filter(([, lines]) => lines.length > 0)
      .map(
        ([keys, lines]) =>
          `        case ${keys.map(fishQuote).join(" ")}\n            printf '%s\\n' ${lines.map(fishQuote).join(" ")}`,
      );
    return `function ${fn}_${fname}\n    switch "$argv[1]"\n${cases.join("\n")}\n    end\nend`;
  };
  const described = (names: string[], description: string) => names.map((n) => `${n}\t${description}`);
  return `# ${name} completion for fish, generated by \`${name} completion fish\`
${sw(
  "subs",
  specs.map((s) => [s.keys, s.subcommands.flatMap((c) => described(c.names, c.description))]),
)}
${sw(
  "opts",
  specs.map((s) => [
    s.keys,
    s.options.flatMap((o) =>
      described(
        o.flags.filter((f) => f.startsWith("--")),
        o.description,
      ),
    ),
  ]),
)}
${sw(
  "valued",
  specs.map((s) => [s.keys, s.options.filter((o) => o.takesValue).flatMap((o) => o.flags)]),
)}
${sw(
  "choices",
  specs.flatMap((s) =>
    s.options
      .filter((o) => o.choices.length > 0)
      .map((o): [string[], string[]] => [
        s.keys.flatMap((k) => o.flags.map((f) => (k ? `${k} ${f}` : ` ${f}`))),
        o.choices,
      ]),
  ),
)}
function ${fn}_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l cur (commandline -ct)
    set -l cmdpath ''
    set -l skip 0
    set -l last ''
    for w in $words
        set last $w
        if test $skip -eq 1
            set skip 0
            continue
        end
        if string match -q -- '-*' $w
            if not string match -q -- '*=*' $w; and contains -- $w (${fn}_valued "$cmdpath")
                set skip 1
            end
            continue
        end
        if contains -- $w (${fn}_subs "$cmdpath" | string replace -r '\\t.*' '')
            set cmdpath (string trim -- "$cmdpath $w")
        end
    end
    if test $skip -eq 1
        ${fn}_choices "$cmdpath $last"
    else if string match -q -- '-*' $cur
        ${fn}_opts "$cmdpath"
    else
        set -l subs (${fn}_subs "$cmdpath")
        if test (count $subs) -gt 0
            printf '%s\\n' $subs
        else
            __fish_complete_path $cur
        end
    end
end
complete -c ${name} -f -a '(${fn}_complete)'
`;
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function fishQuote(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}
