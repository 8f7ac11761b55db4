import { HostingError } from "../../api/errors.js";
import { toDeployment } from "../deploy/deployments.js";
import { splitGitUrl } from "../deploy/git-url.js";
import { latestDeployment, siteServing } from "../deploy/queries.js";
import { createSite, deleteSite, getSite, listSites, toSite } from "../sites.js";
import { actingTeam, type HandlerTable } from "./handler.js";

export const siteHandlers: HandlerTable = {
  async LIST_SITES(ctx) {
    const { team } = actingTeam(ctx);
    const { db, deploy } = ctx.server;
    const rows = await listSites(db, team);
    return { sites: await Promise.all(rows.map(async (r) => toSite(r, team, await siteServing(db, deploy.urls, r)))) };
  },

  async GET_SITE(ctx, input) {
    const { team } = actingTeam(ctx);
    const { db, deploy } = ctx.server;
    const row = await getSite(db, team, input.siteName);
    const latest = await latestDeployment(db, row.id);
    return {
      ...toSite(row, team, await siteServing(db, deploy.urls, row)),
      environments: [],
      domains: [],
      latestDeployment: latest ? toDeployment(latest, row, deploy.urls) : null,
    };
  },

  async CREATE_SITE(ctx, input) {
    const { team } = actingTeam(ctx);
    if (input.git && splitGitUrl(input.git.url, ctx.server.deploy.allowLocalGit).credentials !== null) {
      throw new HostingError(
        "invalid_input",
        "a site's git URL is shown to every member, so it cannot carry credentials",
        {
          hint: "Give the site the URL without user:password; deploy with `deco-hosting deploy --git <url>` (credentials there are stored sealed)",
        },
      );
    }
    const row = await createSite(ctx.server.db, team, input);
    return toSite(row, team, { status: "empty", productionUrl: null });
  },

  async DELETE_SITE(ctx, input) {
    const { team } = actingTeam(ctx);
    const { db, deploy } = ctx.server;
    const site = await getSite(db, team, input.siteName);
    const deployments = await db.selectFrom("deployments").select("id").where("site_id", "=", site.id).execute();
    for (const d of deployments) await deploy.pipeline.cancel(d.id, "site deletion").catch(() => {});
    await deleteSite(db, team, input.siteName);
    await deploy.runtime.forgetSite(
      site.id,
      deployments.map((d) => d.id),
    );
    void deploy.collectGarbage().catch(() => {});
    return { ok: true as const };
  },
};
