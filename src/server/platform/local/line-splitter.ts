import { StringDecoder } from "node:string_decoder";

/** Longer lines are cut into pieces so one chatty process cannot hold unbounded memory. */
const MAX_LINE = 16 * 1024;

export interface LineSplitter {
  push(chunk: Buffer): void;
  /** Emits what is left of an unterminated last line. */
  flush(): void;
}

/** The last lines a process printed, to quote in the error that says it failed. */
export function quoteTail(tail: readonly string[]): string {
  const lines = tail.filter((l) => l.trim() !== "");
  return lines.length === 0 ? "" : `; last output:\n${lines.join("\n")}`;
}

/** Turns a byte stream into UTF-8 lines without their `\n` / `\r\n`. */
export function createLineSplitter(onLine: (line: string) => void): LineSplitter {
  const decoder = new StringDecoder("utf8");
  let pending = "";

  function emit(text: string): void {
    for (let start = 0; start < text.length; start += MAX_LINE) onLine(text.slice(start, start + MAX_LINE));
    if (text.length === 0) onLine("");
  }

  // Only the new text is searched, and what waits for its newline never exceeds MAX_LINE:
  // a process printing without newlines costs linear time and bounded memory.
  function take(text: string): void {
    let start = 0;
    let newline = text.indexOf("\n");
    while (newline !== -1) {
      let line = pending + text.slice(start, newline);
      pending = "";
      if (line.endsWith("\r")) line = line.slice(0, -1);
      emit(line);
      start = newline + 1;
      newline = text.indexOf("\n", start);
    }
    pending += text.slice(start);
    while (pending.length > MAX_LINE) {
      emit(pending.slice(0, MAX_LINE));
      pending = pending.slice(MAX_LINE);
    }
  }

  return {
    push: (chunk) => take(decoder.write(chunk)),
    flush() {
      take(decoder.end());
      if (pending.length > 0) emit(pending);
      pending = "";
    },
  };
}
