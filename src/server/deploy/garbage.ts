// Blob garbage collection and team storage. A team's storage is the bytes of the blobs it
// owns (uploads and build outputs, team_blobs); an upload over the team's quota is refused.
// What no deployment needs is removed, on a schedule and after a site is deleted: a team's
// ownership of a blob none of its deployments references (once it is older than the grace
// that lets a client upload before it deploys), then every blob file that nothing owns or
// references, and temp files of uploads that died.
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { sql } from "kysely";
import { HostingError } from "../../api/errors.js";
import { nowIso } from "../auth/secrets.js";
import type { Db } from "../store/db.js";
import type { BlobStore } from "./blobStore.js";

export const DEFAULT_TEAM_QUOTA_BYTES = 10 * 1024 ** 3;
const DEFAULT_GRACE_MS = 60 * 60_000;

export interface GarbageStats {
  ownerships: number;
  blobs: number;
  bytes: number;
  tempFiles: number;
}

/** Bytes of the blobs the team owns. */
export async function teamStorageBytes(db: Db, teamId: string): Promise<number> {
  const row = await db
    .selectFrom("team_blobs")
    .select(sql<number>`coalesce(sum(size), 0)`.as("bytes"))
    .where("team_id", "=", teamId)
    .executeTakeFirst();
  return Number(row?.bytes ?? 0);
}

/** Throws insufficient_storage when `adding` more bytes would take the team past its quota. */
export async function requireStorage(db: Db, teamId: string, adding: number, quotaBytes: number): Promise<void> {
  const used = await teamStorageBytes(db, teamId);
  if (used + adding <= quotaBytes) return;
  throw new HostingError(
    "insufficient_storage",
    `the team's storage is full: ${used} of ${quotaBytes} bytes used, ${adding} more asked for`,
    {
      hint: "Delete sites or deployments the team no longer needs (their files are freed within the hour), or ask the server's operator for a larger quota",
    },
  );
}

/** Records that the team owns these blobs (uploaded or built), for negotiation, quota and GC. */
export async function ownBlobs(db: Db, teamId: string, blobs: Array<{ sha256: string; size: number }>): Promise<void> {
  const now = nowIso();
  for (let i = 0; i < blobs.length; i += 200) {
    const rows = blobs
      .slice(i, i + 200)
      .map((b) => ({ team_id: teamId, sha256: b.sha256, size: b.size, created_at: now }));
    if (rows.length === 0) continue;
    await db
      .insertInto("team_blobs")
      .values(rows)
      .onConflict((oc) => oc.columns(["team_id", "sha256"]).doNothing())
      .execute();
  }
}

export async function collectGarbage(db: Db, blobs: BlobStore, opts: { graceMs?: number } = {}): Promise<GarbageStats> {
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const before = new Date(Date.now() - graceMs).toISOString();
  const stats: GarbageStats = { ownerships: 0, blobs: 0, bytes: 0, tempFiles: 0 };

  // 1. Ownerships no deployment of the team references any more.
  const dropped = await db
    .deleteFrom("team_blobs")
    .where((eb) => eb.or([eb("created_at", "is", null), eb("created_at", "<", before)]))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("deployments")
            .innerJoin("sites", "sites.id", "deployments.site_id")
            .select(sql`1`.as("one"))
            .whereRef("sites.team_id", "=", "team_blobs.team_id")
            .where(({ or, exists: has, selectFrom: from }) =>
              or([
                has(
                  from("deployment_files")
                    .select(sql`1`.as("one"))
                    .whereRef("deployment_files.deployment_id", "=", "deployments.id")
                    .whereRef("deployment_files.sha256", "=", "team_blobs.sha256"),
                ),
                has(
                  from("deployment_outputs")
                    .select(sql`1`.as("one"))
                    .whereRef("deployment_outputs.deployment_id", "=", "deployments.id")
                    .whereRef("deployment_outputs.sha256", "=", "team_blobs.sha256"),
                ),
              ]),
            ),
        ),
      ),
    )
    .executeTakeFirst();
  stats.ownerships = Number(dropped.numDeletedRows);

  // 2. Blob files nothing owns or references.
  const kept = new Set<string>();
  for (const table of ["team_blobs", "deployment_files", "deployment_outputs"] as const) {
    for (const r of await db.selectFrom(table).select("sha256").distinct().execute()) kept.add(r.sha256);
  }
  const cutoff = Date.now() - graceMs;
  for (const dir of await readdir(blobs.root).catch(() => [] as string[])) {
    if (!/^[a-f0-9]{2}$/.test(dir)) continue;
    for (const name of await readdir(path.join(blobs.root, dir)).catch(() => [] as string[])) {
      if (kept.has(name) || !/^[a-f0-9]{64}$/.test(name)) continue;
      const file = path.join(blobs.root, dir, name);
      const info = await stat(file).catch(() => null);
      if (!info || info.mtimeMs > cutoff) continue;
      await rm(file, { force: true });
      stats.blobs++;
      stats.bytes += info.size;
    }
  }

  // 3. Temp files of uploads that never finished.
  const tmp = path.join(blobs.root, "tmp");
  for (const name of await readdir(tmp).catch(() => [] as string[])) {
    const file = path.join(tmp, name);
    const info = await stat(file).catch(() => null);
    if (info && info.mtimeMs < Date.now() - Math.max(graceMs, 60 * 60_000)) {
      await rm(file, { force: true });
      stats.tempFiles++;
    }
  }
  return stats;
}
