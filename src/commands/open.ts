// open [site]: the site's production URL (or a deployment's preview) in the browser; the
// URL alone when there is no terminal to open a browser from.
import type { Command } from "commander";
import { HostingError } from "../api/errors.js";
import type { ClientDeps, CommandContext } from "./context.js";
import { siteFrom } from "./deployments.js";

export function register(program: Command, ctx: CommandContext): void {
  program
    .command("open")
    .description("Open a site's production URL (or a deployment's preview) in the browser")
    .argument("[site]", "site name (default: the directory's linked site)")
    .option("--deployment <id>", "open this deployment's preview URL instead")
    .action(async (site: string | undefined, opts: { deployment?: string }, cmd: Command) =>
      runOpen({ site, ...opts }, await ctx.clientDeps(cmd)),
    );
}

export async function runOpen(opts: { site?: string; deployment?: string }, { client, out }: ClientDeps) {
  let url: string | null;
  if (opts.deployment) url = (await client.getDeployment({ deploymentId: opts.deployment })).url;
  else {
    const site = await client.getSite({ siteName: await siteFrom(opts.site) });
    url = site.productionUrl;
    if (!url) {
      throw new HostingError("not_found", `site '${site.name}' serves nothing in production yet`, {
        hint: `Deploy with \`deco-hosting deploy --site ${site.name} --prod\`, or open a preview with --deployment <id>`,
      });
    }
  }
  if (!url) throw new HostingError("not_found", "this deployment has no URL");
  if (!out.json && out.terminal.stdoutTTY) {
    const { default: open } = await import("open");
    await open(url);
  }
  out.result({ url }, (r) => r.url);
}
