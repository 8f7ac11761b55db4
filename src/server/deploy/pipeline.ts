// The deployment pipeline: takes queued deployments one by one (bounded concurrency) through
// building → deploying → ready, or to error / canceled with a reason. Every step is
// persisted, so on boot `reconcile` resumes what was only queued and fails what a dead
// server left half-done; nothing is ever left stuck.
import { constants } from "node:fs";
import { chmod, copyFile, mkdir, realpath, rename, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HostingError } from "../../api/errors.js";
import { buildManifest } from "../../api/node/manifest.js";
import { openRegular } from "../../api/node/regular-file.js";
import { type DeploymentState, SITE_CONFIG_FILE } from "../../api/schemas.js";
import { isDiskFull } from "../http/errors.js";
import type { Bind, Sandbox, SandboxSpec } from "../platform/local/sandbox.js";
import type { SecretBox } from "../secrets/box.js";
import { siteRunUid } from "../sites.js";
import type { Db } from "../store/db.js";
import { stripAnsi } from "./ansi.js";
import type { BlobStore } from "./blobStore.js";
import { BuildStepError, runBuildStep } from "./buildRunner.js";
import {
  type DeploymentRow,
  type DeploymentSourceInfo,
  getDeploymentRow,
  transition,
  UNFINISHED,
} from "./deployments.js";
import { DEFAULT_TEAM_QUOTA_BYTES, ownBlobs, requireStorage } from "./garbage.js";
import { checkGitHost, scrub, splitGitUrl, withCredentials } from "./git-url.js";
import type { LogStore } from "./logStore.js";
import { forgetPid, killRecorded, recordPid } from "./pidFiles.js";
import { checkBuiltOutput, neverServed } from "./served-files.js";
import { findOutputDir, NPM_CI, NPM_INSTALL, type ResolvedSiteConfig, resolveSiteConfig } from "./siteConfig.js";

/** What the pipeline needs from the runtime that serves ready deployments. */
export interface PipelineRuntime {
  /** Starts a server deployment and resolves once it is healthy; throws if it is not. */
  startInstance(deployment: DeploymentRow, appDir: string, cfg: ResolvedSiteConfig): Promise<void>;
  stopInstance(deploymentId: string): Promise<void>;
  promote(deployment: DeploymentRow, by: string): Promise<void>;
}

export interface PipelineOptions {
  db: Db;
  blobs: BlobStore;
  logs: LogStore;
  dataDir: string;
  runtime: PipelineRuntime;
  /** Where git, install and build commands run. */
  sandbox: Sandbox;
  /** Opens a deployment's sealed git credentials. */
  secrets: SecretBox;
  /** Bytes each team may keep in the blob store (uploads and build outputs). */
  teamQuotaBytes?: number;
  buildTimeoutMs?: number;
  concurrency?: number;
  /** Allow file:// git URLs (tests); off by default so tenants cannot read the server's disk. */
  allowFileGitUrls?: boolean;
  /** Called after each state change a deployment makes. */
  onStateChange?(id: string, state: DeploymentState): void;
  /** Called once a deployment's pipeline is over and its last build log line is written. */
  onFinished?(id: string): void;
  /** Env vars of the build, on top of the scoped base environment. */
  buildEnv?(deployment: DeploymentRow): Promise<Record<string, string>>;
}

/** What resolveSiteConfig reads; a static upload needs nothing else copied out of the blob store. */
const CONFIG_FILES: ReadonlySet<string> = new Set([SITE_CONFIG_FILE, "package.json", "package-lock.json"]);

export interface Pipeline {
  enqueue(id: string): void;
  cancel(id: string, by: string): Promise<boolean>;
  reconcile(): Promise<void>;
  close(): Promise<void>;
  /** Whether the pipeline is still working on this deployment. */
  isActive(id: string): boolean;
  /** Resolves when nothing is queued or running (tests and shutdown). */
  idle(): Promise<void>;
  appDir(id: string): string;
}

