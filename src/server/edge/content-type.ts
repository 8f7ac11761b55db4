const TEXT = "; charset=utf-8";

const BY_EXTENSION: ReadonlyMap<string, string> = new Map([
  ["html", "text/html" + TEXT],
  ["htm", "text/html" + TEXT],
  ["css", "text/css" + TEXT],
  ["js", "text/javascript" + TEXT],
  ["mjs", "text/javascript" + TEXT],
  ["cjs", "text/javascript" + TEXT],
  ["json", "application/json" + TEXT],
  ["map", "application/json" + TEXT],
  ["webmanifest", "application/manifest+json" + TEXT],
  ["txt", "text/plain" + TEXT],
  ["md", "text/markdown" + TEXT],
  ["csv", "text/csv" + TEXT],
  ["xml", "application/xml" + TEXT],
  ["svg", "image/svg+xml" + TEXT],
  ["png", "image/png"],
  ["jpg", "image/jpeg"],
  ["jpeg", "image/jpeg"],
  ["gif", "image/gif"],
  ["webp", "image/webp"],
  ["avif", "image/avif"],
  ["ico", "image/x-icon"],
  ["woff", "font/woff"],
  ["woff2", "font/woff2"],
  ["ttf", "font/ttf"],
  ["otf", "font/otf"],
  ["wasm", "application/wasm"],
  ["pdf", "application/pdf"],
  ["mp4", "video/mp4"],
  ["webm", "video/webm"],
  ["mp3", "audio/mpeg"],
  ["wav", "audio/wav"],
  ["zip", "application/zip"],
]);

export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

/** Content-Type for a path by its extension; text types carry `charset=utf-8`. */
export function contentTypeFor(path: string): string {
  const ext = extensionOf(path);
  return (ext && BY_EXTENSION.get(ext.toLowerCase())) || DEFAULT_CONTENT_TYPE;
}

/** The extension of the last path segment without the dot, or `""` when it has none. */
export function extensionOf(path: string): string {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  return dot > slash + 1 ? path.slice(dot + 1) : "";
}
