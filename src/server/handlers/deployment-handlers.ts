import { HostingError } from "../../api/errors.js";
import type { LogEntry } from "../../api/schemas.js";
import {
  type DeploymentRow,
  insertGitDeployment,
  insertUploadDeployment,
  toDeployment,
  UNFINISHED,
} from "../deploy/deployments.js";
import { checkGitHost, splitGitUrl } from "../deploy/git-url.js";
import type { LogSource } from "../deploy/logStore.js";
import { findDeployment } from "../deploy/queries.js";
import { sseResponse, wantsEventStream } from "../http/sse.js";
import { getSite } from "../sites.js";
import { actingTeam, type HandlerContext, type HandlerTable } from "./handler.js";

/** How a deployment records who made it: the person, and the key when one was used. */
function actor(ctx: HandlerContext): string {
  const { caller } = ctx.access;
  return caller.apiKey ? `${caller.user.email} (API key ${caller.apiKey.name})` : caller.user.email;
}

export const deploymentHandlers: HandlerTable = {
  async FIND_MISSING_BLOBS(ctx, input) {
    const { team } = actingTeam(ctx);
    const { db, deploy } = ctx.server;
    const unique = [...new Set(input.hashes)];
    const owned = new Set<string>();
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await db
        .selectFrom("team_blobs")
        .select("sha256")
        .where("team_id", "=", team.id)
        .where("sha256", "in", unique.slice(i, i + 500))
        .execute();
      for (const r of rows) owned.add(r.sha256);
    }
    // A blob this team uploaded counts only while its bytes are still in the store.
    const missingOnDisk = new Set(await deploy.blobs.missing([...owned]));
    return { missing: unique.filter((h) => !owned.has(h) || missingOnDisk.has(h)) };
  },

  async DEPLOY(ctx, input) {
    const { team } = actingTeam(ctx);
    const { db, deploy } = ctx.server;
    const site = await getSite(db, team, input.siteName);
    if ((input.files ? 1 : 0) + (input.git ? 1 : 0) !== 1) {
      throw new HostingError("invalid_input", "a deployment needs either files or git, not both or neither", {
        hint: "Deploy a directory (`deco-hosting deploy ./dir`) or a repository (`deco-hosting deploy --git <url>`)",
      });
    }
    const production = input.production ?? false;
    if (production && ctx.access.role === "collaborator") {
      throw new HostingError("forbidden", "deploying to production needs the publisher role", {
        hint: "Deploy a preview without --prod, and ask a publisher to promote it",
      });
    }
    const common = {
      production,
      environment: input.environment ?? null,
      message: input.message ?? null,
      createdBy: actor(ctx),
    };
    let row: DeploymentRow;
    if (input.files) {
      const files = input.files;
      const limits = deploy.limits;
      if (files.length > limits.maxFiles) {
        throw new HostingError(
          "payload_too_large",
          `${files.length} files is more than the limit of ${limits.maxFiles}`,
          {
            hint: "Deploy the build output directory, or list what is not needed in .decohostingignore",
          },
        );
      }
      const total = files.reduce((n, f) => n + f.size, 0);
      if (total > limits.maxTotalBytes) {
        throw new HostingError(
          "payload_too_large",
          `${total} bytes is more than the limit of ${limits.maxTotalBytes}`,
          {
            hint: "Deploy the build output directory, or list what is not needed in .decohostingignore",
          },
        );
      }
      row = await insertUploadDeployment(db, team, site, { files, ...common });
    } else {
      const git = input.git as { url: string; ref?: string };
      const { display, credentials } = splitGitUrl(git.url, deploy.allowLocalGit);
      await checkGitHost(display, deploy.allowLocalGit);
      row = await insertGitDeployment(db, site, {
        url: display,
        ref: git.ref ?? null,
        credentials: credentials === null ? null : deploy.secrets.seal(credentials),
        ...common,
      });
    }
    deploy.pipeline.enqueue(row.id);
    return toDeployment(row, site, deploy.urls);
  },

  async LIST_DEPLOYMENTS(ctx, input) {
    const { team } = actingTeam(ctx);
    const { db, deploy } = ctx.server;
    const site = await getSite(db, team, input.siteName);
    let q = db
      .selectFrom("deployments")
      .selectAll()
      .where("site_id", "=", site.id)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(input.limit + 1);
    if (input.before) {
      const cursor = await db
        .selectFrom("deployments")
        .select("created_at")
        .where("id", "=", input.before)
        .executeTakeFirst();
      if (cursor) q = q.where("created_at", "<", cursor.created_at);
    }
    const rows = await q.execute();
    const page = rows.slice(0, input.limit);
    return {
      deployments: page.map((r) => toDeployment(r, site, deploy.urls)),
      nextBefore: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
    };
  },

  async GET_DEPLOYMENT(ctx, input) {
    const { team } = actingTeam(ctx);
    const { row, site } = await findDeployment(ctx.server.db, team, input.deploymentId);
    return toDeployment(row, site, ctx.server.deploy.urls);
  },

  async PROMOTE_DEPLOYMENT(ctx, input) {
    const { team } = actingTeam(ctx);
    const { db, deploy } = ctx.server;
    const site = await getSite(db, team, input.siteName);
    const { row } = await findDeployment(db, team, input.deploymentId);
    if (row.site_id !== site.id) {
      throw new HostingError("not_found", `deployment ${row.id} does not belong to site '${site.name}'`, {
        hint: `List the site's deployments with \`deco-hosting deployments ls --site ${site.name}\``,
      });
    }
    await deploy.runtime.promote(row, actor(ctx));
    const fresh = await findDeployment(db, team, row.id);
    return toDeployment(fresh.row, fresh.site, deploy.urls);
  },

  async ROLLBACK_DEPLOYMENT(ctx, input) {
    const { team } = actingTeam(ctx);
    const { db, deploy } = ctx.server;
    const site = await getSite(db, team, input.siteName);
    const row = await deploy.runtime.rollback(site, input.deploymentId, actor(ctx));
    const fresh = await findDeployment(db, team, row.id);
    return toDeployment(fresh.row, fresh.site, deploy.urls);
  },

  async CANCEL_DEPLOYMENT(ctx, input) {
    const { team } = actingTeam(ctx);
    const { db, deploy } = ctx.server;
    const { row } = await findDeployment(db, team, input.deploymentId);
    if (row.state !== "canceled") {
      if (!UNFINISHED.includes(row.state)) {
        throw new HostingError(
          "conflict",
          `deployment ${row.id} is ${row.state} already; only an unfinished one can be canceled`,
          {
            hint: "To stop serving it, promote or roll back to another deployment",
          },
        );
      }
      await deploy.pipeline.cancel(row.id, actor(ctx));
    }
    const fresh = await findDeployment(db, team, row.id);
    return toDeployment(fresh.row, fresh.site, deploy.urls);
  },

  async GET_DEPLOYMENT_LOGS(ctx, input) {
    const { team } = actingTeam(ctx);
    const { row } = await findDeployment(ctx.server.db, team, input.deploymentId);
    return logsAnswer(ctx, row, ["runtime", "system"], input, false);
  },

  async GET_BUILD_LOGS(ctx, input) {
    const { team } = actingTeam(ctx);
    const { row } = await findDeployment(ctx.server.db, team, input.deploymentId);
    return logsAnswer(ctx, row, ["build"], input, true);
  },
};

