// Git URLs from deployers: what may be fetched, and the credentials some carry. A URL's
// user:password part is taken out before anything is stored (it is sealed apart, see
// secrets/box.ts), shown as *** wherever the URL appears, and scrubbed from every message
// git prints; only the sandboxed git that fetches ever sees it. Hosts that resolve to
// loopback, private or link-local addresses are refused unless the server allows local git,
// and the address checked is the one git is pinned to (no DNS rebinding in between).
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { HostingError } from "../../api/errors.js";

export interface SplitGitUrl {
  /** The URL with any credentials replaced by ***. */
  display: string;
  /** "user:password" (percent-encoded as given), or null. */
  credentials: string | null;
}

const SCHEMES = ["https", "http", "git", "ssh"];

export function allowedGitSchemes(allowLocal: boolean): string[] {
  return allowLocal ? [...SCHEMES, "file"] : SCHEMES;
}

/** Checks the URL's form and takes its credentials out. */
export function splitGitUrl(url: string, allowLocal: boolean): SplitGitUrl {
  const allowed = allowedGitSchemes(allowLocal);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {}
  if (!scheme || !allowed.includes(scheme) || !parsed || /[\s\0]/.test(url)) {
    throw new HostingError("invalid_input", `unsupported git URL ${redactUrl(url)}`, {
      hint: `Use a URL with one of: ${allowed.map((s) => `${s}://`).join(", ")}`,
    });
  }
  // ssh's user name (git@host) says who to log in as; it is not a secret.
  if (!parsed.password && (!parsed.username || scheme === "ssh")) return { display: url, credentials: null };
  const at = url.indexOf("@", scheme.length + 3);
  const credentials = url.slice(scheme.length + 3, at);
  return { display: `${url.slice(0, scheme.length + 3)}***${url.slice(at)}`, credentials };
}

/** The URL git fetches: the displayed one with its credentials put back. */
export function withCredentials(display: string, credentials: string | null): string {
  return credentials === null ? display : display.replace("://***@", `://${credentials}@`);
}

/** Any user:password in URLs inside `text`, replaced by ***. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, "$1***@");
}

/** `text` with every occurrence of the credentials (raw and decoded) replaced by ***. */
export function scrub(text: string, credentials: string | null): string {
  let out = redactUrl(text);
  if (!credentials) return out;
  const pieces = new Set<string>();
  for (const part of [credentials, ...credentials.split(":")]) {
    if (part.length < 3) continue;
    pieces.add(part);
    try {
      pieces.add(decodeURIComponent(part));
    } catch {}
  }
  for (const p of [...pieces].sort((a, b) => b.length - a.length)) out = out.split(p).join("***");
  return out;
}

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv6");

function isPrivate(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE.check(mapped, "ipv4");
  return PRIVATE.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

/**
 * Resolves the URL's host and refuses a loopback or private address (unless allowed);
 * returns the address git is to use, or null where none applies (file://, or allowed).
 */
export async function checkGitHost(
  display: string,
  allowLocal: boolean,
): Promise<{ host: string; port: number; address: string } | null> {
  const url = new URL(display);
  if (url.protocol === "file:" || allowLocal) return null;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port) || { "https:": 443, "http:": 80, "git:": 9418, "ssh:": 22 }[url.protocol] || 0;
  const refuse = () =>
    new HostingError("invalid_input", `git URL host ${host} is a loopback, private or link-local address`, {
      hint: "Deploy from a repository on a public host; a server started with --allow-local-git may fetch local ones",
    });
  if (isIP(host)) {
    if (isPrivate(host)) throw refuse();
    return { host, port, address: host };
  }
  if (host === "localhost" || host.endsWith(".localhost")) throw refuse();
  let addresses: string[];
  try {
    addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch (err) {
    throw new HostingError(
      "invalid_input",
      `git URL host ${host} does not resolve (${(err as NodeJS.ErrnoException).code})`,
      {
        hint: "Check the repository URL",
      },
    );
  }
  if (addresses.length === 0 || addresses.some(isPrivate)) throw refuse();
  return { host, port, address: addresses[0] as string };
}
