// Sites: the named things people deploy. Names are unique on the server because each one
// becomes a hostname (`<site>.localhost`); a site belongs to exactly one team.
import type { Selectable } from "kysely";
import { HostingError } from "../api/errors.js";
import type { Site } from "../api/schemas.js";
import type { TeamRow } from "./auth/accounts.js";
import { newId, nowIso } from "./auth/secrets.js";
import { HINT } from "./hints.js";
import { type Db, isUniqueViolation } from "./store/db.js";
import type { SitesTable } from "./store/schema.js";

export type SiteRow = Selectable<SitesTable>;

/** What a site's deployments say about it; computed by the deploy side. */
export interface SiteServing {
  status: Site["status"];
  productionUrl: string | null;
}

export function toSite(row: SiteRow, team: TeamRow, serving: SiteServing): Site {
  return {
    id: row.id,
    name: row.name,
    team: team.slug,
    status: serving.status,
    productionUrl: serving.productionUrl,
    productionDeploymentId: row.production_deployment_id,
    git: row.git_url === null ? null : { url: row.git_url, branch: row.git_branch },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function listSites(db: Db, team: TeamRow): Promise<SiteRow[]> {
  return db.selectFrom("sites").selectAll().where("team_id", "=", team.id).orderBy("name").execute();
}

/** The team's site by name. Another team's site is reported missing, never forbidden. */
export async function getSite(db: Db, team: TeamRow, name: string): Promise<SiteRow> {
  const row = await db
    .selectFrom("sites")
    .selectAll()
    .where("team_id", "=", team.id)
    .where("name", "=", name)
    .executeTakeFirst();
  if (!row)
    throw new HostingError("not_found", `no site named '${name}' on team '${team.slug}'`, { hint: HINT.listSites });
  return row;
}

export async function createSite(
  db: Db,
  team: TeamRow,
  input: { name: string; git?: { url: string; branch?: string } },
): Promise<SiteRow> {
  const now = nowIso();
  const row: SiteRow = {
    id: newId("site"),
    team_id: team.id,
    name: input.name,
    git_url: input.git?.url ?? null,
    git_branch: input.git?.branch ?? null,
    production_deployment_id: null,
    run_uid: null,
    created_at: now,
    updated_at: now,
  };
  try {
    await db.insertInto("sites").values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new HostingError("conflict", `the site name '${input.name}' is taken`, {
        hint: "Site names become hostnames and are unique on this server; choose another name",
      });
    }
    throw err;
  }
  return row;
}

export async function deleteSite(db: Db, team: TeamRow, name: string): Promise<void> {
  const site = await getSite(db, team, name);
  await db.deleteFrom("sites").where("id", "=", site.id).execute();
}

/** The number the site's code runs under (uid SITE_UID_BASE + n as root), given out once, on first need. */
export async function siteRunUid(db: Db, siteId: string): Promise<number> {
  const read = () => db.selectFrom("sites").select("run_uid").where("id", "=", siteId).executeTakeFirstOrThrow();
  const current = (await read()).run_uid;
  if (current !== null) return current;
  await db.transaction().execute(async (tx) => {
    const taken = await tx.selectFrom("sites").select("run_uid").where("id", "=", siteId).executeTakeFirstOrThrow();
    if (taken.run_uid !== null) return;
    const { uid } = await tx
      .insertInto("run_uids")
      .values({ site_id: siteId })
      .returning("uid")
      .executeTakeFirstOrThrow();
    await tx.updateTable("sites").set({ run_uid: uid }).where("id", "=", siteId).execute();
  });
  return (await read()).run_uid as number;
}
