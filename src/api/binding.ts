// The table of operations: every tool of HOSTING_BINDING plus the account operations the
// CLI needs. Each entry is the whole contract of one operation: its UPPER_SNAKE tool name,
// input and output schemas, the REST route that serves it, the least role that may call it
// and the MCP annotations. The server registers its routes from this table, the HTTP
// transport builds requests from it and the MCP server declares its tools from it.
import { z } from "zod";
import * as s from "./schemas.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface Operation<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  input: I;
  output: O;
  http: { method: HttpMethod; path: string };
  /** Least team role that may call it. */
  role: s.Role;
  annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean };
  /** Part of HOSTING_BINDING (the plan's tool list); false for account operations. */
  binding: boolean;
  /** The request body is raw bytes (application/octet-stream), not the JSON input. */
  binaryBody?: true;
}

type Kind = "read" | "write" | "destroy";

function op<I extends z.ZodType, O extends z.ZodType>(
  name: string,
  kind: Kind,
  role: s.Role,
  route: `${HttpMethod} /${string}`,
  description: string,
  input: I,
  output: O,
  opts: { idempotent?: boolean; binding?: boolean; binaryBody?: true } = {},
): Operation<I, O> {
  const [method, path] = route.split(" ") as [HttpMethod, string];
  return {
    name,
    description,
    input,
    output,
    http: { method, path },
    role,
    annotations: {
      readOnlyHint: kind === "read",
      destructiveHint: kind === "destroy",
      idempotentHint: opts.idempotent ?? kind !== "write",
    },
    binding: opts.binding ?? true,
    ...(opts.binaryBody ? { binaryBody: true as const } : {}),
  };
}

const site = { siteName: s.SiteName };
const deployment = { deploymentId: s.Id };
const ok = z.object({ ok: z.literal(true) });
const logQuery = {
  since: z.string().max(64).optional().describe("Return entries after this cursor"),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
};

