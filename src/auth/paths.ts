// Where the CLI keeps things, per the XDG base directory spec.
import { homedir } from "node:os";
import { join } from "node:path";

export type Env = Record<string, string | undefined>;

/** `$XDG_CONFIG_HOME/deco-hosting` (default ~/.config/deco-hosting): profiles and the credentials file. */
export function configDir(env: Env = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "deco-hosting");
}

/** `$XDG_DATA_HOME/deco-hosting` (default ~/.local/share/deco-hosting): the local server's data. */
export function dataDir(env: Env = process.env): string {
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "deco-hosting");
}
