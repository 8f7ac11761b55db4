// A command's view of who it is and where it talks: the resolved connection plus the
// profile and token store behind it, with token refresh.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { HostingError } from "../api/errors.js";
import { type OAuthDeps, refreshTokens } from "./device-flow.js";
import { withFileLock } from "./files.js";
import { configDir, dataDir, type Env } from "./paths.js";
import { type ConfigFile, type Profile, readConfig, withProfile, writeConfig } from "./profiles.js";
import { type Connection, type GlobalFlags, normalizeUrl, resolveConnection } from "./resolve.js";
import { createTokenStore, type StoredTokens, type TokenStore } from "./token-store.js";

/** Refresh a little before the access token expires, so a request does not race its expiry. */
const REFRESH_MARGIN_MS = 30_000;

export class Session {
  readonly connection: Connection;
  /** The access token last handed to a request: if the stored one differs, another process refreshed. */
  private inUse: string | undefined;

  constructor(
    readonly flags: GlobalFlags,
    readonly env: Env,
    private config: ConfigFile,
    readonly store: TokenStore,
    readonly configDir: string,
    readonly dataDir: string,
    private readonly oauth: OAuthDeps = {},
  ) {
    this.connection = resolveConnection(flags, env, config);
  }

  static async open(flags: GlobalFlags, env: Env = process.env, oauth: OAuthDeps = {}): Promise<Session> {
    const dir = configDir(env);
    const config = await readConfig(dir);
    return new Session(flags, env, config, createTokenStore({ configDir: dir, env }), dir, dataDir(env), oauth);
  }

  get profileName(): string {
    return this.connection.profileName;
  }

  profile(name = this.profileName): Profile | undefined {
    return this.config.profiles[name];
  }

  async updateProfile(patch: Partial<Profile>, opts: { makeCurrent?: boolean } = {}): Promise<void> {
    this.config = withProfile(this.config, this.profileName, patch);
    if (opts.makeCurrent) this.config.currentProfile = this.profileName;
    await writeConfig(this.configDir, this.config);
  }

  /** Saves a sign-in to this profile and makes it current; keeps its team only for the same server. */
  async saveSignIn(apiUrl: string, tokens: StoredTokens): Promise<{ credentials: "keychain" | "file"; team?: string }> {
    const previous = this.profile();
    const sameServer = previous?.apiUrl !== undefined && normalizeUrl(previous.apiUrl) === normalizeUrl(apiUrl);
    const team = sameServer ? previous?.team : undefined;
    const credentials = await this.store.set(this.profileName, tokens);
    await this.updateProfile({ apiUrl: normalizeUrl(apiUrl), team }, { makeCurrent: true });
    return { credentials, team };
  }

  storedTokens(): Promise<StoredTokens | undefined> {
    return this.store.get(this.profileName);
  }

  /** The bearer token for the resolved remote API (not the embedded server), refreshed if it expired. */
  async accessToken(): Promise<string | undefined> {
    const { tokenSource } = this.connection;
    if (tokenSource === "env") return this.env.DECO_HOSTING_TOKEN;
    if (tokenSource !== "stored") return undefined;
    const tokens = await this.storedTokens();
    if (!tokens) return undefined;
    this.inUse = tokens.accessToken;
    const expiresAt = tokens.expiresAt ? Date.parse(tokens.expiresAt) : Number.POSITIVE_INFINITY;
    if (tokens.refreshToken && expiresAt - REFRESH_MARGIN_MS <= Date.now()) {
      return (await this.refresh())?.accessToken ?? tokens.accessToken;
    }
    return tokens.accessToken;
  }

  /**
   * Trades the stored refresh token for new tokens; undefined when there is none or it was
   * rejected. Refresh tokens rotate and the server revokes a whole sign-in when a spent one
   * comes back, so processes take turns under a lock and reuse what another one refreshed.
   */
  async refresh(): Promise<StoredTokens | undefined> {
    const apiUrl = this.connection.apiUrl;
    if (this.connection.tokenSource !== "stored" || !apiUrl) return undefined;
    await mkdir(this.configDir, { recursive: true, mode: 0o700 });
    const lockFile = join(this.configDir, `refresh-${encodeURIComponent(this.profileName)}.lock`);
    return withFileLock(
      lockFile,
      async () => {
        const tokens = await this.storedTokens();
        if (!tokens?.refreshToken) return undefined;
        if (this.inUse !== undefined && tokens.accessToken !== this.inUse) {
          this.inUse = tokens.accessToken;
          return tokens;
        }
        try {
          const fresh = await refreshTokens(apiUrl, tokens.refreshToken, this.oauth);
          await this.store.set(this.profileName, fresh);
          this.inUse = fresh.accessToken;
          return fresh;
        } catch (err) {
          if (err instanceof HostingError && err.code === "unauthorized") return undefined;
          throw err;
        }
      },
      { waitMs: 15_000, staleMs: 20_000 },
    );
  }

  /** The hint for a 401, by where the rejected token came from. */
  unauthorizedHint(): string {
    switch (this.connection.tokenSource) {
      case "env":
        return "DECO_HOSTING_TOKEN was rejected (revoked, expired or for another server): set a valid API key, or unset it";
      case "local":
        return `The local server rejected its owner token: delete ${join(this.dataDir, "local-token")} and run \`deco-hosting server stop\`; it writes a new one when it starts`;
      default:
        return this.connection.profileExplicit
          ? `Sign in with \`deco-hosting login --profile ${this.profileName}\``
          : "Sign in with `deco-hosting login`";
    }
  }
}