export function createPipeline(opts: PipelineOptions): Pipeline {
  const { db, blobs, logs, dataDir, sandbox } = opts;
  const concurrency = opts.concurrency ?? 2;
  const buildTimeoutMs = opts.buildTimeoutMs ?? 10 * 60_000;
  const queue: string[] = [];
  const active = new Map<string, AbortController>();
  const runDir = path.join(dataDir, "run");
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  const move = async (...args: Parameters<typeof transition>): Promise<boolean> => {
    const moved = await transition(...args);
    if (moved) opts.onStateChange?.(args[1], args[3]);
    return moved;
  };
  const workDir = (id: string) => path.join(dataDir, "work", id);
  const appDir = (id: string) => path.join(dataDir, "apps", id);
  const system = (id: string, message: string, stream: "stdout" | "stderr" = "stdout") =>
    logs.append({ deploymentId: id, source: "build", stream, message, fromServer: true });

  const pump = () => {
    while (!closed && active.size < concurrency && queue.length > 0) {
      const id = queue.shift() as string;
      const ctl = new AbortController();
      active.set(id, ctl);
      void processDeployment(id, ctl.signal).finally(() => {
        active.delete(id);
        pump();
      });
    }
    if (active.size === 0 && queue.length === 0) {
      for (const w of idleWaiters) w();
      idleWaiters = [];
    }
  };

  async function processDeployment(id: string, signal: AbortSignal): Promise<void> {
    const work = workDir(id);
    try {
      if (!(await move(db, id, ["queued"], "building"))) return;
      const row = (await getDeploymentRow(db, id)) as DeploymentRow;
      system(id, `Building deployment ${id}`);
      await rm(work, { recursive: true, force: true });
      await mkdir(work, { recursive: true, mode: 0o700 });
      const uid = await siteRunUid(db, row.site_id);
      const home = `${work}.home`; // beside the work dir, so the build's caches are never served
      const cache = path.join(dataDir, "cache", row.site_id); // one site's packages, never another's
      let steps = 0;
      const spec = (name: string): Omit<SandboxSpec, "argv" | "env"> => ({
        // Each step a cgroup of its own: the last one's may still be being removed.
        name: `${name}-${id}-${++steps}`,
        uid,
        root: work,
        writable: true,
        home,
        binds: [{ src: cache, dest: "/cache", writable: true }],
        // The internet, but no port of this machine. Only git may reach local hosts, and only
        // where the operator allowed local git (it runs no code of the repository's).
        network: name === "git" && opts.allowFileGitUrls ? "host" : "outbound",
        limits: sandbox.isolation.limits.build,
        tmpBytes: 1024 * 1024 * 1024,
      });
      let prepared = false;
      const tenantCodeRuns = async () => {
        if (prepared) return;
        prepared = true;
        if (!sandbox.isolation.unavailable) {
          await db
            .updateTable("deployments")
            .set({ sandboxed: sandbox.isolation.sandbox === "bubblewrap" ? 1 : 0 })
            .where("id", "=", id)
            .execute();
        }
        // The work dir holds only what the server laid out, and no tenant process has seen it
        // yet: it can be handed over whole. The site's cache may be in use by another of its
        // builds, so it (like the fresh home) is made the site's once, when created, never
        // walked: a tree a tenant can change under the walk could send a chown anywhere.
        for (const dir of [home, cache]) {
          if (await mkdir(dir, { recursive: true, mode: 0o700 })) await sandbox.ownDir(dir, uid);
        }
        await sandbox.ownTree(work, uid);
      };

      const source = JSON.parse(row.source_json) as DeploymentSourceInfo;
      // An upload is first laid out only as far as deciding what to do with it needs.
      if (source.type === "upload") await materialize(id, work, CONFIG_FILES);
      else {
        await tenantCodeRuns();
        const commit = await checkoutGit(spec("git"), row, source, signal);
        const updated = { ...source, ...commit };
        await db
          .updateTable("deployments")
          .set({ source_json: JSON.stringify(updated) })
          .where("id", "=", id)
          .execute();
        system(id, `Checked out ${commit.commitSha.slice(0, 12)} "${commit.commitMessage}" by ${commit.commitAuthor}`);
      }

      const cfg = await resolveSiteConfig(work);
      const servedAsUploaded = cfg.output === "." && !cfg.install && !cfg.build && !cfg.start;
      if (source.type === "upload" && !servedAsUploaded) await materialize(id, work);
      system(id, `Config from ${cfg.source}: ${describeConfig(cfg)}`);
      if (!servedAsUploaded) await tenantCodeRuns();
      const env = await buildEnvironment(row);
      const step = (command: string, name: "install" | "build") => {
        system(id, `$ ${command}`);
        return runBuildStep({
          command,
          sandbox,
          spec: { ...spec(name), env },
          timeoutMs: buildTimeoutMs,
          signal,
          onLine: (stream, message) =>
            logs.append({ deploymentId: id, source: "build", stream, message: stripAnsi(message) }),
          onSpawn: (pid) => void recordPid(runDir, `build-${id}`, pid),
        });
      };
      if (cfg.install) {
        try {
          await step(cfg.install, "install");
        } catch (err) {
          // A lockfile npm finds out of date with package.json makes `npm ci` fail at once;
          // npm install still gives the site its dependencies.
          if (cfg.install !== NPM_CI || (err instanceof BuildStepError && err.canceled) || signal.aborted) throw err;
          system(
            id,
            "Warning: npm ci refused the lockfile (out of sync with package.json?); running npm install instead",
            "stderr",
          );
          await step(NPM_INSTALL, "install");
        }
      }
      if (cfg.build) await step(cfg.build, "build");
      await forgetPid(runDir, `build-${id}`);
      if (signal.aborted) throw new BuildStepError("canceled", true);

      const kind = cfg.start ? "server" : "static";
      if (kind === "static") {
        const count = await recordStaticOutput(row, work, cfg);
        system(id, `Static output: ${count} file(s)`);
        await rm(work, { recursive: true, force: true });
      }
      const moved = await move(db, id, ["building"], "deploying", { kind, config_json: JSON.stringify(cfg) });
      if (!moved) throw new BuildStepError("canceled", true);

      if (kind === "server") {
        await rm(appDir(id), { recursive: true, force: true });
        await mkdir(path.dirname(appDir(id)), { recursive: true });
        await rename(work, appDir(id));
        system(id, `Starting \`${cfg.start}\` and waiting for ${cfg.healthCheckPath} to answer`);
        await opts.runtime.startInstance({ ...row, kind, config_json: JSON.stringify(cfg) }, appDir(id), cfg);
      }
      if (!(await move(db, id, ["deploying"], "ready"))) throw new BuildStepError("canceled", true);
      system(id, "Deployment is ready");
      if (row.target === "production") {
        await opts.runtime.promote({ ...row, state: "ready", kind }, row.created_by);
        system(id, "Promoted to production");
      }
    } catch (err) {
      const canceled = err instanceof BuildStepError && err.canceled && !closed;
      const reason = closed
        ? "interrupted: the server shut down during the build; deploy again"
        : canceled
          ? "canceled"
          : isDiskFull(err)
            ? "the server's disk filled up during the build; free space (or make the build smaller) and deploy again"
            : (err as Error).message;
      // A build that filled the disk frees it first, so the end can be recorded.
      await rm(work, { recursive: true, force: true }).catch(() => {});
      await rm(`${work}.home`, { recursive: true, force: true }).catch(() => {});
      if (canceled) system(id, "Canceled", "stderr");
      else system(id, `Error: ${reason}`, "stderr");
      await move(db, id, UNFINISHED, canceled ? "canceled" : "error", { reason });
      await opts.runtime.stopInstance(id).catch(() => {});
      await rm(appDir(id), { recursive: true, force: true });
    } finally {
      await rm(`${work}.home`, { recursive: true, force: true });
      await forgetPid(runDir, `build-${id}`);
      opts.onFinished?.(id);
    }
  }

  /** Copies the upload's files (or only those named in `only`) from the blob store into `work`. */
  async function materialize(id: string, work: string, only?: ReadonlySet<string>): Promise<void> {
    let q = db.selectFrom("deployment_files").selectAll().where("deployment_id", "=", id);
    if (only) q = q.where("path", "in", [...only]);
    const files = await q.execute();
    const root = path.resolve(work);
    for (const f of files) {
      const dest = path.resolve(root, f.path);
      if (!dest.startsWith(root + path.sep))
        throw new HostingError("invalid_input", `unsafe path in manifest: ${f.path}`);
      await mkdir(path.dirname(dest), { recursive: true });
      // A copy, never a link: a build may rewrite its files and must not touch the blob.
      await copyFile(blobs.path(f.sha256), dest, constants.COPYFILE_FICLONE);
      await chmod(dest, f.mode & 0o777 || 0o644);
    }
  }

  /** Fetches one ref into the work dir, in the sandbox, and says which commit it was. */
  async function checkoutGit(
    spec: Omit<SandboxSpec, "argv" | "env">,
    row: DeploymentRow,
    source: { url: string; ref: string | null },
    signal: AbortSignal,
  ) {
    const { url, ref } = source;
    const allowLocal = opts.allowFileGitUrls ?? false;
    splitGitUrl(url, allowLocal); // the scheme may no longer be allowed since it was stored
    const credentials = row.git_credentials ? opts.secrets.open(row.git_credentials) : null;
    // Resolved again here, and git pinned to the address checked: a name cannot resolve to
    // a public address for the check and to a private one for the fetch.
    const pinned = await checkGitHost(url, allowLocal);
    const env: Record<string, string> = {
      DH_GIT_URL: withCredentials(url, credentials),
      DH_GIT_REF: ref ?? "HEAD",
      GIT_TERMINAL_PROMPT: "0",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_ASKPASS: "/bin/false",
    };
    // A redirect could lead git to a host nobody checked: it follows none.
    const config: Array<[string, string]> = [["http.followRedirects", "false"]];
    if (pinned && /^https?:/.test(url)) {
      const address = pinned.address.includes(":") ? `[${pinned.address}]` : pinned.address;
      config.push(["http.curloptResolve", `${pinned.host}:${pinned.port}:${address}`]);
    }
    env.GIT_CONFIG_COUNT = String(config.length);
    config.forEach(([key, value], i) => {
      env[`GIT_CONFIG_KEY_${i}`] = key;
      env[`GIT_CONFIG_VALUE_${i}`] = value;
    });
    const binds: Bind[] = [...(spec.binds ?? [])];
    if (url.startsWith("file:")) {
      // Allowed by the operator: the repository is shown to the sandbox, read-only, and git
      // may read it although another user owns it.
      const repo = fileURLToPath(url);
      binds.push({ src: repo, dest: repo });
    }
    // URL and ref reach git as arguments after --end-of-options, never as options or shell words.
    const script = [
      ...(url.startsWith("file:") ? ["git config --global --add safe.directory '*'"] : []),
      "git init -q",
      'git remote add origin "$DH_GIT_URL"',
      'git fetch -q --depth 1 --end-of-options origin "$DH_GIT_REF"',
      "git checkout -q FETCH_HEAD",
      "git log -1 --format=%H%n%an%x20%x3c%ae%x3e%n%s",
      "rm -rf .git",
    ].join(" && ");
    let stdout: string;
    try {
      stdout = await sandbox.exec(
        { ...spec, binds, env, argv: ["/bin/sh", "-c", script] },
        { signal, timeoutMs: buildTimeoutMs },
      );
    } catch (err) {
      if (signal.aborted) throw new BuildStepError("canceled", true);
      const why = scrub((err as Error).message, credentials);
      throw new Error(`git could not fetch ${ref ?? "the default branch"} of ${url}: ${why}`);
    }
    const [commitSha = "", commitAuthor = "", commitMessage = ""] = stdout.split("\n");
    return { commitSha, commitAuthor, commitMessage };
  }

  async function buildEnvironment(row: DeploymentRow): Promise<Record<string, string>> {
    const base: Record<string, string> = {
      CI: "1",
      DECO_HOSTING: "1",
      DECO_HOSTING_DEPLOYMENT_ID: row.id,
      npm_config_cache: "/cache/npm",
      npm_config_update_notifier: "false",
    };
    return { ...base, ...((await opts.buildEnv?.(row)) ?? {}) };
  }

  /** Records the files a static deployment serves, putting built files in the blob store. */
  async function recordStaticOutput(row: DeploymentRow, work: string, cfg: ResolvedSiteConfig): Promise<number> {
    const out = await findOutputDir(work, cfg);
    await requireInside(work, out);
    let files: Array<{ path: string; sha256: string; size: number; mode: number }>;
    const uploaded = (JSON.parse(row.source_json) as DeploymentSourceInfo).type === "upload";
    if (uploaded && out === "." && !cfg.build && !cfg.install) {
      files = await db
        .selectFrom("deployment_files")
        .select(["path", "sha256", "size", "mode"])
        .where("deployment_id", "=", row.id)
        .execute();
    } else {
      const manifest = await buildManifest(path.join(work, out));
      checkBuiltOutput(manifest.files, cfg, out);
      const { team_id: teamId } = await db
        .selectFrom("sites")
        .select("team_id")
        .where("id", "=", row.site_id)
        .executeTakeFirstOrThrow();
      const owned = new Set(
        (await db.selectFrom("team_blobs").select("sha256").where("team_id", "=", teamId).execute()).map(
          (r) => r.sha256,
        ),
      );
      const adding = manifest.files.filter((f) => !owned.has(f.sha256)).reduce((n, f) => n + f.size, 0);
      await requireStorage(db, teamId, adding, opts.teamQuotaBytes ?? DEFAULT_TEAM_QUOTA_BYTES);
      for (const f of manifest.files) {
        if (await blobs.has(f.sha256)) continue;
        const handle = await openRegular(f.absolute);
        await blobs.put(f.sha256, handle.createReadStream(), { maxBytes: f.size });
      }
      files = manifest.files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size, mode: f.mode ?? 0o644 }));
      await ownBlobs(db, teamId, files);
    }
    files = files.filter((f) => !neverServed(f.path));
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom("deployment_outputs").where("deployment_id", "=", row.id).execute();
      for (let i = 0; i < files.length; i += 200) {
        const chunk = files.slice(i, i + 200).map((f) => ({ deployment_id: row.id, ...f }));
        if (chunk.length > 0) await tx.insertInto("deployment_outputs").values(chunk).execute();
      }
    });
    return files.length;
  }

  return {
    appDir,
    isActive: (id) => active.has(id) || queue.includes(id),
    enqueue(id) {
      queue.push(id);
      pump();
    },
    async cancel(id, by) {
      const idx = queue.indexOf(id);
      if (idx >= 0) queue.splice(idx, 1);
      const moved = await move(db, id, UNFINISHED, "canceled", { reason: `canceled by ${by}` });
      active.get(id)?.abort();
      if (moved && idx >= 0) {
        system(id, `Canceled by ${by}`, "stderr");
        opts.onFinished?.(id);
      }
      if (moved) await opts.runtime.stopInstance(id).catch(() => {});
      return moved;
    },
    async reconcile() {
      // Build processes of a server that died are orphans now: stop them first.
      await killRecorded(runDir, "build-");
      const stuck = await db
        .selectFrom("deployments")
        .select(["id", "state"])
        .where("state", "in", UNFINISHED)
        .orderBy("created_at")
        .execute();
      for (const d of stuck) {
        if (d.state === "queued") {
          system(d.id, "Resuming after a server restart");
          queue.push(d.id);
          continue;
        }
        const reason = `interrupted while ${d.state}: the server stopped; deploy again`;
        system(d.id, `Error: ${reason}`, "stderr");
        await move(db, d.id, [d.state], "error", { reason });
        await rm(workDir(d.id), { recursive: true, force: true });
        opts.onFinished?.(d.id);
      }
      pump();
    },
    async close() {
      closed = true;
      queue.length = 0;
      for (const ctl of active.values()) ctl.abort();
      await new Promise<void>((resolve) => {
        if (active.size === 0) resolve();
        else idleWaiters.push(resolve);
      });
    },
    idle() {
      return new Promise((resolve) => {
        if (active.size === 0 && queue.length === 0) resolve();
        else idleWaiters.push(resolve);
      });
    },
  };
}

/** The output dir must be the build's own: a link out of the tree (`dist -> ../..`) is an error. */
async function requireInside(work: string, out: string): Promise<void> {
  const root = await realpath(work);
  const resolved = await realpath(path.join(work, out));
  if (resolved === root || resolved.startsWith(root + path.sep)) return;
  throw new HostingError("invalid_input", `the output directory "${out}" is a link to outside the build's own tree`, {
    hint: `Make "${out}" a real directory the build writes into, not a symbolic link`,
  });
}

function describeConfig(cfg: ResolvedSiteConfig): string {
  const parts = [
    cfg.install && `install \`${cfg.install}\``,
    cfg.build && `build \`${cfg.build}\``,
    cfg.start ? `start \`${cfg.start}\`` : `static output ${cfg.output ?? "(detected after build)"}`,
  ].filter(Boolean);
  return parts.join(", ");
}
