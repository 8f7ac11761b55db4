// What every part of the running server shares: the store and the settings it started with.
import type { Role } from "../api/schemas.js";
import type { TeamRow, UserRow } from "./auth/accounts.js";
import type { ApiKeyRow } from "./auth/api-keys.js";
import type { DeviceGrantConfig } from "./auth/device-grant.js";
import type { DeployServices } from "./deploy/services.js";
import type { Db } from "./store/db.js";

export interface ServerContext {
  db: Db;
  /** Base URL people and clients reach this server at; links and URIs are built from it. */
  publicUrl: string;
  deviceGrant: DeviceGrantConfig;
  log: (line: string) => void;
  deploy: DeployServices;
}

/** Who is calling, and how they proved it. */
export interface Caller {
  user: UserRow;
  via: "session" | "oauth" | "api_key";
  apiKey: ApiKeyRow | null;
}

/** The caller, the team the request acts on and the caller's role there. */
export interface Access {
  caller: Caller;
  team: TeamRow | null;
  role: Role | null;
}

export interface AppEnv {
  Variables: {
    access: Access;
    /** Checks again that the request's credential still grants what it did (long streams ask). */
    stillAllowed: () => Promise<boolean>;
  };
}
