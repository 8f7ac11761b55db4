/** What the edge reads from a Host header: the site and, for preview/environment URLs, a label. */
export interface EdgeHost {
  site: string;
  /** `null` for the production URL; otherwise a deployment id or environment name (the control plane decides). */
  label: string | null;
}

const SITE = /^[a-z0-9](?:[a-z0-9]|-(?!-))*$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const MAX_DNS_LABEL = 63;

/**
 * Parses `<site>.<base>` (production) or `<label>--<site>.<base>` (preview or environment).
 * Returns `null` for anything that is not exactly one DNS label under the base domain.
 */
export function parseEdgeHost(hostHeader: string | undefined, baseDomain = "localhost"): EdgeHost | null {
  if (!hostHeader) return null;
  const host = stripPort(hostHeader).toLowerCase();
  const base = baseDomain.toLowerCase();
  const suffix = "." + base;
  if (!host.endsWith(suffix)) return null;
  const first = host.slice(0, host.length - suffix.length);
  if (first.length === 0 || first.length > MAX_DNS_LABEL || first.includes(".")) return null;
  const split = first.indexOf("--");
  if (split === -1) return SITE.test(first) && !first.endsWith("-") ? { site: first, label: null } : null;
  const label = first.slice(0, split);
  const site = first.slice(split + 2);
  if (!LABEL.test(label) || !SITE.test(site) || site.endsWith("-")) return null;
  return { site, label };
}

function stripPort(host: string): string {
  // IPv6 literals ("[::1]:8080") are never under a base domain; leave them to fail the suffix check.
  if (host.startsWith("[")) return host;
  const colon = host.lastIndexOf(":");
  const bare = colon === -1 ? host : host.slice(0, colon);
  // A fully qualified name may end with a dot ("site.localhost.").
  return bare.endsWith(".") ? bare.slice(0, -1) : bare;
}
