// Deployment rows: creating them from a manifest, reading them back as the API's shape,
// and the state transitions the pipeline makes. The state machine is
// queued → building → deploying → ready, or error / canceled with a reason.
import { randomBytes } from "node:crypto";
import type { Selectable } from "kysely";
import { HostingError } from "../../api/errors.js";
import type { Deployment, DeploymentState, ManifestFile } from "../../api/schemas.js";
import type { TeamRow } from "../auth/accounts.js";
import { nowIso } from "../auth/secrets.js";
import type { SiteRow } from "../sites.js";
import type { Db } from "../store/db.js";
import type { DeploymentsTable } from "../store/deployments-schema.js";
import type { SiteUrls } from "../urls.js";

export type DeploymentRow = Selectable<DeploymentsTable>;
export type DeploymentSourceInfo = Deployment["source"];

export const UNFINISHED: DeploymentState[] = ["queued", "building", "deploying"];

/** Lowercase letters and digits, starting with a letter: usable as a hostname label. */
export function newDeploymentId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(12);
  let id = alphabet[bytes[0]! % 26]!;
  for (let i = 1; i < bytes.length; i++) id += alphabet[bytes[i]! % alphabet.length];
  return id;
}

export function toDeployment(
  row: DeploymentRow,
  site: { name: string; production_deployment_id: string | null },
  urls: SiteUrls,
): Deployment {
  return {
    id: row.id,
    site: site.name,
    environment: row.environment,
    state: row.state,
    reason: row.reason,
    target: row.target,
    message: row.message,
    source: JSON.parse(row.source_json) as DeploymentSourceInfo,
    kind: row.kind,
    url: urls.preview(site.name, row.id),
    isProduction: site.production_deployment_id === row.id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    readyAt: row.ready_at,
    sandboxed: row.sandboxed === null ? null : row.sandboxed === 1,
  };
}

/** Checks every file of the manifest was uploaded by this team, then records the deployment. */
export async function insertUploadDeployment(
  db: Db,
  team: TeamRow,
  site: SiteRow,
  input: {
    files: ManifestFile[];
    production: boolean;
    environment: string | null;
    message: string | null;
    createdBy: string;
  },
): Promise<DeploymentRow> {
  const seen = new Set<string>();
  for (const f of input.files) {
    if (seen.has(f.path)) throw new HostingError("invalid_input", `the manifest lists ${f.path} twice`);
    seen.add(f.path);
  }
  const hashes = [...new Set(input.files.map((f) => f.sha256))];
  const known = new Map<string, number>();
  for (let i = 0; i < hashes.length; i += 500) {
    const rows = await db
      .selectFrom("team_blobs")
      .select(["sha256", "size"])
      .where("team_id", "=", team.id)
      .where("sha256", "in", hashes.slice(i, i + 500))
      .execute();
    for (const r of rows) known.set(r.sha256, r.size);
  }
  const missing = hashes.filter((h) => !known.has(h));
  if (missing.length > 0) {
    throw new HostingError("invalid_input", `${missing.length} file(s) of the manifest were not uploaded`, {
      hint: "Upload them first (PUT /v1/blobs/{sha256}); `deco-hosting deploy` does this for you",
      details: { missing: missing.slice(0, 100) },
    });
  }
  const wrongSize = input.files.find((f) => known.get(f.sha256) !== f.size);
  if (wrongSize)
    throw new HostingError(
      "invalid_input",
      `${wrongSize.path}: size ${wrongSize.size} does not match the uploaded blob`,
    );

  const bytes = input.files.reduce((n, f) => n + f.size, 0);
  const row = newRow(site, {
    source: { type: "upload", files: input.files.length, bytes },
    production: input.production,
    environment: input.environment,
    message: input.message,
    createdBy: input.createdBy,
  });
  await db.transaction().execute(async (tx) => {
    await tx.insertInto("deployments").values(row).execute();
    for (let i = 0; i < input.files.length; i += 200) {
      await tx
        .insertInto("deployment_files")
        .values(
          input.files.slice(i, i + 200).map((f) => ({
            deployment_id: row.id,
            path: f.path,
            sha256: f.sha256,
            size: f.size,
            mode: f.mode ?? 0o644,
          })),
        )
        .execute();
    }
  });
  return row;
}

export async function insertGitDeployment(
  db: Db,
  site: SiteRow,
  input: {
    url: string;
    ref: string | null;
    /** The URL's user:password, sealed (secrets/box.ts); the url itself shows *** instead. */
    credentials: string | null;
    production: boolean;
    environment: string | null;
    message: string | null;
    createdBy: string;
  },
): Promise<DeploymentRow> {
  const row = newRow(site, {
    source: { type: "git", url: input.url, ref: input.ref, commitSha: null, commitMessage: null, commitAuthor: null },
    production: input.production,
    environment: input.environment,
    message: input.message,
    createdBy: input.createdBy,
  });
  row.git_credentials = input.credentials;
  await db.insertInto("deployments").values(row).execute();
  return row;
}

function newRow(
  site: SiteRow,
  input: {
    source: DeploymentSourceInfo;
    production: boolean;
    environment: string | null;
    message: string | null;
    createdBy: string;
  },
): DeploymentRow {
  const now = nowIso();
  return {
    id: newDeploymentId(),
    site_id: site.id,
    environment: input.environment,
    state: "queued",
    reason: null,
    sandboxed: null,
    git_credentials: null,
    target: input.production ? "production" : "preview",
    message: input.message,
    source_json: JSON.stringify(input.source),
    kind: null,
    config_json: null,
    created_by: input.createdBy,
    created_at: now,
    updated_at: now,
    ready_at: null,
  };
}

export async function getDeploymentRow(db: Db, id: string): Promise<DeploymentRow | undefined> {
  return db.selectFrom("deployments").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Moves a deployment to `state`, but only from one of `from`; returns whether it moved. */
export async function transition(
  db: Db,
  id: string,
  from: DeploymentState[],
  state: DeploymentState,
  extra: Partial<Pick<DeploymentRow, "reason" | "kind" | "config_json" | "source_json">> = {},
): Promise<boolean> {
  const now = nowIso();
  const res = await db
    .updateTable("deployments")
    .set({ state, updated_at: now, ...(state === "ready" ? { ready_at: now } : {}), ...extra })
    .where("id", "=", id)
    .where("state", "in", from)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
