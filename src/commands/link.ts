// link: remembers which site a directory deploys to, in .deco-hosting/project.json (never
// uploaded), so `deploy` there needs no --site.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { HostingError } from "../api/errors.js";
import type { ClientDeps, CommandContext } from "./context.js";

export const LINK_DIR = ".deco-hosting";
const LINK_FILE = "project.json";

export interface ProjectLink {
  site: string;
  team?: string;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command("link")
    .description("Link a directory to a site, so `deploy` there needs no --site")
    .argument("[dir]", "the directory to link", ".")
    .option("--site <name>", "the site to link to (created when missing with --create)")
    .option("--create", "create the site when it does not exist")
    .action(async (dir: string, opts: { site?: string; create?: boolean }, cmd: Command) =>
      runLink({ dir, ...opts }, await ctx.clientDeps(cmd)),
    );
}

export async function readLink(dir: string): Promise<ProjectLink | null> {
  const text = await readFile(path.join(dir, LINK_DIR, LINK_FILE), "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const link = JSON.parse(text) as ProjectLink;
    return typeof link.site === "string" ? link : null;
  } catch {
    return null;
  }
}

export async function writeLink(dir: string, link: ProjectLink): Promise<string> {
  const folder = path.join(dir, LINK_DIR);
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, LINK_FILE);
  await writeFile(file, `${JSON.stringify(link, null, 2)}\n`);
  await writeFile(path.join(folder, ".gitignore"), "*\n");
  return file;
}

export async function runLink(
  opts: { dir: string; site?: string; create?: boolean },
  { client, out }: ClientDeps,
): Promise<void> {
  if (!opts.site) {
    throw new HostingError("invalid_input", "which site should this directory deploy to?", {
      hint: "Pass --site <name> (add --create to create it)",
    });
  }
  const site = await client.getSite({ siteName: opts.site }).catch(async (err) => {
    if ((err as HostingError).code === "not_found" && opts.create)
      return client.createSite({ name: opts.site as string });
    throw err;
  });
  const file = await writeLink(opts.dir, { site: site.name, team: site.team });
  out.result({ site: site.name, team: site.team, file }, (r) =>
    out.success(
      `Linked ${path.resolve(opts.dir)} to site ${out.style("bold", r.site)} (${path.relative(process.cwd(), r.file) || r.file})`,
    ),
  );
}
