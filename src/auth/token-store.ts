// Where a profile's OAuth tokens live: the OS keychain (service `deco-hosting`, account =
// profile name) or, when no keychain answers (headless Linux) or DECO_HOSTING_KEYCHAIN=off,
// a 0600 `credentials.json` in the config dir.
import { join } from "node:path";
import { readJson, writeJsonAtomic } from "./files.js";
import type { Env } from "./paths.js";

export interface StoredTokens {
  accessToken: string;
  refreshToken?: string;
  /** ISO timestamp after which the access token is no longer accepted. */
  expiresAt?: string;
}

export interface TokenStore {
  get(profile: string): Promise<StoredTokens | undefined>;
  set(profile: string, tokens: StoredTokens): Promise<"keychain" | "file">;
  delete(profile: string): Promise<void>;
}

const SERVICE = "deco-hosting";

interface Keychain {
  get(account: string): Promise<string | undefined>;
  set(account: string, value: string): Promise<void>;
  delete(account: string): Promise<void>;
}

async function loadKeychain(): Promise<Keychain | undefined> {
  try {
    const { AsyncEntry } = await import("@napi-rs/keyring");
    return {
      get: async (account) => (await new AsyncEntry(SERVICE, account).getPassword()) ?? undefined,
      set: (account, value) => new AsyncEntry(SERVICE, account).setPassword(value),
      delete: async (account) => {
        await new AsyncEntry(SERVICE, account).deleteCredential();
      },
    };
  } catch {
    return undefined;
  }
}

export function credentialsPath(dir: string): string {
  return join(dir, "credentials.json");
}

function fileStore(dir: string) {
  const path = credentialsPath(dir);
  const readAll = async () => (await readJson<Record<string, StoredTokens>>(path)) ?? {};
  return {
    get: async (profile: string) => (await readAll())[profile],
    async set(profile: string, tokens: StoredTokens) {
      await writeJsonAtomic(path, { ...(await readAll()), [profile]: tokens }, 0o600);
    },
    async delete(profile: string) {
      const all = await readAll();
      if (!(profile in all)) return;
      delete all[profile];
      await writeJsonAtomic(path, all, 0o600);
    },
  };
}

function parseTokens(text: string | undefined): StoredTokens | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as StoredTokens;
    return typeof v.accessToken === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

export function createTokenStore(opts: { configDir: string; env?: Env }): TokenStore {
  const file = fileStore(opts.configDir);
  const keychainOff = (opts.env ?? process.env).DECO_HOSTING_KEYCHAIN === "off";
  let keychain: Promise<Keychain | undefined> | undefined;
  const getKeychain = () => {
    if (keychainOff) return Promise.resolve(undefined);
    keychain ??= loadKeychain();
    return keychain;
  };
  return {
    async get(profile) {
      const kc = await getKeychain();
      const fromKeychain = kc ? parseTokens(await kc.get(profile).catch(() => undefined)) : undefined;
      return fromKeychain ?? (await file.get(profile));
    },
    async set(profile, tokens) {
      const kc = await getKeychain();
      if (kc) {
        try {
          await kc.set(profile, JSON.stringify(tokens));
          await file.delete(profile);
          return "keychain";
        } catch {
          // no keychain answers (e.g. headless Linux): fall back to the 0600 file
        }
      }
      await file.set(profile, tokens);
      return "file";
    },
    async delete(profile) {
      const kc = await getKeychain();
      if (kc) await kc.delete(profile).catch(() => undefined);
      await file.delete(profile);
    },
  };
}
