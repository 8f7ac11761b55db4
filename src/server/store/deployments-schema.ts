// Row types of the deployment tables (migration 0002).
import type { Generated } from "kysely";

export interface DeploymentsTable {
  id: string;
  site_id: string;
  environment: string | null;
  state: "queued" | "building" | "deploying" | "ready" | "error" | "canceled";
  reason: string | null;
  target: "preview" | "production";
  message: string | null;
  source_json: string;
  kind: "static" | "server" | null;
  config_json: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  ready_at: string | null;
  /** 1: its tenant code ran sandboxed; 0: unsandboxed (--no-sandbox); null: none ran. */
  sandboxed: number | null;
  /** A git URL's user:password, sealed by secrets/box.ts; never shown. */
  git_credentials: string | null;
}

export interface DeploymentFilesTable {
  deployment_id: string;
  path: string;
  sha256: string;
  size: number;
  mode: number;
}

export interface ProductionHistoryTable {
  id: Generated<number>;
  site_id: string;
  deployment_id: string;
  promoted_by: string;
  promoted_at: string;
}

export interface TeamBlobsTable {
  team_id: string;
  sha256: string;
  size: number;
  /** When the team first had it; null for rows older than the column. */
  created_at: string | null;
}

export interface LogsTable {
  id: Generated<number>;
  deployment_id: string;
  source: string;
  stream: string;
  message: string;
  ts: string;
}

export interface DeploymentTables {
  deployments: DeploymentsTable;
  deployment_files: DeploymentFilesTable;
  deployment_outputs: DeploymentFilesTable;
  production_history: ProductionHistoryTable;
  team_blobs: TeamBlobsTable;
  logs: LogsTable;
}
