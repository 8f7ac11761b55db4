import { describe, expect, it } from "vitest";
import { HostingError } from "../../src/api/errors.js";
import { EXIT, exitCodeFor, Interrupted } from "../../src/commands/exit-codes.js";
import { Output, type Terminal } from "../../src/commands/output.js";
import { confirmDestructive } from "../../src/commands/prompt.js";

const piped: Terminal = { stdoutTTY: false, stderrTTY: false, canPrompt: false, color: false };

function capture(json: boolean, terminal = piped) {
  const streams = { stdout: "", stderr: "" };
  const out = new Output({
    json,
    terminal,
    stdout: { write: (s: string) => (streams.stdout += s) },
    stderr: { write: (s: string) => (streams.stderr += s) },
  });
  return { out, streams };
}

describe("Output", () => {
  it("prints one JSON document with --json and nothing else", () => {
    const { out, streams } = capture(true);
    out.note("working…");
    out.result({ sites: [] }, () => "human");
    expect(JSON.parse(streams.stdout)).toEqual({ sites: [] });
    expect(streams.stderr).toBe("");
  });

  it("renders errors as {error:{code,message,hint}} on stdout with --json, with the mapped exit code", () => {
    const { out, streams } = capture(true);
    const code = out.error(new HostingError("not_found", "no site", { hint: "Run `deco-hosting sites ls`" }));
    expect(code).toBe(EXIT.notFound);
    expect(JSON.parse(streams.stdout)).toEqual({
      error: { code: "not_found", message: "no site", hint: "Run `deco-hosting sites ls`" },
    });
    expect(streams.stderr).toBe("");
  });

  it("renders errors as plain text on stderr without --json", () => {
    const { out, streams } = capture(false);
    expect(out.error(new Error("boom"))).toBe(EXIT.error);
    expect(streams.stderr).toBe("Error: boom\n");
    expect(streams.stdout).toBe("");
  });

  it("prints tables as tab-separated rows without a header when piped", () => {
    const { out } = capture(false);
    const text = out.table(
      [
        { header: "Name", value: (r: { n: string; s: string }) => r.n },
        { header: "Status", value: (r) => r.s },
      ],
      [
        { n: "a", s: "live" },
        { n: "b", s: "empty" },
      ],
    );
    expect(text).toBe("a\tlive\nb\tempty");
  });

  it("draws a table with a header on a TTY", () => {
    const { out } = capture(false, { ...piped, stdoutTTY: true });
    const text = out.table([{ header: "Name", value: (r: { n: string }) => r.n }], [{ n: "blog" }]);
    expect(text).toContain("Name");
    expect(text).toContain("blog");
  });
});

describe("exit codes", () => {
  it("maps every documented class of error", () => {
    expect(exitCodeFor("invalid_input")).toBe(2);
    expect(exitCodeFor("unauthorized")).toBe(3);
    expect(exitCodeFor("forbidden")).toBe(3);
    expect(exitCodeFor("not_found")).toBe(4);
    expect(exitCodeFor("conflict")).toBe(5);
    expect(exitCodeFor("unavailable")).toBe(6);
    expect(exitCodeFor("timeout")).toBe(6);
    expect(exitCodeFor("internal")).toBe(1);
    expect(exitCodeFor(undefined)).toBe(1);
  });
});

describe("confirmDestructive", () => {
  it("fails at once, naming --yes, when it cannot prompt", async () => {
    const { out } = capture(false);
    const err = await confirmDestructive(out, { action: "delete site blog" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostingError);
    expect((err as HostingError).code).toBe("invalid_input");
    expect((err as HostingError).hint).toContain("--yes");
  });

  it("never prompts with --json, even on a TTY", async () => {
    const { out } = capture(true, { ...piped, stdoutTTY: true, canPrompt: true });
    await expect(confirmDestructive(out, { action: "delete site blog" })).rejects.toMatchObject({
      code: "invalid_input",
    });
  });

  it("passes with --yes", async () => {
    const { out } = capture(false);
    await expect(confirmDestructive(out, { yes: true, action: "delete site blog" })).resolves.toBeUndefined();
    expect(new Interrupted().code).toBe("interrupted");
  });
});
