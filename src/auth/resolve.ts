// Which API, profile, team and credential a command uses. Pure: the precedence rules live
// here and nowhere else.
//   profile: --profile > DECO_HOSTING_PROFILE > config.currentProfile > "default"
//   API URL: --api-url > DECO_HOSTING_API_URL > the profile's apiUrl > the embedded local server
//   team:    --team > the profile's team > the API's default team for the caller
//   token:   DECO_HOSTING_TOKEN > the profile's stored tokens (only sent to the profile's own
//            API URL) > the local server's owner token (embedded default only)
import type { Env } from "./paths.js";
import { type ConfigFile, DEFAULT_PROFILE, type Profile } from "./profiles.js";

export interface GlobalFlags {
  profile?: string;
  apiUrl?: string;
  team?: string;
}

export type TokenSource = "env" | "stored" | "local" | "none";

export interface Connection {
  profileName: string;
  /** The profile was named by --profile or DECO_HOSTING_PROFILE (not just defaulted). */
  profileExplicit: boolean;
  profile: Profile | undefined;
  /** undefined: use the embedded local server. */
  apiUrl: string | undefined;
  team: string | undefined;
  tokenSource: TokenSource;
}

export function normalizeUrl(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

export function resolveConnection(flags: GlobalFlags, env: Env, config: ConfigFile): Connection {
  const explicit = flags.profile || env.DECO_HOSTING_PROFILE;
  const profileName = explicit || config.currentProfile || DEFAULT_PROFILE;
  const profile = config.profiles[profileName];
  const rawUrl = flags.apiUrl || env.DECO_HOSTING_API_URL || profile?.apiUrl;
  const apiUrl = rawUrl ? normalizeUrl(rawUrl) : undefined;
  let tokenSource: TokenSource = "none";
  if (env.DECO_HOSTING_TOKEN) tokenSource = "env";
  else if (apiUrl === undefined) tokenSource = "local";
  else if (profile?.apiUrl && normalizeUrl(profile.apiUrl) === apiUrl) tokenSource = "stored";
  return {
    profileName,
    profileExplicit: Boolean(explicit),
    profile,
    apiUrl,
    team: flags.team || profile?.team,
    tokenSource,
  };
}
