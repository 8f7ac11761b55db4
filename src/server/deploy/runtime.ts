// Serving ready deployments on the local platform: which deployment answers a Host, the
// instances of server deployments (started on first need, health-gated, restarted by the
// supervisor), and the production alias that promote and rollback move. Moving the alias
// is one row update; the old instance drains before it stops, so no request is dropped.
import { rm } from "node:fs/promises";
import path from "node:path";
import { HostingError } from "../../api/errors.js";
import { nowIso } from "../auth/secrets.js";
import type { EdgeHost } from "../edge/host.js";
import type { EdgeTarget, StaticFile } from "../edge/target.js";
import type { RestartPolicy } from "../platform/local/backoff.js";
import type { Sandbox } from "../platform/local/sandbox.js";
import { sandboxedLauncher } from "../platform/local/sandboxed-apps.js";
import { createSupervisor, processLauncher, type Supervisor } from "../platform/local/supervisor.js";
import { siteRunUid } from "../sites.js";
import type { Db } from "../store/db.js";
import type { BlobStore } from "./blobStore.js";
import { type DeploymentRow, getDeploymentRow } from "./deployments.js";
import type { LogStore } from "./logStore.js";
import { forgetPid, killRecorded, recordPid } from "./pidFiles.js";
import type { PipelineRuntime } from "./pipeline.js";
import type { ResolvedSiteConfig } from "./siteConfig.js";

interface SiteEntry {
  id: string;
  name: string;
  productionId: string | null;
}

export interface RuntimeOptions {
  db: Db;
  blobs: BlobStore;
  logs: LogStore;
  dataDir: string;
  appDir(deploymentId: string): string;
  sandbox: Sandbox;
  /** How long an old instance may take to finish its requests before it is stopped. */
  drainTimeoutMs?: number;
  restartPolicy?: Partial<RestartPolicy>;
}

export interface Runtime extends PipelineRuntime {
  /** The edge's resolver: which target answers this Host. */
  resolve(host: EdgeHost): Promise<EdgeTarget | null>;
  /** Lets the runtime see the edge's in-flight counts, to drain before stopping. */
  attachInflight(inflight: (key: string) => number): void;
  rollback(site: { id: string; name: string }, to: string | undefined, by: string): Promise<DeploymentRow>;
  /** Forgets what it knows of a site (after delete) and stops its instances. */
  forgetSite(siteId: string, deploymentIds: string[]): Promise<void>;
  reconcile(): Promise<void>;
  close(): Promise<void>;
}

const STATIC_CACHE_MAX = 200;