/**
 * A page of log entries as JSON, or with `Accept: text/event-stream` the same entries
 * followed live over SSE (resuming after `since` or Last-Event-ID). A build log stream
 * ends with an `end` event once the deployment's pipeline is over.
 */
async function logsAnswer(
  ctx: HandlerContext,
  row: DeploymentRow,
  sources: LogSource[],
  input: { since?: string | undefined; limit: number },
  endWithPipeline: boolean,
) {
  const { logs, events } = ctx.server.deploy;
  const query = { deploymentIds: [row.id], sources };
  if (!wantsEventStream(ctx.request)) return logs.page({ ...query, since: input.since, limit: input.limit });

  const resumeFrom = input.since ?? ctx.request.headers.get("last-event-id") ?? undefined;
  return sseResponse(ctx.request.signal, ctx.stillAllowed, (send, end) => {
    let last = Number(resumeFrom ?? 0) || 0;
    let live = false;
    const buffered: LogEntry[] = [];
    const emit = (entry: LogEntry) => {
      if (Number(entry.id) <= last) return;
      last = Number(entry.id);
      send({ id: entry.id, data: entry });
    };
    const finish = async () => {
      await logs.flush();
      const { db } = ctx.server;
      const state = (await db.selectFrom("deployments").select("state").where("id", "=", row.id).executeTakeFirst())
        ?.state;
      send({ event: "end", data: { deploymentId: row.id, state: state ?? null } });
      end();
    };
    const onFinished = (id: string) => {
      if (id === row.id) void finish();
    };
    const unfollow = logs.follow(query, (entry) => (live ? emit(entry) : buffered.push(entry)));
    if (endWithPipeline) events.on("finished", onFinished);
    void (async () => {
      for (;;) {
        const page = await logs.page({ ...query, since: String(last), limit: 1000 });
        for (const e of page.entries) emit(e);
        if (page.entries.length < 1000) break;
      }
      live = true;
      for (const e of buffered.splice(0)) emit(e);
      if (endWithPipeline) {
        const current = await ctx.server.db
          .selectFrom("deployments")
          .select("state")
          .where("id", "=", row.id)
          .executeTakeFirst();
        if (current && !UNFINISHED.includes(current.state) && !ctx.server.deploy.pipeline.isActive(row.id))
          await finish();
      }
    })().catch(() => end());
    return () => {
      unfollow();
      events.off("finished", onFinished);
    };
  });
}
