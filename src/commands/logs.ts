// logs <deployment|site>: a page of runtime (or --build) logs, or --follow them live.
// With --json: one document for a page, JSON lines when following.
import type { Command } from "commander";
import type { HostingClient } from "../api/client.js";
import { HostingError } from "../api/errors.js";
import type { LogEntry } from "../api/schemas.js";
import type { ClientDeps, CommandContext } from "./context.js";
import type { Output } from "./output.js";

export interface LogsOptions {
  target: string;
  build?: boolean;
  follow?: boolean;
  since?: string;
  limit: string;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command("logs")
    .description("Show a deployment's runtime logs (or --build logs); a site name means its production deployment")
    .argument("<deployment|site>", "deployment id, or site name")
    .option("--build", "build logs instead of runtime logs")
    .option("-f, --follow", "keep printing new lines as they come")
    .option("--since <cursor>", "only entries after this cursor (an entry's id)")
    .option("--limit <n>", "entries per page", "200")
    .action(async (target: string, opts: Omit<LogsOptions, "target">, cmd: Command) => {
      const deps = await ctx.clientDeps(cmd);
      const stop = new AbortController();
      ctx.onInterrupt(() => stop.abort());
      await runLogs({ target, ...opts }, deps, stop.signal);
    });
}

/** A deployment id, or a site's production (else latest) deployment. */
export async function resolveDeployment(client: HostingClient, target: string): Promise<string> {
  try {
    return (await client.getDeployment({ deploymentId: target })).id;
  } catch (err) {
    if ((err as HostingError).code !== "not_found" && (err as HostingError).code !== "invalid_input") throw err;
  }
  const site = await client.getSite({ siteName: target }).catch((err: HostingError) => {
    if (err.code !== "not_found" && err.code !== "invalid_input") throw err;
    throw new HostingError("not_found", `no deployment or site named '${target}'`, {
      hint: "List sites with `deco-hosting sites ls`, or deployments with `deco-hosting deployments ls --site <site>`",
    });
  });
  const id = site.productionDeploymentId ?? site.latestDeployment?.id;
  if (!id) {
    throw new HostingError("not_found", `site '${site.name}' has no deployments yet`, {
      hint: `Deploy it with \`deco-hosting deploy --site ${site.name}\``,
    });
  }
  return id;
}

export async function runLogs(opts: LogsOptions, { client, out }: ClientDeps, signal?: AbortSignal): Promise<void> {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new HostingError("invalid_input", `--limit must be a whole number from 1 to 1000, not ${opts.limit}`, {
      hint: "Pass --limit 200, for example",
    });
  }
  const deploymentId = await resolveDeployment(client, opts.target);
  const kind = opts.build ? "build" : "runtime";
  if (!opts.follow) {
    const input = { deploymentId, limit, ...(opts.since ? { since: opts.since } : {}) };
    const page = opts.build ? await client.getBuildLogs(input) : await client.getDeploymentLogs(input);
    out.result({ deploymentId, ...page }, (r) => r.entries.map((e) => line(out, e)).join("\n"));
    return;
  }
  for await (const e of client.followLogs(kind, deploymentId, {
    ...(opts.since ? { since: opts.since } : {}),
    ...(signal ? { signal } : {}),
  })) {
    if ("end" in e) {
      if (out.json) out.line({ end: true, deploymentId, state: e.end });
      break;
    }
    if (out.json) out.line(e);
    else out.line(line(out, e));
  }
}

function line(out: Output, e: LogEntry): string {
  const time = out.style("dim", e.timestamp.slice(11, 23));
  const text =
    e.source === "system"
      ? out.style("cyan", e.message)
      : e.stream === "stderr"
        ? out.style("yellow", e.message)
        : e.message;
  return `${time} ${text}`;
}