export const operations = {
  // ── account (CLI and agents; not in the plan's binding) ──
  WHOAMI: op(
    "WHOAMI",
    "read",
    "collaborator",
    "GET /v1/me",
    "Who the caller is and which team a request acts on",
    z.strictObject({}),
    s.Whoami,
    { binding: false },
  ),
  LIST_TEAMS: op(
    "LIST_TEAMS",
    "read",
    "collaborator",
    "GET /v1/teams",
    "Teams the caller belongs to, with the caller's role",
    z.strictObject({}),
    z.object({ teams: z.array(s.Team) }),
    { binding: false },
  ),
  CREATE_TEAM: op(
    "CREATE_TEAM",
    "write",
    "collaborator",
    "POST /v1/teams",
    "Create a team; the caller becomes its owner",
    z.strictObject({ slug: s.DnsLabel, name: z.string().min(1).max(100).optional() }),
    s.Team,
    { binding: false },
  ),
  LIST_MEMBERS: op(
    "LIST_MEMBERS",
    "read",
    "collaborator",
    "GET /v1/members",
    "Members of the current team",
    z.strictObject({}),
    z.object({ members: z.array(s.Member) }),
    { binding: false },
  ),
  ADD_MEMBER: op(
    "ADD_MEMBER",
    "write",
    "admin",
    "POST /v1/members",
    "Invite a person to the current team: returns a one-time link for them to accept (pending until then)",
    z.strictObject({ email: z.email().max(254), role: s.Role }),
    z.object({
      invitation: s.Invitation,
      inviteUrl: z.string().describe("Give it to the person only; it is shown once"),
    }),
    { binding: false },
  ),
  REMOVE_MEMBER: op(
    "REMOVE_MEMBER",
    "destroy",
    "admin",
    "DELETE /v1/members/{userId}",
    "Remove a person from the current team",
    z.strictObject({ userId: s.Id }),
    ok,
    { binding: false },
  ),
  CREATE_API_KEY: op(
    "CREATE_API_KEY",
    "write",
    "admin",
    "POST /v1/api-keys",
    "Create an API key for CI, scoped to the current team and a role; the key is shown once",
    z.strictObject({
      name: z.string().min(1).max(100),
      role: s.Role.default("publisher"),
      expiresInDays: z.number().int().min(1).max(3650).optional(),
    }),
    z.object({ apiKey: s.ApiKey, token: z.string().describe("Shown once; stored hashed") }),
    { binding: false },
  ),
  LIST_API_KEYS: op(
    "LIST_API_KEYS",
    "read",
    "admin",
    "GET /v1/api-keys",
    "API keys of the current team (never the keys themselves)",
    z.strictObject({}),
    z.object({ apiKeys: z.array(s.ApiKey) }),
    { binding: false },
  ),
  REVOKE_API_KEY: op(
    "REVOKE_API_KEY",
    "destroy",
    "admin",
    "DELETE /v1/api-keys/{keyId}",
    "Revoke an API key; it stops working at once",
    z.strictObject({ keyId: s.Id }),
    s.ApiKey,
    { binding: false },
  ),

  // ── uploads (HTTP only: the bytes themselves go to PUT /v1/blobs/{sha256}) ──
  FIND_MISSING_BLOBS: op(
    "FIND_MISSING_BLOBS",
    "read",
    "collaborator",
    "POST /v1/blobs/missing",
    "Which of these file hashes the team has not uploaded yet; upload those before DEPLOY",
    z.strictObject({ hashes: z.array(s.Sha256).max(100_000) }),
    z.object({ missing: z.array(s.Sha256) }),
    { binding: false },
  ),

  UPLOAD_BLOB: op(
    "UPLOAD_BLOB",
    "write",
    "collaborator",
    "PUT /v1/blobs/{sha256}",
    "Upload one file's bytes (the body, application/octet-stream); the server checks they hash to sha256",
    z.strictObject({ sha256: s.Sha256 }),
    z.object({ sha256: s.Sha256, size: z.number().int() }),
    { binding: false, idempotent: true, binaryBody: true },
  ),

  // ── sites ──
  LIST_SITES: op(
    "LIST_SITES",
    "read",
    "collaborator",
    "GET /v1/sites",
    "List the team's sites with status",
    z.strictObject({}),
    z.object({ sites: z.array(s.Site) }),
  ),
  GET_SITE: op(
    "GET_SITE",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}",
    "Site details: environments, domains, latest deployment",
    z.strictObject(site),
    s.SiteDetail,
  ),
  CREATE_SITE: op(
    "CREATE_SITE",
    "write",
    "publisher",
    "POST /v1/sites",
    "Create a site; its name becomes its hostname",
    z.strictObject({
      name: s.SiteName,
      git: z.strictObject({ url: z.string().min(1).max(2048), branch: z.string().max(255).optional() }).optional(),
    }),
    s.Site,
  ),
  DELETE_SITE: op(
    "DELETE_SITE",
    "destroy",
    "admin",
    "DELETE /v1/sites/{siteName}",
    "Delete a site with its deployments, environments and domains",
    z.strictObject(site),
    ok,
  ),

  // ── deployments ──
  LIST_DEPLOYMENTS: op(
    "LIST_DEPLOYMENTS",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/deployments",
    "List a site's deployments, newest first",
    z.strictObject({
      ...site,
      limit: z.coerce.number().int().min(1).max(100).default(20),
      before: z.string().max(64).optional(),
    }),
    z.object({ deployments: z.array(s.Deployment), nextBefore: z.string().nullable() }),
  ),
  GET_DEPLOYMENT: op(
    "GET_DEPLOYMENT",
    "read",
    "collaborator",
    "GET /v1/deployments/{deploymentId}",
    "One deployment with its state and URLs",
    z.strictObject(deployment),
    s.Deployment,
  ),
  DEPLOY: op(
    "DEPLOY",
    "write",
    "collaborator",
    "POST /v1/sites/{siteName}/deployments",
    "Create a deployment from a manifest of uploaded files or a git URL, and start building it",
    s.DeployInput,
    s.Deployment,
  ),
  PROMOTE_DEPLOYMENT: op(
    "PROMOTE_DEPLOYMENT",
    "write",
    "publisher",
    "POST /v1/sites/{siteName}/promote",
    "Point production at a ready deployment (no rebuild)",
    z.strictObject({ ...site, deploymentId: s.Id }),
    s.Deployment,
    { idempotent: true },
  ),
  ROLLBACK_DEPLOYMENT: op(
    "ROLLBACK_DEPLOYMENT",
    "write",
    "publisher",
    "POST /v1/sites/{siteName}/rollback",
    "Return production to the previous production deployment, or to the one given",
    z.strictObject({ ...site, deploymentId: s.Id.optional() }),
    s.Deployment,
  ),
  CANCEL_DEPLOYMENT: op(
    "CANCEL_DEPLOYMENT",
    "destroy",
    "collaborator",
    "POST /v1/deployments/{deploymentId}/cancel",
    "Cancel a deployment that has not finished",
    z.strictObject(deployment),
    s.Deployment,
    { idempotent: true },
  ),
  GET_DEPLOYMENT_LOGS: op(
    "GET_DEPLOYMENT_LOGS",
    "read",
    "collaborator",
    "GET /v1/deployments/{deploymentId}/logs",
    "Runtime logs of a deployment, paged",
    z.strictObject({ ...deployment, ...logQuery }),
    s.LogPage,
  ),
  GET_BUILD_LOGS: op(
    "GET_BUILD_LOGS",
    "read",
    "collaborator",
    "GET /v1/deployments/{deploymentId}/build-logs",
    "Build logs of a deployment, paged",
    z.strictObject({ ...deployment, ...logQuery }),
    s.LogPage,
  ),

  // ── environments ──
  LIST_ENVIRONMENTS: op(
    "LIST_ENVIRONMENTS",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/environments",
    "List a site's environments",
    z.strictObject(site),
    z.object({ environments: z.array(s.Environment) }),
  ),
  CREATE_ENVIRONMENT: op(
    "CREATE_ENVIRONMENT",
    "write",
    "publisher",
    "POST /v1/sites/{siteName}/environments",
    "Create an environment (staging, a branch preview)",
    z.strictObject({ ...site, name: s.EnvName, branch: z.string().max(255).optional(), deploymentId: s.Id.optional() }),
    s.Environment,
  ),
  UPDATE_ENVIRONMENT: op(
    "UPDATE_ENVIRONMENT",
    "write",
    "publisher",
    "PATCH /v1/sites/{siteName}/environments/{envName}",
    "Point an environment at a deployment or branch",
    z.strictObject({
      ...site,
      envName: s.EnvName,
      branch: z.string().max(255).optional(),
      deploymentId: s.Id.optional(),
    }),
    s.Environment,
    { idempotent: true },
  ),
  DELETE_ENVIRONMENT: op(
    "DELETE_ENVIRONMENT",
    "destroy",
    "admin",
    "DELETE /v1/sites/{siteName}/environments/{envName}",
    "Delete an environment",
    z.strictObject({ ...site, envName: s.EnvName }),
    ok,
  ),
  GET_ENVIRONMENT_LOGS: op(
    "GET_ENVIRONMENT_LOGS",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/environments/{envName}/logs",
    "Runtime logs of an environment, paged",
    z.strictObject({ ...site, envName: s.EnvName, ...logQuery }),
    s.LogPage,
  ),

  // ── domains ──
  LIST_DOMAINS: op(
    "LIST_DOMAINS",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/domains",
    "List a site's custom domains",
    z.strictObject(site),
    z.object({ domains: z.array(s.Domain) }),
  ),
  ADD_DOMAIN: op(
    "ADD_DOMAIN",
    "write",
    "publisher",
    "POST /v1/sites/{siteName}/domains",
    "Add a custom domain; returns the DNS records to create",
    z.strictObject({
      ...site,
      domain: s.Hostname,
      environment: s.EnvName.optional(),
      redirectTo: s.Hostname.optional(),
    }),
    s.Domain,
  ),
  VALIDATE_DOMAIN: op(
    "VALIDATE_DOMAIN",
    "write",
    "publisher",
    "POST /v1/sites/{siteName}/domains/{domain}/validate",
    "Check a domain's DNS records and start its certificate",
    z.strictObject({ ...site, domain: s.Hostname }),
    s.DomainValidation,
    { idempotent: true },
  ),
  REMOVE_DOMAIN: op(
    "REMOVE_DOMAIN",
    "destroy",
    "admin",
    "DELETE /v1/sites/{siteName}/domains/{domain}",
    "Remove a custom domain",
    z.strictObject({ ...site, domain: s.Hostname }),
    ok,
  ),
  GET_DOMAIN_STATUS: op(
    "GET_DOMAIN_STATUS",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/domains/{domain}",
    "A domain's DNS and certificate status",
    z.strictObject({ ...site, domain: s.Hostname }),
    s.Domain,
  ),

  // ── monitoring ──
  GET_METRICS_SUMMARY: op(
    "GET_METRICS_SUMMARY",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/metrics/summary",
    "Requests, bandwidth, cache ratio, latency and error rate",
    s.MetricsInput,
    s.MetricsSummary,
  ),
  GET_STATUS_CODES: op(
    "GET_STATUS_CODES",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/metrics/status-codes",
    "Status code distribution",
    s.MetricsInput,
    z.object({ statusCodes: z.array(s.StatusCodeCount) }),
  ),
  GET_TOP_PATHS: op(
    "GET_TOP_PATHS",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/metrics/top-paths",
    "Most requested paths",
    s.MetricsInput,
    z.object({ paths: z.array(s.TopPath) }),
  ),
  GET_TOP_COUNTRIES: op(
    "GET_TOP_COUNTRIES",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/metrics/top-countries",
    "Traffic by country",
    s.MetricsInput,
    z.object({ countries: z.array(s.TopCountry) }),
  ),
  GET_ERROR_PATTERNS: op(
    "GET_ERROR_PATTERNS",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/metrics/error-patterns",
    "Most frequent error patterns",
    s.MetricsInput,
    z.object({ patterns: z.array(s.ErrorPattern) }),
  ),
  GET_USAGE_TIMELINE: op(
    "GET_USAGE_TIMELINE",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/metrics/timeline",
    "Requests, bandwidth and errors over time",
    s.MetricsInput,
    z.object({ points: z.array(s.UsagePoint) }),
  ),

  // ── configuration ──
  GET_ENV_VARS: op(
    "GET_ENV_VARS",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/env-vars",
    "List env vars (values masked)",
    z.strictObject({ ...site, environment: s.EnvName.optional() }),
    z.object({ envVars: z.array(s.EnvVar) }),
  ),
  SET_ENV_VARS: op(
    "SET_ENV_VARS",
    "write",
    "publisher",
    "PUT /v1/sites/{siteName}/env-vars",
    "Set or unset env vars (null unsets); values are encrypted at rest",
    z.strictObject({
      ...site,
      environment: s.EnvName.optional(),
      targets: z.array(s.EnvVarTarget).min(1).optional(),
      vars: z.record(s.EnvVarKey, z.string().max(65_536).nullable()),
    }),
    z.object({ envVars: z.array(s.EnvVar) }),
    { idempotent: true },
  ),
  GET_SCALING_CONFIG: op(
    "GET_SCALING_CONFIG",
    "read",
    "collaborator",
    "GET /v1/sites/{siteName}/scaling",
    "Scaling parameters",
    z.strictObject({ ...site, environment: s.EnvName.optional() }),
    s.ScalingConfig,
  ),
  SET_SCALING_CONFIG: op(
    "SET_SCALING_CONFIG",
    "write",
    "publisher",
    "PUT /v1/sites/{siteName}/scaling",
    "Set min/max instances (min 0 scales to zero)",
    z.strictObject({
      ...site,
      environment: s.EnvName.optional(),
      minInstances: z.number().int().min(0).max(100).optional(),
      maxInstances: z.number().int().min(1).max(100).optional(),
      idleTimeoutSeconds: z.number().int().min(10).max(86_400).optional(),
    }),
    s.ScalingConfig,
    { idempotent: true },
  ),
} satisfies Record<string, Operation>;

