// The one place the CLI renders anything: JSON documents, tables, field lists, spinners,
// notes and errors. Commands hand it data; it decides how that looks on this terminal.
import { styleText } from "node:util";
import Table from "cli-table3";
import { isHostingError } from "../api/errors.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";

export interface Writer {
  write(chunk: string): unknown;
}

/** What we know about the terminal: decides colour, spinners, tables and prompting. */
export interface Terminal {
  stdoutTTY: boolean;
  stderrTTY: boolean;
  /** Prompts are allowed: stdin and stdout are TTYs and CI is not set. */
  canPrompt: boolean;
  color: boolean;
  /** CI is set: nobody is there to answer a prompt or approve a sign-in. */
  ci?: boolean;
}

export function detectTerminal(env: NodeJS.ProcessEnv = process.env): Terminal {
  const stdoutTTY = process.stdout.isTTY === true;
  const stderrTTY = process.stderr.isTTY === true;
  const ci = env.CI !== undefined && env.CI !== "" && env.CI !== "0" && env.CI !== "false";
  return {
    stdoutTTY,
    stderrTTY,
    canPrompt: process.stdin.isTTY === true && stdoutTTY && !ci,
    color: stdoutTTY && env.NO_COLOR === undefined && env.TERM !== "dumb",
    ci,
  };
}

export interface Column<T> {
  header: string;
  value: (row: T) => string;
}

type Style = "bold" | "dim" | "green" | "red" | "yellow" | "cyan";

export interface OutputOptions {
  json: boolean;
  terminal: Terminal;
  stdout?: Writer;
  stderr?: Writer;
}

export class Output {
  readonly json: boolean;
  readonly terminal: Terminal;
  private readonly stdout: Writer;
  private readonly stderr: Writer;

  constructor(opts: OutputOptions) {
    this.json = opts.json;
    this.terminal = opts.terminal;
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
  }

  /** A command's result: `data` as one JSON document, or `human(data)` as text on stdout. */
  result<T>(data: T, human: (data: T) => string): void {
    if (this.json) this.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else {
      const text = human(data);
      if (text) this.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    }
  }

  /** Progress or guidance for a person, on stderr; silent with --json. */
  note(text: string): void {
    if (!this.json) this.stderr.write(`${text}\n`);
  }

  /** A machine-readable progress event (JSON line on stderr) for --json callers that must act mid-command. */
  event(data: Record<string, unknown>): void {
    if (this.json) this.stderr.write(`${JSON.stringify(data)}\n`);
  }

  style(style: Style, text: string): string {
    return this.terminal.color ? styleText(style, text) : text;
  }

  success(text: string): string {
    return this.terminal.color ? `${styleText("green", "✓")} ${text}` : text;
  }

  /** A table on a TTY; tab-separated rows without a header when piped (stable for scripts). */
  table<T>(columns: Column<T>[], rows: T[], empty = "Nothing to show."): string {
    if (!this.terminal.stdoutTTY) return rows.map((r) => columns.map((c) => c.value(r)).join("\t")).join("\n");
    if (rows.length === 0) return this.style("dim", empty);
    const table = new Table({
      head: columns.map((c) => this.style("bold", c.header)),
      style: { head: [], border: this.terminal.color ? ["grey"] : [] },
    });
    for (const r of rows) table.push(columns.map((c) => c.value(r)));
    return table.toString();
  }

  /** Label–value lines, aligned. */
  fields(pairs: Array<[string, string | number | null | undefined]>): string {
    const width = Math.max(...pairs.map(([k]) => k.length));
    return pairs.map(([k, v]) => `${this.style("dim", `${k}:`.padEnd(width + 1))} ${v ?? "-"}`).join("\n");
  }

  /** Runs `work` under a spinner on an interactive stderr; plainly otherwise. */
  async spin<T>(text: string, work: () => Promise<T>): Promise<T> {
    if (this.json || !this.terminal.stderrTTY) return work();
    const { default: ora } = await import("ora");
    const spinner = ora({ text, stream: process.stderr }).start();
    try {
      const value = await work();
      spinner.stop();
      return value;
    } catch (err) {
      spinner.stop();
      throw err;
    }
  }

  /** One streamed item on stdout: a JSON line with --json (objects), a text line otherwise. */
  line(item: string | object): void {
    this.stdout.write(`${typeof item === "string" ? item : JSON.stringify(item)}\n`);
  }

  /** A spinner whose text can change (upload progress); silent unless stderr is interactive. */
  async progress(text: string): Promise<{ update(text: string): void; stop(): void }> {
    if (this.json || !this.terminal.stderrTTY) return { update() {}, stop() {} };
    const { default: ora } = await import("ora");
    const spinner = ora({ text, stream: process.stderr }).start();
    return {
      update: (t) => {
        spinner.text = t;
      },
      stop: () => spinner.stop(),
    };
  }

  /** Renders an error (JSON on stdout with --json, text on stderr otherwise) and returns the exit code. */
  error(err: unknown): number {
    const body = errorBody(err);
    if (this.json) this.stdout.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
    else {
      const mark = this.terminal.color ? styleText("red", "✗") : "Error:";
      this.stderr.write(`${mark} ${body.message}\n`);
      if (body.hint) this.stderr.write(`${this.style("dim", "Hint:")} ${body.hint}\n`);
      if (body.code === "internal" && process.env.DEBUG && err instanceof Error) this.stderr.write(`${err.stack}\n`);
    }
    return body.code === "interrupted" ? EXIT.interrupted : exitCodeFor(body.code);
  }
}

export interface ErrorOutput {
  code: string;
  message: string;
  hint?: string;
  details?: unknown;
}

export function errorBody(err: unknown): ErrorOutput {
  if (isHostingError(err)) {
    const body: ErrorOutput = { code: err.code, message: err.message };
    if (err.hint) body.hint = err.hint;
    if (err.details !== undefined) body.details = err.details;
    return body;
  }
  if (err instanceof Error && (err as { code?: unknown }).code === "interrupted")
    return { code: "interrupted", message: err.message };
  return { code: "internal", message: err instanceof Error ? err.message : String(err) };
}
