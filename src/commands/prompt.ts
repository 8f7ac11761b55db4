// Asking the person at the terminal, or failing fast when nobody can answer: a destructive
// command without --yes, or a missing choice, fails at once with a hint naming the flag.
import { HostingError } from "../api/errors.js";
import { Interrupted } from "./exit-codes.js";
import type { Output } from "./output.js";

/** May we prompt? Not when piped, in CI, or with --json (stdout belongs to the JSON document). */
export function canPrompt(out: Output): boolean {
  return out.terminal.canPrompt && !out.json;
}

export async function confirmDestructive(out: Output, opts: { yes?: boolean; action: string }): Promise<void> {
  if (opts.yes) return;
  if (!canPrompt(out)) {
    throw new HostingError("invalid_input", `refusing to ${opts.action} without confirmation (cannot prompt here)`, {
      hint: "Pass --yes to confirm",
    });
  }
  const { confirm, isCancel } = await import("@clack/prompts");
  const answer = await confirm({
    message: `${opts.action[0]?.toUpperCase()}${opts.action.slice(1)}?`,
    initialValue: false,
  });
  if (isCancel(answer) || answer !== true) throw new Interrupted("canceled; nothing was changed");
}

export interface Choice<T> {
  value: T;
  label: string;
  hint?: string;
}

/** Lets the person pick one; without a prompt, throws `missing` (whose hint names the flag). */
export async function chooseOne<T>(
  out: Output,
  opts: { message: string; choices: Choice<T>[]; missing: HostingError },
): Promise<T> {
  if (!canPrompt(out)) throw opts.missing;
  const { select, isCancel } = await import("@clack/prompts");
  const answer = await select<T>({
    message: opts.message,
    options: opts.choices.map((c) => ({ value: c.value, label: c.label, hint: c.hint })) as never,
  });
  if (isCancel(answer)) throw new Interrupted("canceled; nothing was changed");
  return answer as T;
}
