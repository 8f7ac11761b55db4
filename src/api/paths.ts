// Paths inside an uploaded deployment. Both sides check them with this one function, so
// the client refuses what the server would refuse. Browser-safe.

export const UPLOAD_LIMITS = {
  maxFiles: 20_000,
  maxFileBytes: 50 * 1024 * 1024,
  maxTotalBytes: 500 * 1024 * 1024,
  maxPathLength: 1024,
} as const;
export type UploadLimits = { [K in keyof typeof UPLOAD_LIMITS]: number };

/** Why `p` is not a safe relative POSIX path inside a deployment, or null if it is. */
export function unsafePathReason(p: string): string | null {
  if (p.length === 0) return "empty path";
  if (p.length > UPLOAD_LIMITS.maxPathLength) return `longer than ${UPLOAD_LIMITS.maxPathLength} characters`;
  if (p.includes("\0")) return "contains a NUL byte";
  if (p.includes("\\")) return "contains a backslash (use forward slashes)";
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p)) return "is absolute";
  for (const seg of p.split("/")) {
    if (seg === "") return "has an empty segment";
    if (seg === "." || seg === "..") return "has a '.' or '..' segment";
    if (seg.length > 255) return "has a segment longer than 255 characters";
  }
  return null;
}
