// Terminal colour and cursor codes, which build tools print and a log page cannot show.
const ESC = String.fromCharCode(27);
const BEL = String.fromCharCode(7);
// CSI (ESC [ … final byte) and OSC (ESC ] … BEL or ESC \) sequences, and lone ESC codes.
const SEQUENCES = new RegExp(
  `${ESC}\\[[0-?]*[ -/]*[@-~]|${ESC}\\][^${BEL}${ESC}]*(?:${BEL}|${ESC}\\\\)|${ESC}[@-Z\\\\-_]`,
  "g",
);

/** The text of a line, without its escape sequences. */
export function stripAnsi(line: string): string {
  return line.includes(ESC) ? line.replace(SEQUENCES, "") : line;
}
