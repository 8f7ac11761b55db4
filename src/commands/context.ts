// What a command's action gets from the CLI: its output object, the session (profile,
// credentials) and an SDK client. Everything behind these loads lazily, on first use, so
// registering commands (and `--help`) costs nothing but commander.
import type { Command } from "commander";
import type { HostingClient } from "../api/client.js";
import type { Session } from "../auth/session.js";
import { EXIT } from "./exit-codes.js";
import type { Output } from "./output.js";

export interface GlobalOptions {
  json?: boolean;
  profile?: string;
  team?: string;
  apiUrl?: string;
}

export interface ClientDeps {
  client: HostingClient;
  out: Output;
  /** The API the client talks to (the local server's URL in the embedded default). */
  apiUrl: string;
}

export interface CommandContext {
  readonly env: NodeJS.ProcessEnv;
  output(cmd: Command): Promise<Output>;
  session(cmd: Command): Promise<Session>;
  /** The SDK client and output; starts the embedded local server when no API is configured. */
  clientDeps(cmd: Command, opts?: { withoutTeam?: boolean }): Promise<ClientDeps>;
  /** Replaces the default Ctrl-C behaviour (exit 130), e.g. to shut a server down cleanly. */
  onInterrupt(handler: () => void): void;
}

export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function createContext(env: NodeJS.ProcessEnv = process.env): CommandContext & { interrupt(): void } {
  let output: Promise<Output> | undefined;
  let session: Promise<Session> | undefined;
  let interruptHandler: (() => void) | undefined;
  const ctx = {
    env,
    output(cmd: Command) {
      output ??= import("./output.js").then(
        ({ Output, detectTerminal }) =>
          new Output({ json: Boolean(globalsOf(cmd).json), terminal: detectTerminal(env) }),
      );
      return output;
    },
    session(cmd: Command) {
      const { profile, apiUrl, team } = globalsOf(cmd);
      session ??= import("../auth/session.js").then(({ Session }) => Session.open({ profile, apiUrl, team }, env));
      return session;
    },
    async clientDeps(cmd: Command, opts: { withoutTeam?: boolean } = {}) {
      const [out, s, { connect }] = await Promise.all([ctx.output(cmd), ctx.session(cmd), import("./connect.js")]);
      const onLocalStart = () =>
        out.note(out.style("dim", `Starting the local deco-hosting server (data in ${s.dataDir})…`));
      const { client, apiUrl } = await connect(s, { onLocalStart, withoutTeam: opts.withoutTeam });
      return { client, out, apiUrl };
    },
    onInterrupt(handler: () => void) {
      interruptHandler = handler;
    },
    interrupt() {
      if (interruptHandler) interruptHandler();
      else process.exit(EXIT.interrupted);
    },
  };
  return ctx;
}
