// The one place site URLs are built: `<site>.<base>` for production, `<label>--<site>.<base>`
// for a deployment's immutable preview or an environment's stable URL (see edge/host.ts).
export interface SiteUrls {
  production(site: string): string;
  preview(site: string, deploymentId: string): string;
  environment(site: string, env: string): string;
}

export function createSiteUrls(opts: { edgePort: number; baseDomain?: string; protocol?: "http" | "https" }): SiteUrls {
  const base = opts.baseDomain ?? "localhost";
  const protocol = opts.protocol ?? "http";
  const defaultPort = protocol === "https" ? 443 : 80;
  const port = opts.edgePort === defaultPort ? "" : `:${opts.edgePort}`;
  const url = (host: string) => `${protocol}://${host}.${base}${port}`;
  return {
    production: (site) => url(site),
    preview: (site, id) => url(`${id}--${site}`),
    environment: (site, env) => url(`${env}--${site}`),
  };
}
