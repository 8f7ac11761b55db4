// sites ls | create | inspect | rm.
import type { Command } from "commander";
import type { Site, SiteDetail } from "../api/schemas.js";
import type { ClientDeps, CommandContext } from "./context.js";
import { formatTime } from "./format.js";
import { confirmDestructive } from "./prompt.js";

export function register(program: Command, ctx: CommandContext): void {
  const sites = program.command("sites").description("Create, list, inspect and delete sites");
  sites
    .command("ls")
    .alias("list")
    .description("List the team's sites")
    .action(async (_opts, cmd: Command) => runSitesList({}, await ctx.clientDeps(cmd)));
  sites
    .command("create")
    .description("Create a site; its name becomes its hostname")
    .argument("<name>", "lowercase letters, digits and hyphens")
    .option("--git <url>", "git repository to deploy from")
    .option("--branch <branch>", "git branch to deploy (with --git)")
    .action(async (name: string, opts: { git?: string; branch?: string }, cmd: Command) =>
      runSitesCreate({ name, ...opts }, await ctx.clientDeps(cmd)),
    );
  sites
    .command("inspect")
    .description("Show a site with its environments, domains and latest deployment")
    .argument("<name>", "site name")
    .action(async (name: string, _opts, cmd: Command) => runSitesInspect({ name }, await ctx.clientDeps(cmd)));
  sites
    .command("rm")
    .alias("delete")
    .description("Delete a site with its deployments, environments and domains")
    .argument("<name>", "site name")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (name: string, opts: { yes?: boolean }, cmd: Command) =>
      runSitesRemove({ name, yes: opts.yes }, await ctx.clientDeps(cmd)),
    );
}

export async function runSitesList(_opts: object, { client, out }: ClientDeps): Promise<void> {
  const { sites } = await client.listSites();
  out.result({ sites }, (r) =>
    out.table<Site>(
      [
        { header: "Name", value: (s) => s.name },
        { header: "Status", value: (s) => s.status },
        { header: "URL", value: (s) => s.productionUrl ?? "-" },
        { header: "Updated", value: (s) => formatTime(s.updatedAt) },
      ],
      r.sites,
      "No sites yet. Create one with `deco-hosting sites create <name>`.",
    ),
  );
}

export async function runSitesCreate(
  opts: { name: string; git?: string; branch?: string },
  { client, out }: ClientDeps,
): Promise<void> {
  const git = opts.git ? { url: opts.git, ...(opts.branch ? { branch: opts.branch } : {}) } : undefined;
  const site = await client.createSite({ name: opts.name, ...(git ? { git } : {}) });
  out.result(site, (s) => out.success(`Created site ${out.style("bold", s.name)} on team ${s.team}`));
}

export async function runSitesInspect(opts: { name: string }, { client, out }: ClientDeps): Promise<void> {
  const site = await client.getSite({ siteName: opts.name });
  out.result(site, (s: SiteDetail) =>
    out.fields([
      ["Name", s.name],
      ["Team", s.team],
      ["Status", s.status],
      ["URL", s.productionUrl],
      ["Git", s.git ? `${s.git.url}${s.git.branch ? ` (${s.git.branch})` : ""}` : null],
      ["Production", s.productionDeploymentId],
      ["Latest", s.latestDeployment ? `${s.latestDeployment.id} (${s.latestDeployment.state})` : null],
      ["Environments", s.environments.map((e) => e.name).join(", ") || null],
      ["Domains", s.domains.map((d) => d.name).join(", ") || null],
      ["Created", formatTime(s.createdAt)],
      ["Updated", formatTime(s.updatedAt)],
    ]),
  );
}

export async function runSitesRemove(
  opts: { name: string; yes?: boolean },
  { client, out }: ClientDeps,
): Promise<void> {
  await confirmDestructive(out, {
    yes: opts.yes,
    action: `delete site ${opts.name} with all its deployments and domains`,
  });
  await client.deleteSite({ siteName: opts.name });
  out.result({ ok: true, site: opts.name }, (r) => out.success(`Deleted site ${r.site}`));
}
