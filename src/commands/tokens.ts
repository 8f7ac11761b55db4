// tokens create | ls | revoke: API keys for CI and agents, scoped to the current team.
import { type Command, InvalidArgumentError, Option } from "commander";
import type { ApiKey } from "../api/schemas.js";
import type { ClientDeps, CommandContext } from "./context.js";
import { formatTime } from "./format.js";
import { confirmDestructive } from "./prompt.js";

const ROLES = ["owner", "admin", "publisher", "collaborator"] as const;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of days, 1 or more");
  return n;
}

export function register(program: Command, ctx: CommandContext): void {
  const tokens = program
    .command("tokens")
    .description("API keys for CI and agents (set DECO_HOSTING_TOKEN to use one)");
  tokens
    .command("create")
    .description("Create an API key for the current team; the key is printed once")
    .requiredOption("--name <name>", "what the key is for, e.g. github-actions")
    .addOption(new Option("--role <role>", "the key's role").choices(ROLES).default("publisher"))
    .option("--expires-in-days <days>", "expire the key after this many days", positiveInt)
    .action(async (opts: CreateOptions, cmd: Command) => runTokensCreate(opts, await ctx.clientDeps(cmd)));
  tokens
    .command("ls")
    .alias("list")
    .description("List the team's API keys (never the keys themselves)")
    .action(async (_opts, cmd: Command) => runTokensList({}, await ctx.clientDeps(cmd)));
  tokens
    .command("revoke")
    .description("Revoke an API key; it stops working at once")
    .argument("<id>", "key id (see `deco-hosting tokens ls`)")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (id: string, opts: { yes?: boolean }, cmd: Command) =>
      runTokensRevoke({ id, yes: opts.yes }, await ctx.clientDeps(cmd)),
    );
}

export interface CreateOptions {
  name: string;
  role?: (typeof ROLES)[number];
  expiresInDays?: number;
}

export async function runTokensCreate(opts: CreateOptions, { client, out }: ClientDeps): Promise<void> {
  const created = await client.createApiKey({ name: opts.name, role: opts.role, expiresInDays: opts.expiresInDays });
  const { apiKey } = created;
  out.note(
    out.success(
      `Created key ${out.style("bold", apiKey.name)} (${apiKey.id}, role ${apiKey.role}, team ${apiKey.team}, expires ${formatTime(apiKey.expiresAt)})`,
    ),
  );
  out.note("Copy it now: it is shown only this once.");
  // the key alone on stdout, so `KEY=$(deco-hosting tokens create --name ci)` works
  out.result(created, (r) => r.token);
}

export async function runTokensList(_opts: object, { client, out }: ClientDeps): Promise<void> {
  const { apiKeys } = await client.listApiKeys();
  out.result({ apiKeys }, (r) =>
    out.table<ApiKey>(
      [
        { header: "ID", value: (k) => k.id },
        { header: "Name", value: (k) => k.name },
        { header: "Role", value: (k) => k.role },
        { header: "Prefix", value: (k) => k.prefix },
        { header: "Created", value: (k) => formatTime(k.createdAt) },
        { header: "Last used", value: (k) => formatTime(k.lastUsedAt) },
        { header: "Expires", value: (k) => formatTime(k.expiresAt) },
        { header: "Revoked", value: (k) => formatTime(k.revokedAt) },
      ],
      r.apiKeys,
      "No API keys. Create one with `deco-hosting tokens create --name <name>`.",
    ),
  );
}

export async function runTokensRevoke(opts: { id: string; yes?: boolean }, { client, out }: ClientDeps): Promise<void> {
  await confirmDestructive(out, { yes: opts.yes, action: `revoke API key ${opts.id}` });
  const apiKey = await client.revokeApiKey({ keyId: opts.id });
  out.result(apiKey, (k) => out.success(`Revoked key ${k.name} (${k.id})`));
}
