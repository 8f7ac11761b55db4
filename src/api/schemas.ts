// Every resource of the hosting API. The server validates with these, /openapi.json is
// generated from them and the MCP tools declare them. Browser-safe: zod only.
import { z } from "zod";
import { unsafePathReason } from "./paths.js";

// ── primitives ──────────────────────────────────────────────────────────────

/** A DNS label: what a site or environment name must be, since it becomes a hostname. */
export const DnsLabel = z
  .string()
  .min(1, "must not be empty")
  .max(63, "must be at most 63 characters")
  .regex(
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
    "must be lowercase letters, digits and hyphens, starting and ending with a letter or digit",
  )
  .refine((s) => !s.includes("--"), "must not contain '--' (reserved for preview hostnames)");

export const SiteName = DnsLabel.describe("Site name: a DNS label, unique on the server");
export const EnvName = DnsLabel.describe("Environment name: a DNS label, unique within a site");
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "must be an id");
export const Timestamp = z.string().describe("ISO 8601 date-time");
export const Sha256 = z.string().regex(/^[a-f0-9]{64}$/, "must be a lowercase hex SHA-256");
export const Hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, "must be a hostname");

export const Role = z.enum(["owner", "admin", "publisher", "collaborator"]);
export type Role = z.infer<typeof Role>;
/** Higher rank may do everything a lower rank may. */
export const ROLE_RANK: Record<Role, number> = { collaborator: 0, publisher: 1, admin: 2, owner: 3 };

export const TeamRef = z.string().min(1).max(63).describe("Team slug or id");

// ── teams, members, keys ────────────────────────────────────────────────────

export const User = z.object({ id: Id, email: z.string(), name: z.string() });
export type User = z.infer<typeof User>;

export const Team = z.object({
  id: Id,
  slug: DnsLabel,
  name: z.string(),
  role: Role.describe("The caller's role on this team"),
  createdAt: Timestamp,
});
export type Team = z.infer<typeof Team>;

export const Member = z.object({
  userId: Id,
  email: z.string(),
  name: z.string(),
  role: Role,
  joinedAt: Timestamp,
});
export type Member = z.infer<typeof Member>;

export const Invitation = z.object({
  id: Id,
  team: DnsLabel,
  email: z.string(),
  role: Role,
  status: z.enum(["pending", "accepted", "expired"]),
  expiresAt: Timestamp,
});
export type Invitation = z.infer<typeof Invitation>;

export const ApiKey = z.object({
  id: Id,
  name: z.string(),
  team: DnsLabel,
  role: Role,
  prefix: z.string().describe("First characters of the key, to recognise it; the key itself is shown once"),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  expiresAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
});
export type ApiKey = z.infer<typeof ApiKey>;

export const Whoami = z.object({
  user: User,
  team: Team.describe("The team this request acts on"),
  teams: z.array(Team),
  via: z.enum(["session", "oauth", "api_key"]),
});
export type Whoami = z.infer<typeof Whoami>;

// ── sites ───────────────────────────────────────────────────────────────────

export const SiteStatus = z.enum(["empty", "building", "live", "error"]);