export type Operations = typeof operations;
export type OperationName = keyof Operations;
export type InputOf<N extends OperationName> = z.input<Operations[N]["input"]>;
export type OutputOf<N extends OperationName> = z.output<Operations[N]["output"]>;

/**
 * Operations of the contract that the reference server does not serve yet: it answers them
 * 501 not_implemented, and the MCP server leaves them out of tools/list. Each later issue
 * removes what it builds from here.
 */
export const PLANNED_OPERATIONS: ReadonlySet<OperationName> = new Set<OperationName>([
  "LIST_ENVIRONMENTS",
  "CREATE_ENVIRONMENT",
  "UPDATE_ENVIRONMENT",
  "DELETE_ENVIRONMENT",
  "GET_ENVIRONMENT_LOGS",
  "LIST_DOMAINS",
  "ADD_DOMAIN",
  "VALIDATE_DOMAIN",
  "REMOVE_DOMAIN",
  "GET_DOMAIN_STATUS",
  "GET_METRICS_SUMMARY",
  "GET_STATUS_CODES",
  "GET_TOP_PATHS",
  "GET_TOP_COUNTRIES",
  "GET_ERROR_PATTERNS",
  "GET_USAGE_TIMELINE",
  "GET_ENV_VARS",
  "SET_ENV_VARS",
  "GET_SCALING_CONFIG",
  "SET_SCALING_CONFIG",
]);

/** HOSTING_BINDING: the tools a hosting MCP must implement (the plan's list, completed). */
export const HOSTING_BINDING = Object.values(operations)
  .filter((o) => o.binding)
  .map((o) => ({ name: o.name, input: o.input, output: o.output }));

export function getOperation(name: string): Operation | undefined {
  return (operations as Record<string, Operation>)[name];
}

/** The path parameters of a route template, e.g. `/v1/sites/{siteName}` → ["siteName"]. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}
