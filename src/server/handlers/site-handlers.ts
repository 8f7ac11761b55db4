import { createSite, deleteSite, getSite, listSites, toSite } from "../sites.js";
import { actingTeam, type HandlerTable } from "./handler.js";

export const siteHandlers: HandlerTable = {
  async LIST_SITES(ctx) {
    const { team } = actingTeam(ctx);
    const rows = await listSites(ctx.server.db, team);
    return { sites: rows.map((r) => toSite(r, team)) };
  },

  async GET_SITE(ctx, input) {
    const { team } = actingTeam(ctx);
    const row = await getSite(ctx.server.db, team, input.siteName);
    return { ...toSite(row, team), environments: [], domains: [], latestDeployment: null };
  },

  async CREATE_SITE(ctx, input) {
    const { team } = actingTeam(ctx);
    return toSite(await createSite(ctx.server.db, team, input), team);
  },

  async DELETE_SITE(ctx, input) {
    const { team } = actingTeam(ctx);
    await deleteSite(ctx.server.db, team, input.siteName);
    return { ok: true as const };
  },
};