export const Site = z.object({
  id: Id,
  name: SiteName,
  team: DnsLabel,
  status: SiteStatus,
  productionUrl: z.string().nullable(),
  productionDeploymentId: Id.nullable(),
  git: z.object({ url: z.string(), branch: z.string().nullable() }).nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Site = z.infer<typeof Site>;

export const SiteDetail = Site.extend({
  environments: z.array(z.lazy(() => Environment)),
  domains: z.array(z.lazy(() => Domain)),
  latestDeployment: z.lazy(() => Deployment).nullable(),
});
export type SiteDetail = z.infer<typeof SiteDetail>;

// ── deployments ─────────────────────────────────────────────────────────────

export const DeploymentState = z.enum(["queued", "building", "deploying", "ready", "error", "canceled"]);
export type DeploymentState = z.infer<typeof DeploymentState>;

export const DeploymentSource = z.discriminatedUnion("type", [
  z.object({ type: z.literal("upload"), files: z.number().int(), bytes: z.number().int() }),
  z.object({
    type: z.literal("git"),
    url: z.string(),
    ref: z.string().nullable(),
    commitSha: z.string().nullable(),
    commitMessage: z.string().nullable(),
    commitAuthor: z.string().nullable(),
  }),
]);

export const Deployment = z.object({
  id: Id,
  site: SiteName,
  environment: EnvName.nullable(),
  state: DeploymentState,
  reason: z.string().nullable().describe("Why it ended in error or canceled"),
  target: z.enum(["preview", "production"]),
  message: z.string().nullable(),
  source: DeploymentSource,
  kind: z.enum(["static", "server"]).nullable(),
  url: z.string().nullable().describe("Immutable preview URL"),
  isProduction: z.boolean().describe("Currently serving production"),
  createdBy: z.string(),
  createdAt: Timestamp,
  readyAt: Timestamp.nullable(),
  sandboxed: z
    .boolean()
    .nullable()
    .describe("Whether its build and app ran in the server's sandbox; null while none of its code has run"),
});
export type Deployment = z.infer<typeof Deployment>;

export const ManifestFile = z.strictObject({
  path: z.string().superRefine((p, ctx) => {
    const reason = unsafePathReason(p);
    if (reason) ctx.addIssue({ code: "custom", message: `unsafe path ${JSON.stringify(p)}: ${reason}` });
  }),
  sha256: Sha256,
  size: z.number().int().nonnegative(),
  mode: z.number().int().nonnegative().max(0o777).optional(),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

export const DeployInput = z.strictObject({
  siteName: SiteName,
  files: z.array(ManifestFile).max(100_000).optional().describe("Manifest of an uploaded directory"),
  git: z
    .strictObject({
      url: z.string().min(1).max(2048),
      ref: z
        .string()
        .min(1)
        .max(255)
        .regex(
          /^[A-Za-z0-9_./@^~{}+][A-Za-z0-9_./@^~{}+-]*$/,
          "must be a branch, tag or commit (no spaces, not starting with -)",
        )
        .optional(),
    })
    .optional(),
  environment: EnvName.optional(),
  production: z.boolean().optional().describe("Promote to production once ready"),
  message: z.string().max(500).optional(),
});
export type DeployInput = z.infer<typeof DeployInput>;

// ── logs ────────────────────────────────────────────────────────────────────

export const LogEntry = z.object({
  id: z.string().describe("Resumable cursor (use as `since` or Last-Event-ID)"),
  timestamp: Timestamp,
  source: z.enum(["build", "runtime", "system"]),
  stream: z.enum(["stdout", "stderr"]),
  message: z.string(),
  deploymentId: Id.nullable(),
});
export type LogEntry = z.infer<typeof LogEntry>;

export const LogPage = z.object({ entries: z.array(LogEntry), nextSince: z.string().nullable() });

// ── environments ────────────────────────────────────────────────────────────

export const Environment = z.object({
  name: EnvName,
  site: SiteName,
  url: z.string().nullable(),
  branch: z.string().nullable(),
  deploymentId: Id.nullable(),
  status: z.enum(["empty", "live", "scaled_to_zero", "error"]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Environment = z.infer<typeof Environment>;

// ── domains ─────────────────────────────────────────────────────────────────

export const DnsRecord = z.object({
  type: z.enum(["A", "AAAA", "CNAME", "TXT", "CAA"]),
  name: z.string(),
  value: z.string(),
  purpose: z.string().describe("What this record proves or routes"),
  satisfied: z.boolean().nullable().describe("null until validated"),
});

export const Certificate = z.object({
  status: z.enum(["none", "pending", "issued", "failed", "renewing"]),
  issuer: z.string().nullable(),
  notBefore: Timestamp.nullable(),
  notAfter: Timestamp.nullable(),
  error: z.string().nullable(),
});

export const Domain = z.object({
  name: Hostname,
  site: SiteName,
  environment: EnvName.nullable(),
  status: z.enum(["pending_dns", "pending_certificate", "active", "error"]),
  apex: z.boolean(),
  redirectTo: Hostname.nullable(),
  records: z.array(DnsRecord),
  certificate: Certificate,
  createdAt: Timestamp,
  verifiedAt: Timestamp.nullable(),
});
export type Domain = z.infer<typeof Domain>;

export const DomainValidation = z.object({
  domain: Hostname,
  valid: z.boolean(),
  records: z.array(DnsRecord),
  problems: z.array(z.string()),
});

// ── env vars and scaling ────────────────────────────────────────────────────

export const EnvVarKey = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be letters, digits and underscores, not starting with a digit");

export const EnvVarTarget = z.enum(["production", "preview", "build"]);

/** An env var as the API shows it: the value is always masked. */
export const EnvVar = z.object({
  key: EnvVarKey,
  value: z.string().describe("Masked; the plain value is never returned"),
  targets: z.array(EnvVarTarget),
  environment: EnvName.nullable(),
  updatedAt: Timestamp,
});
export type EnvVar = z.infer<typeof EnvVar>;

export const ScalingConfig = z.object({
  minInstances: z.number().int().min(0).max(100).describe("0 = scale to zero when idle"),
  maxInstances: z.number().int().min(1).max(100),
  idleTimeoutSeconds: z.number().int().min(10).max(86_400),
});
export type ScalingConfig = z.infer<typeof ScalingConfig>;

// ── metrics ─────────────────────────────────────────────────────────────────

export const MetricsRange = z.enum(["1h", "24h", "7d", "30d"]);

export const MetricsInput = z.strictObject({
  siteName: SiteName,
  range: MetricsRange.default("24h"),
  environment: EnvName.optional(),
});

export const MetricsSummary = z.object({
  range: MetricsRange,
  requests: z.number().int(),
  bandwidthBytes: z.number().int(),
  cacheHitRatio: z.number().min(0).max(1),
  latencyMs: z.object({ avg: z.number(), p50: z.number(), p95: z.number(), p99: z.number() }),
  errorRate: z.number().min(0).max(1),
});

export const StatusCodeCount = z.object({ status: z.number().int(), count: z.number().int() });
export const TopPath = z.object({ path: z.string(), requests: z.number().int(), bandwidthBytes: z.number().int() });
export const TopCountry = z.object({ country: z.string(), requests: z.number().int() });
export const ErrorPattern = z.object({
  pattern: z.string(),
  count: z.number().int(),
  firstSeen: Timestamp,
  lastSeen: Timestamp,
  sample: z.string(),
});
export const UsagePoint = z.object({
  at: Timestamp,
  requests: z.number().int(),
  bandwidthBytes: z.number().int(),
  errors: z.number().int(),
});

// ── site config (deco-hosting.json) ─────────────────────────────────────────

export const SITE_CONFIG_FILE = "deco-hosting.json";

export const SiteConfig = z.strictObject({
  $schema: z.string().optional(),
  install: z
    .string()
    .max(1000)
    .optional()
    .describe("Install command; default from the lock file when package.json has dependencies"),
  build: z.string().max(1000).optional().describe("Build command, run in the uploaded directory"),
  output: z
    .string()
    .max(255)
    .optional()
    .describe("Directory served after the build (static sites) or run from (servers)"),
  start: z
    .string()
    .max(1000)
    .optional()
    .describe("Start command of a server; PORT is set. Without it the output is served statically"),
  healthCheckPath: z
    .string()
    .startsWith("/")
    .max(255)
    .optional()
    .describe("Path that answers < 500 once a server is ready"),
  spa: z.boolean().optional().describe("Serve /index.html for unknown paths without an extension"),
});
export type SiteConfig = z.infer<typeof SiteConfig>;
