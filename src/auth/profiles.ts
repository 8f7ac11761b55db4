// Profiles: `config.json` in the config dir, `{ currentProfile, profiles: { [name]: { apiUrl, team? } } }`.
// A profile without apiUrl means the embedded local server.
import { join } from "node:path";
import { readJson, writeJsonAtomic } from "./files.js";

export interface Profile {
  apiUrl?: string;
  team?: string;
}

export interface ConfigFile {
  currentProfile?: string;
  profiles: Record<string, Profile>;
}

export const DEFAULT_PROFILE = "default";

export function configPath(dir: string): string {
  return join(dir, "config.json");
}

export async function readConfig(dir: string): Promise<ConfigFile> {
  const raw = await readJson<Partial<ConfigFile>>(configPath(dir));
  return { currentProfile: raw?.currentProfile, profiles: raw?.profiles ?? {} };
}

export async function writeConfig(dir: string, config: ConfigFile): Promise<void> {
  await writeJsonAtomic(configPath(dir), config, 0o600);
}

/** A copy of `config` with `name` patched (undefined fields removed). */
export function withProfile(config: ConfigFile, name: string, patch: Partial<Profile>): ConfigFile {
  const merged: Profile = { ...config.profiles[name], ...patch };
  for (const key of Object.keys(merged) as Array<keyof Profile>) if (merged[key] === undefined) delete merged[key];
  return { ...config, profiles: { ...config.profiles, [name]: merged } };
}
