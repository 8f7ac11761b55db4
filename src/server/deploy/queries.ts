// Reads of deployments as the API shows them, always through the team that owns the site,
// so another team's deployment is simply not found.
import { HostingError } from "../../api/errors.js";
import type { TeamRow } from "../auth/accounts.js";
import type { SiteRow, SiteServing } from "../sites.js";
import type { Db } from "../store/db.js";
import type { SiteUrls } from "../urls.js";
import { type DeploymentRow, UNFINISHED } from "./deployments.js";

export async function findDeployment(
  db: Db,
  team: TeamRow,
  id: string,
): Promise<{ row: DeploymentRow; site: SiteRow }> {
  const found = await db
    .selectFrom("deployments")
    .innerJoin("sites", "sites.id", "deployments.site_id")
    .selectAll("deployments")
    .select("sites.name as site_name")
    .where("deployments.id", "=", id)
    .where("sites.team_id", "=", team.id)
    .executeTakeFirst();
  if (!found) {
    throw new HostingError("not_found", `no deployment '${id}' on team '${team.slug}'`, {
      hint: "List a site's deployments with `deco-hosting deployments ls --site <site>`",
    });
  }
  const { site_name: _, ...row } = found;
  const site = await db.selectFrom("sites").selectAll().where("id", "=", row.site_id).executeTakeFirstOrThrow();
  return { row, site };
}

export async function latestDeployment(db: Db, siteId: string): Promise<DeploymentRow | undefined> {
  return db
    .selectFrom("deployments")
    .selectAll()
    .where("site_id", "=", siteId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
}

export async function siteServing(db: Db, urls: SiteUrls, site: SiteRow): Promise<SiteServing> {
  const productionUrl = site.production_deployment_id ? urls.production(site.name) : null;
  const latest = await latestDeployment(db, site.id);
  let status: SiteServing["status"] = "empty";
  if (latest && UNFINISHED.includes(latest.state)) status = "building";
  else if (site.production_deployment_id) status = "live";
  else if (latest?.state === "error") status = "error";
  return { status, productionUrl };
}
