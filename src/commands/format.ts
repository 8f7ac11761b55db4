// Formatting of values for human output, shared by every command.

/** A timestamp for humans: "2026-11-24 21:48" (UTC, as the API sends it), or "-" for none. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "-";
  return iso.replace("T", " ").slice(0, 16);
}
