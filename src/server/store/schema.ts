// Row types of the control plane's tables, as Kysely sees them. Timestamps are ISO 8601
// strings (they sort lexically); booleans never appear, state lives in enums and nullables.
import type { Generated } from "kysely";
import type { Role } from "../../api/schemas.js";
import type { DeploymentTables } from "./deployments-schema.js";

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  created_at: string;
}

export interface TeamsTable {
  id: string;
  slug: string;
  name: string;
  created_at: string;
}

export interface MembershipsTable {
  team_id: string;
  user_id: string;
  role: Role;
  joined_at: string;
}

export interface ApiKeysTable {
  id: string;
  team_id: string;
  created_by: string;
  name: string;
  role: Role;
  prefix: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export type OAuthTokenKind = "access" | "refresh";

export interface OAuthTokensTable {
  id: string;
  kind: OAuthTokenKind;
  token_hash: string;
  /** Every token issued from one device approval shares a family; reuse revokes it whole. */
  family_id: string;
  user_id: string;
  client_id: string;
  scope: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
}

export type DeviceCodeStatus = "pending" | "approved" | "denied" | "used";

export interface DeviceCodesTable {
  id: string;
  device_code_hash: string;
  user_code: string;
  client_id: string;
  scope: string;
  status: DeviceCodeStatus;
  user_id: string | null;
  interval_seconds: number;
  last_polled_at: string | null;
  created_at: string;
  expires_at: string;
}

export interface SignInLinksTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface SitesTable {
  id: string;
  team_id: string;
  name: string;
  git_url: string | null;
  git_branch: string | null;
  production_deployment_id: string | null;
  /** Its code runs as uid SITE_UID_BASE + run_uid; given out on first need. */
  run_uid: number | null;
  created_at: string;
  updated_at: string;
}

export interface InvitationsTable {
  id: string;
  team_id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  accepted_by: string | null;
}

export interface RunUidsTable {
  uid: Generated<number>;
  site_id: string;
}

export interface Database extends DeploymentTables {
  run_uids: RunUidsTable;
  invitations: InvitationsTable;
  users: UsersTable;
  teams: TeamsTable;
  memberships: MembershipsTable;
  api_keys: ApiKeysTable;
  oauth_tokens: OAuthTokensTable;
  device_codes: DeviceCodesTable;
  signin_links: SignInLinksTable;
  sessions: SessionsTable;
  sites: SitesTable;
}
