// The deploy side of the server wired together: blob store, logs, pipeline, runtime and the
// edge port that serves what is ready. startServer owns one of these.
import { EventEmitter } from "node:events";
import path from "node:path";
import { UPLOAD_LIMITS, type UploadLimits } from "../../api/paths.js";
import type { DeploymentState } from "../../api/schemas.js";
import { createEdgeServer, type EdgeRequestMetric, type EdgeServer } from "../edge/router.js";
import type { RestartPolicy } from "../platform/local/backoff.js";
import { createSandbox, type ResourceLimits, type Sandbox } from "../platform/local/sandbox.js";
import { openSecretBox, type SecretBox } from "../secrets/box.js";
import type { Db } from "../store/db.js";
import { createSiteUrls, type SiteUrls } from "../urls.js";
import { type BlobStore, createBlobStore } from "./blobStore.js";
import { collectGarbage, DEFAULT_TEAM_QUOTA_BYTES, type GarbageStats } from "./garbage.js";
import { createLogStore, type LogStore } from "./logStore.js";
import { createPipeline, type Pipeline } from "./pipeline.js";
import { createRuntime, type Runtime } from "./runtime.js";

export interface DeployOptions {
  /** Edge port; 0 picks a free one. */
  edgePort?: number;
  edgeHost?: string;
  baseDomain?: string;
  buildTimeoutMs?: number;
  buildConcurrency?: number;
  allowFileGitUrls?: boolean;
  uploadLimits?: Partial<UploadLimits>;
  /** Log lines kept per deployment (default 100,000); older ones are pruned. */
  logLinesPerDeployment?: number;
  onRequestDone?(metric: EdgeRequestMetric): void;
  /** `--no-sandbox`: run builds and apps as plain processes of the server's user. */
  noSandbox?: boolean;
  /** Bytes each team may keep in the blob store; default 10 GiB. */
  teamStorageQuotaBytes?: number;
  /** How old an unreferenced upload must be before garbage collection removes it; default 1 h. */
  blobGraceMs?: number;
  /** How apps that crash are restarted; defaults in platform/local/backoff.ts. */
  restartPolicy?: Partial<RestartPolicy>;
  /** Per app instance and per build; defaults in platform/local/sandbox.ts. */
  limits?: { app?: Partial<ResourceLimits>; build?: Partial<ResourceLimits> };
}

export type DeployEvents = { state: [string, DeploymentState]; finished: [string] };

export interface DeployServices {
  blobs: BlobStore;
  logs: LogStore;
  pipeline: Pipeline;
  runtime: Runtime;
  edge: EdgeServer;
  urls: SiteUrls;
  limits: UploadLimits;
  sandbox: Sandbox;
  /** Seals and opens the secrets deployments carry (git credentials). */
  secrets: SecretBox;
  /** Whether deployments may fetch file:// and loopback or private git hosts. */
  allowLocalGit: boolean;
  teamQuotaBytes: number;
  /** Removes what no deployment needs (see garbage.ts); runs hourly and after a site is deleted. */
  collectGarbage(): Promise<GarbageStats>;
  /** `state` whenever the pipeline moves a deployment; `finished` once its pipeline is over. */
  events: EventEmitter<DeployEvents>;
  close(): Promise<void>;
}

export async function startDeployServices(db: Db, dataDir: string, opts: DeployOptions): Promise<DeployServices> {
  const blobs = createBlobStore(dataDir);
  const logs = createLogStore(db, {
    ...(opts.logLinesPerDeployment ? { maxLinesPerDeployment: opts.logLinesPerDeployment } : {}),
  });
  const events = new EventEmitter<DeployEvents>();
  events.setMaxListeners(0);
  const appDir = (id: string) => path.join(dataDir, "apps", id);
  const sandbox = await createSandbox({
    dataDir,
    disabled: opts.noSandbox ?? false,
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  const secrets = openSecretBox(dataDir);
  const runtime = createRuntime({
    db,
    blobs,
    logs,
    dataDir,
    appDir,
    sandbox,
    ...(opts.restartPolicy ? { restartPolicy: opts.restartPolicy } : {}),
  });
  const edge = await createEdgeServer({
    port: opts.edgePort ?? 0,
    host: opts.edgeHost ?? "127.0.0.1",
    baseDomain: opts.baseDomain ?? "localhost",
    resolve: (host) => runtime.resolve(host),
    ...(opts.onRequestDone ? { onRequestDone: opts.onRequestDone } : {}),
  });
  runtime.attachInflight(edge.inflight);
  const urls = createSiteUrls({ edgePort: edge.port, baseDomain: opts.baseDomain ?? "localhost" });
  const pipeline = createPipeline({
    db,
    blobs,
    logs,
    dataDir,
    runtime,
    sandbox,
    secrets,
    teamQuotaBytes: opts.teamStorageQuotaBytes ?? DEFAULT_TEAM_QUOTA_BYTES,
    buildTimeoutMs: opts.buildTimeoutMs ?? 10 * 60_000,
    concurrency: opts.buildConcurrency ?? 2,
    allowFileGitUrls: opts.allowFileGitUrls ?? false,
    onStateChange: (id, state) => events.emit("state", id, state),
    onFinished: (id) => events.emit("finished", id),
  });
  await runtime.reconcile();
  await pipeline.reconcile();
  let collecting: Promise<GarbageStats> | null = null;
  const collect = () => {
    collecting ??= collectGarbage(db, blobs, { graceMs: opts.blobGraceMs }).finally(() => {
      collecting = null;
    });
    return collecting;
  };
  const gcTimer = setInterval(() => void collect().catch(() => {}), 60 * 60_000);
  gcTimer.unref();
  return {
    blobs,
    logs,
    pipeline,
    runtime,
    edge,
    urls,
    events,
    sandbox,
    secrets,
    allowLocalGit: opts.allowFileGitUrls ?? false,
    teamQuotaBytes: opts.teamStorageQuotaBytes ?? DEFAULT_TEAM_QUOTA_BYTES,
    collectGarbage: collect,
    limits: { ...UPLOAD_LIMITS, ...opts.uploadLimits },
    async close() {
      clearInterval(gcTimer);
      await collecting?.catch(() => {});
      await pipeline.close();
      await edge.close();
      await runtime.close();
      await logs.close();
      await sandbox.close();
    },
  };
}
