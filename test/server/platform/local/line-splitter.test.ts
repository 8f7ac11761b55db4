import { describe, expect, it } from "vitest";
import { createLineSplitter } from "../../../../src/server/platform/local/line-splitter.js";

function split(chunks: Buffer[]): string[] {
  const lines: string[] = [];
  const splitter = createLineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.flush();
  return lines;
}

describe("line splitter", () => {
  it("splits on LF and CRLF across chunk boundaries and flushes the last partial line", () => {
    expect(split([Buffer.from("one\ntw"), Buffer.from("o\r"), Buffer.from("\n\nthree")])).toEqual([
      "one",
      "two",
      "",
      "three",
    ]);
  });

  it("keeps multi-byte characters split between chunks intact", () => {
    const bytes = Buffer.from("héllo ✓\n");
    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 8), bytes.subarray(8)])).toEqual(["héllo ✓"]);
  });

  it("cuts very long lines into bounded pieces", () => {
    const lines = split([Buffer.from("x".repeat(40 * 1024))]);
    expect(lines.map((line) => line.length)).toEqual([16 * 1024, 16 * 1024, 8 * 1024]);
  });

  it("emits nothing for empty input", () => {
    expect(split([])).toEqual([]);
  });
});

describe("line splitter under a flood", () => {
  it("keeps no more than one piece waiting for a newline, however long the line", () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    const chunk = Buffer.from("A".repeat(65_536));
    for (let i = 0; i < 64; i++) splitter.push(chunk); // 4 MiB, no newline
    expect(lines.length).toBe((64 * 65_536) / (16 * 1024) - 1); // all but the last piece are out
    splitter.flush();
    expect(lines.every((l) => l.length === 16 * 1024)).toBe(true);
    expect(lines.reduce((n, l) => n + l.length, 0)).toBe(64 * 65_536);
  });
});