export function createRuntime(opts: RuntimeOptions): Runtime {
  const { db, blobs, logs } = opts;
  const runDir = path.join(opts.dataDir, "run");
  const drainTimeoutMs = opts.drainTimeoutMs ?? 30_000;
  const sites = new Map<string, SiteEntry>();
  const readyRows = new Map<string, DeploymentRow>();
  const staticTargets = new Map<string, EdgeTarget>();
  const starting = new Map<string, Promise<void>>();
  // What each Host label resolved to, so a hot edge path costs one map lookup; dropped
  // whenever an alias moves or an instance stops being ready.
  const targets = new Map<string, EdgeTarget>();
  let generation = 0; // bumped on every change, so a lookup that raced one is not cached
  const forgetTargets = (deploymentId?: string) => {
    generation++;
    if (deploymentId === undefined) targets.clear();
    else for (const [k, t] of targets) if (t.key === deploymentId) targets.delete(k);
  };
  let inflight: (key: string) => number = () => 0;

  const supervisor: Supervisor = createSupervisor({
    // --no-sandbox alone runs apps as process groups on loopback ports; otherwise each app is
    // in the sandbox (and fails to start, saying why, where the sandbox is unavailable).
    launcher:
      opts.sandbox.isolation.sandbox === "none" && !opts.sandbox.isolation.unavailable
        ? processLauncher
        : sandboxedLauncher(opts.sandbox),
    ...(opts.restartPolicy ? { restartPolicy: opts.restartPolicy } : {}),
    log: (id, stream, message) =>
      logs.append({
        deploymentId: id,
        source: stream === "system" ? "system" : "runtime",
        stream: stream === "stderr" ? "stderr" : "stdout",
        message,
      }),
    onStateChange: (instance) => {
      if (instance.state !== "ready" && instance.state !== "restarting") forgetTargets(instance.id);
      if (instance.pid !== null) void recordPid(runDir, `app-${instance.id}`, instance.pid);
      else if (instance.state === "stopped" || instance.state === "failed")
        void forgetPid(runDir, `app-${instance.id}`);
    },
  });

  async function siteByName(name: string): Promise<SiteEntry | null> {
    const cached = sites.get(name);
    if (cached) return cached;
    const row = await db
      .selectFrom("sites")
      .select(["id", "name", "production_deployment_id"])
      .where("name", "=", name)
      .executeTakeFirst();
    if (!row) return null;
    const entry = { id: row.id, name: row.name, productionId: row.production_deployment_id };
    sites.set(name, entry);
    return entry;
  }

  async function readyRow(id: string): Promise<DeploymentRow | null> {
    const cached = readyRows.get(id);
    if (cached) return cached;
    const row = await getDeploymentRow(db, id);
    if (row?.state !== "ready") return null;
    readyRows.set(id, row);
    return row;
  }

  async function staticTarget(row: DeploymentRow): Promise<EdgeTarget> {
    const cached = staticTargets.get(row.id);
    if (cached) return cached;
    const rows = await db
      .selectFrom("deployment_outputs")
      .select(["path", "sha256", "size"])
      .where("deployment_id", "=", row.id)
      .execute();
    const files = new Map<string, StaticFile>();
    for (const f of rows) files.set(`/${f.path}`, { sha256: f.sha256, size: f.size });
    const cfg = row.config_json ? (JSON.parse(row.config_json) as ResolvedSiteConfig) : null;
    const target: EdgeTarget = {
      kind: "static",
      key: row.id,
      files,
      blobPath: blobs.path,
      spaFallback: cfg?.spa ?? false,
    };
    if (staticTargets.size >= STATIC_CACHE_MAX) staticTargets.delete(staticTargets.keys().next().value as string);
    staticTargets.set(row.id, target);
    return target;
  }

  async function resolveUncached(host: EdgeHost): Promise<EdgeTarget | null> {
    const site = await siteByName(host.site);
    if (!site) return null;
    const id = host.label ?? site.productionId;
    if (!id) return null;
    const row = await readyRow(id);
    if (!row || row.site_id !== site.id) return null;
    if (row.kind === "static") return staticTarget(row);
    // An app the supervisor gave up on stays down until a deploy, promote or server restart:
    // a visitor's request must not start its crash loop again.
    if (supervisor.get(row.id)?.state === "failed") return { kind: "unavailable", key: row.id };
    await ensureRunning(row);
    const instance = supervisor.get(row.id);
    if (!instance) return null;
    return {
      kind: "server",
      key: row.id,
      upstream: { host: "127.0.0.1", port: instance.port },
      connect: () => supervisor.connect(row.id),
    };
  }

  function appEnv(row: DeploymentRow): Record<string, string> {
    return { NODE_ENV: "production", DECO_HOSTING: "1", DECO_HOSTING_DEPLOYMENT_ID: row.id };
  }

  async function startInstance(row: DeploymentRow, appDir: string, cfg: ResolvedSiteConfig): Promise<void> {
    if (!cfg.start) throw new HostingError("internal", `deployment ${row.id} has no start command`);
    if (!opts.sandbox.isolation.unavailable) {
      await db
        .updateTable("deployments")
        .set({ sandboxed: opts.sandbox.isolation.sandbox === "bubblewrap" ? 1 : 0 })
        .where("id", "=", row.id)
        .execute();
    }
    await supervisor.start({
      id: row.id,
      owner: await siteRunUid(db, row.site_id),
      cwd: appDir,
      command: cfg.start,
      env: appEnv(row),
      healthPath: cfg.healthCheckPath,
    });
  }

  /** Starts a ready server deployment unless it runs already; concurrent callers share one start. */
  function ensureRunning(row: DeploymentRow): Promise<void> {
    const state = supervisor.get(row.id)?.state;
    if (state === "ready" || state === "restarting") return Promise.resolve();
    let p = starting.get(row.id);
    if (!p) {
      const cfg = JSON.parse(row.config_json ?? "{}") as ResolvedSiteConfig;
      p = (async () => {
        if (state === "stopping") await supervisor.stop(row.id);
        await startInstance(row, opts.appDir(row.id), cfg);
      })().finally(() => starting.delete(row.id));
      starting.set(row.id, p);
    }
    return p;
  }

  async function drainAndStop(id: string): Promise<void> {
    // Requests resolved just before the switch may not be counted yet: give them a moment.
    await new Promise((r) => setTimeout(r, 500));
    const deadline = Date.now() + drainTimeoutMs;
    while (inflight(id) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (supervisor.get(id)) await supervisor.stop(id);
  }

  async function stillServing(id: string): Promise<boolean> {
    const row = await db.selectFrom("sites").select("id").where("production_deployment_id", "=", id).executeTakeFirst();
    return row !== undefined;
  }

  async function setProduction(siteId: string, row: DeploymentRow, by: string): Promise<string | null> {
    if (row.kind === "server") await ensureRunning(row); // health-gated: a failing start changes nothing
    const previous = await db.transaction().execute(async (tx) => {
      const site = await tx
        .selectFrom("sites")
        .select(["name", "production_deployment_id"])
        .where("id", "=", siteId)
        .executeTakeFirstOrThrow();
      await tx
        .updateTable("sites")
        .set({ production_deployment_id: row.id, updated_at: nowIso() })
        .where("id", "=", siteId)
        .execute();
      await tx
        .insertInto("production_history")
        .values({ site_id: siteId, deployment_id: row.id, promoted_by: by, promoted_at: nowIso() })
        .execute();
      const entry = sites.get(site.name);
      if (entry) entry.productionId = row.id;
      generation++;
      targets.delete(site.name);
      return site.production_deployment_id;
    });
    if (previous && previous !== row.id && supervisor.get(previous)) {
      void (async () => {
        if (!(await stillServing(previous))) await drainAndStop(previous);
      })().catch(() => {});
    }
    return previous;
  }

  return {
    startInstance,
    async stopInstance(id) {
      if (supervisor.get(id)) await supervisor.stop(id);
    },
    async promote(row, by) {
      requireReady(row);
      await setProduction(row.site_id, row, by);
    },
    async rollback(site, to, by) {
      const current = (await siteByName(site.name))?.productionId ?? null;
      let targetId = to;
      if (!targetId) {
        const history = await db
          .selectFrom("production_history")
          .innerJoin("deployments", "deployments.id", "production_history.deployment_id")
          .select(["production_history.deployment_id as id"])
          .where("production_history.site_id", "=", site.id)
          .where("deployments.state", "=", "ready")
          .orderBy("production_history.id", "desc")
          .execute();
        targetId = history.find((h) => h.id !== current)?.id;
        if (!targetId) {
          throw new HostingError("conflict", `site '${site.name}' has no earlier production deployment to return to`, {
            hint: "Promote a specific deployment instead: `deco-hosting deployments promote <id>`",
          });
        }
      }
      const row = await getDeploymentRow(db, targetId);
      if (!row || row.site_id !== site.id) {
        throw new HostingError("not_found", `no deployment '${targetId}' on site '${site.name}'`, {
          hint: "List them with `deco-hosting deployments ls`",
        });
      }
      requireReady(row);
      await setProduction(site.id, row, by);
      return row;
    },
    async resolve(host) {
      const cacheKey = host.label === null ? host.site : `${host.label}--${host.site}`;
      const cached = targets.get(cacheKey);
      if (cached) return cached;
      const seen = generation;
      const target = await resolveUncached(host);
      if (target && seen === generation) targets.set(cacheKey, target);
      return target;
    },
    attachInflight(fn) {
      inflight = fn;
    },
    async forgetSite(siteId, deploymentIds) {
      for (const [name, entry] of sites) if (entry.id === siteId) sites.delete(name);
      forgetTargets();
      for (const id of deploymentIds) {
        readyRows.delete(id);
        staticTargets.delete(id);
        if (supervisor.get(id)) await supervisor.stop(id, { drainMs: 2000 });
        await rm(opts.appDir(id), { recursive: true, force: true });
      }
      await rm(path.join(opts.dataDir, "cache", siteId), { recursive: true, force: true });
    },
    async reconcile() {
      // Instances of a server that was killed outlive it: stop them before starting anew.
      await killRecorded(runDir, "app-");
      const serving = await db
        .selectFrom("sites")
        .innerJoin("deployments", "deployments.id", "sites.production_deployment_id")
        .selectAll("deployments")
        .where("deployments.kind", "=", "server")
        .where("deployments.state", "=", "ready")
        .execute();
      for (const row of serving) {
        await ensureRunning(row).catch((err) =>
          logs.append({
            deploymentId: row.id,
            source: "system",
            stream: "stderr",
            message: `Could not restart: ${(err as Error).message}`,
          }),
        );
      }
    },
    async close() {
      await supervisor.stopAll({ drainMs: 2000 });
    },
  };
}

function requireReady(row: DeploymentRow): void {
  if (row.state === "ready") return;
  throw new HostingError(
    "conflict",
    `deployment ${row.id} is ${row.state}; only a ready deployment can serve production`,
    {
      hint: `Read its build log with \`deco-hosting logs ${row.id} --build\`, or pick a ready one from \`deco-hosting deployments ls\``,
    },
  );
}
