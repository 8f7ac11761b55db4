import type { Socket } from "node:net";

/** A file of a static deployment: its content lives in the blob store under its hash. */
export interface StaticFile {
  sha256: string;
  size: number;
}

/** A deployment served from the blob store. */
export interface StaticTarget {
  kind: "static";
  /** Identifies the target for in-flight tracking and metrics (e.g. the deployment id). */
  key: string;
  /** Keyed by absolute path inside the deployment: "/index.html", "/assets/app.js". */
  files: ReadonlyMap<string, StaticFile>;
  /** Where the blob with this hash is on disk; only ever called with hashes from `files`. */
  blobPath(sha256: string): string;
  /** Serve /index.html for extension-less paths that match no file. */
  spaFallback: boolean;
}

/** A deployment that runs its own HTTP server. */
export interface ServerTarget {
  kind: "server";
  key: string;
  upstream: { host: string; port: number };
  /**
   * Opens a connection to the app: a sandboxed app is reachable only this way, never by its
   * port, so the edge cannot be sent to a listener it did not start. Absent: TCP to upstream.
   */
  connect?: () => Promise<Socket>;
}

/** A deployment that cannot answer: its app crashed too often and the supervisor gave up. */
export interface UnavailableTarget {
  kind: "unavailable";
  key: string;
}

export type EdgeTarget = StaticTarget | ServerTarget | UnavailableTarget;
