// deploy [dir]: upload what changed, stream the build log, print the URLs. stdout gets only
// the URL (or one JSON document), so `url=$(deco-hosting deploy)` works in scripts.
import path from "node:path";
import type { Command } from "commander";
import { HostingError } from "../api/errors.js";
import type { Deployment } from "../api/schemas.js";
import type { ClientDeps, CommandContext } from "./context.js";
import { readLink } from "./link.js";
import type { Output } from "./output.js";

export interface DeployOptions {
  dir: string;
  site?: string;
  prod?: boolean;
  message?: string;
  wait: boolean;
  git?: string;
  ref?: string;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command("deploy")
    .description("Deploy a directory (or a git repository) to a site and print its URL")
    .argument("[dir]", "directory to deploy", ".")
    .option("--site <name>", "site to deploy to (default: the one `link` recorded for the directory)")
    .option("--prod", "serve it in production once it is ready")
    .option("-m, --message <text>", "a note kept with the deployment")
    .option("--git <url>", "deploy this git repository instead of a directory")
    .option("--ref <ref>", "branch, tag or commit to deploy (with --git)")
    .option("--no-wait", "return once the deployment is created, without waiting for the build")
    .action(async (dir: string, opts: Omit<DeployOptions, "dir">, cmd: Command) =>
      runDeploy({ dir, ...opts }, await ctx.clientDeps(cmd)),
    );
}

export async function runDeploy(opts: DeployOptions, { client, out }: ClientDeps): Promise<void> {
  if (opts.ref && !opts.git) {
    throw new HostingError("invalid_input", "--ref needs --git", {
      hint: "Pass --git <url> with --ref, or drop --ref",
    });
  }
  const siteName = opts.site ?? (await readLink(opts.dir))?.site;
  if (!siteName) {
    throw new HostingError("invalid_input", `no site given, and ${path.resolve(opts.dir)} is not linked to one`, {
      hint: "Pass --site <name>, or link the directory once with `deco-hosting link --site <name>`",
    });
  }
  const common = {
    ...(opts.prod ? { production: true } : {}),
    ...(opts.message ? { message: opts.message } : {}),
  };

  let deployment: Deployment;
  let upload: { files: number; totalBytes: number; uploadedFiles: number; uploadedBytes: number } | null = null;
  if (opts.git) {
    deployment = await out.spin(`Creating a deployment of ${opts.git}`, () =>
      client.deploy({ siteName, git: { url: opts.git as string, ...(opts.ref ? { ref: opts.ref } : {}) }, ...common }),
    );
  } else {
    const { deployDirectory } = await import("../api/node/upload.js");
    const progress = await out.progress("Hashing files");
    try {
      const result = await deployDirectory(client, {
        dir: opts.dir,
        siteName,
        ...common,
        onProgress: (p) => {
          if (p.phase === "uploading") {
            progress.update(
              `Uploading ${p.uploadedFiles}/${p.uploadFiles} files (${bytes(p.uploadedBytes)} of ${bytes(p.uploadBytes)})`,
            );
          } else if (p.phase === "negotiating") progress.update(`Checking ${p.files} files (${bytes(p.totalBytes)})`);
          else if (p.phase === "creating") progress.update("Creating the deployment");
        },
      });
      deployment = result.deployment;
      upload = result.upload;
    } finally {
      progress.stop();
    }
    out.note(
      out.style(
        "dim",
        `Uploaded ${upload.uploadedFiles} of ${upload.files} files (${bytes(upload.uploadedBytes)}; ${upload.files - upload.uploadedFiles} unchanged)`,
      ),
    );
  }
  out.note(`${out.style("bold", "Deployment")} ${deployment.id} of ${siteName}: ${deployment.url ?? ""}`);

  if (opts.wait) deployment = await waitForBuild(client, out, deployment);
  const site = await client.getSite({ siteName });
  const urls = {
    preview: deployment.url,
    production: deployment.isProduction || opts.prod ? site.productionUrl : null,
  };
  const result = { deployment, upload, urls };
  if (opts.wait && deployment.state !== "ready") {
    throw new HostingError(
      "deployment_failed",
      `deployment ${deployment.id} ended ${deployment.state}: ${deployment.reason ?? "no reason given"}`,
      {
        hint: `Read its build log with \`deco-hosting logs ${deployment.id} --build\``,
        details: result,
      },
    );
  }
  out.result(result, (r) => {
    if (!opts.wait) return r.urls.preview ?? r.deployment.id;
    out.note(out.success(`Ready${r.urls.production ? " and serving production" : ""}`));
    if (r.urls.production) out.note(`${out.style("dim", "Preview:")}    ${r.urls.preview}`);
    return r.urls.production ?? r.urls.preview ?? "";
  });
}

/** Streams the build log to stderr (a person sees it; stdout stays clean) until the pipeline ends. */
async function waitForBuild(client: ClientDeps["client"], out: Output, deployment: Deployment): Promise<Deployment> {
  for await (const e of client.followLogs("build", deployment.id)) {
    if ("end" in e) break;
    out.note(out.style(e.stream === "stderr" ? "yellow" : "dim", e.message));
  }
  return client.getDeployment({ deploymentId: deployment.id });
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
