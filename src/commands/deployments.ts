// deployments ls | inspect | promote | rollback | cancel.
import type { Command } from "commander";
import { HostingError } from "../api/errors.js";
import type { Deployment } from "../api/schemas.js";
import type { ClientDeps, CommandContext } from "./context.js";
import { formatTime } from "./format.js";
import { readLink } from "./link.js";
import { confirmDestructive } from "./prompt.js";

export function register(program: Command, ctx: CommandContext): void {
  const deployments = program
    .command("deployments")
    .alias("dpl")
    .description("List, inspect, promote, roll back and cancel deployments");
  deployments
    .command("ls")
    .alias("list")
    .description("List a site's deployments, newest first")
    .option("--site <name>", "site (default: the directory's linked site)")
    .option("--limit <n>", "how many", "20")
    .action(async (opts: { site?: string; limit: string }, cmd: Command) =>
      runDeploymentsList(opts, await ctx.clientDeps(cmd)),
    );
  deployments
    .command("inspect")
    .description("Show one deployment")
    .argument("<id>", "deployment id")
    .action(async (id: string, _opts, cmd: Command) => runDeploymentsInspect({ id }, await ctx.clientDeps(cmd)));
  deployments
    .command("promote")
    .description("Serve a ready deployment in production (no rebuild)")
    .argument("<id>", "deployment id")
    .action(async (id: string, _opts, cmd: Command) => runPromote({ id }, await ctx.clientDeps(cmd)));
  deployments
    .command("rollback")
    .description("Return production to the previous production deployment, or to <id>")
    .argument("[id]", "deployment id to return to")
    .option("--site <name>", "site (default: the directory's linked site)")
    .action(async (id: string | undefined, opts: { site?: string }, cmd: Command) =>
      runRollback({ id, site: opts.site }, await ctx.clientDeps(cmd)),
    );
  deployments
    .command("cancel")
    .description("Cancel a deployment that has not finished")
    .argument("<id>", "deployment id")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (id: string, opts: { yes?: boolean }, cmd: Command) =>
      runCancel({ id, yes: opts.yes }, await ctx.clientDeps(cmd)),
    );
}

/** The site a command acts on: --site, else the current directory's link. */
export async function siteFrom(site: string | undefined, dir = "."): Promise<string> {
  const name = site ?? (await readLink(dir))?.site;
  if (!name) {
    throw new HostingError("invalid_input", "no site given, and this directory is not linked to one", {
      hint: "Pass --site <name>, or link the directory with `deco-hosting link --site <name>`",
    });
  }
  return name;
}

export function deploymentFields(out: ClientDeps["out"], d: Deployment): string {
  const source =
    d.source.type === "git"
      ? `git ${d.source.url}${d.source.ref ? `@${d.source.ref}` : ""}${d.source.commitSha ? ` (${d.source.commitSha.slice(0, 12)} ${d.source.commitMessage ?? ""})` : ""}`
      : `upload, ${d.source.files} files`;
  return out.fields([
    ["Id", d.id],
    ["Site", d.site],
    ["State", d.reason ? `${d.state} (${d.reason})` : d.state],
    ["Production", d.isProduction ? "yes" : "no"],
    ["URL", d.url],
    ["Kind", d.kind],
    ["Source", source],
    ["Message", d.message],
    ["Created", `${formatTime(d.createdAt)} by ${d.createdBy}`],
    ["Ready", formatTime(d.readyAt)],
  ]);
}

export async function runDeploymentsList(opts: { site?: string; limit: string }, { client, out }: ClientDeps) {
  const siteName = await siteFrom(opts.site);
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new HostingError("invalid_input", `--limit must be a whole number from 1 to 100, not ${opts.limit}`, {
      hint: "Pass --limit 20, for example",
    });
  }
  const page = await client.listDeployments({ siteName, limit });
  out.result(page, (r) =>
    out.table<Deployment>(
      [
        { header: "Id", value: (d) => d.id },
        { header: "State", value: (d) => (d.isProduction ? `${d.state} (production)` : d.state) },
        { header: "Kind", value: (d) => d.kind ?? "-" },
        { header: "Created", value: (d) => formatTime(d.createdAt) },
        { header: "Message", value: (d) => d.message ?? "" },
        { header: "URL", value: (d) => d.url ?? "-" },
      ],
      r.deployments,
      `No deployments yet. Deploy with \`deco-hosting deploy --site ${siteName}\`.`,
    ),
  );
}

export async function runDeploymentsInspect(opts: { id: string }, { client, out }: ClientDeps) {
  const d = await client.getDeployment({ deploymentId: opts.id });
  out.result(d, (r) => deploymentFields(out, r));
}

export async function runPromote(opts: { id: string }, { client, out }: ClientDeps) {
  const d = await client.getDeployment({ deploymentId: opts.id });
  const promoted = await out.spin(`Promoting ${d.id}`, () =>
    client.promoteDeployment({ siteName: d.site, deploymentId: d.id }),
  );
  const site = await client.getSite({ siteName: d.site });
  out.result({ deployment: promoted, productionUrl: site.productionUrl }, (r) =>
    out.success(`${r.deployment.id} now serves production of ${d.site}: ${r.productionUrl}`),
  );
}

export async function runRollback(opts: { id?: string; site?: string }, { client, out }: ClientDeps) {
  let siteName = opts.site;
  if (!siteName && opts.id) siteName = (await client.getDeployment({ deploymentId: opts.id })).site;
  siteName = await siteFrom(siteName);
  const back = await out.spin("Rolling back", () =>
    client.rollbackDeployment({ siteName, ...(opts.id ? { deploymentId: opts.id } : {}) }),
  );
  const site = await client.getSite({ siteName });
  out.result({ deployment: back, productionUrl: site.productionUrl }, (r) =>
    out.success(`Production of ${siteName} is back on ${r.deployment.id}: ${r.productionUrl}`),
  );
}

export async function runCancel(opts: { id: string; yes?: boolean }, { client, out }: ClientDeps) {
  await confirmDestructive(out, { yes: opts.yes, action: `cancel deployment ${opts.id}` });
  const d = await client.cancelDeployment({ deploymentId: opts.id });
  out.result(d, (r) => out.success(`Deployment ${r.id} is ${r.state}`));
}
