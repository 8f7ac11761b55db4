// login, logout, whoami.
import type { Command } from "commander";
import { HostingError } from "../api/errors.js";
import type { Whoami } from "../api/schemas.js";
import type { OAuthDeps } from "../auth/device-flow.js";
import type { Session } from "../auth/session.js";
import type { ClientDeps, CommandContext } from "./context.js";
import type { Output } from "./output.js";

export function register(program: Command, ctx: CommandContext): void {
  program
    .command("login")
    .description("Sign in to a hosting server in the browser (OAuth device flow) and save the profile")
    .addHelpText(
      "after",
      "\nThe server comes from --api-url, DECO_HOSTING_API_URL or the profile. The local server needs no sign-in.",
    )
    .action(async (_opts, cmd: Command) => {
      const [session, out] = await Promise.all([ctx.session(cmd), ctx.output(cmd)]);
      await runLogin({}, { session, out, openBrowser: defaultOpenBrowser });
    });
  program
    .command("logout")
    .description("Revoke this profile's sign-in on the server and delete the stored credentials")
    .action(async (_opts, cmd: Command) => {
      const [session, out] = await Promise.all([ctx.session(cmd), ctx.output(cmd)]);
      await runLogout({}, { session, out });
    });
  program
    .command("whoami")
    .description("Show who you are signed in as, on which team and server")
    .action(async (_opts, cmd: Command) => {
      const [session, deps] = await Promise.all([ctx.session(cmd), ctx.clientDeps(cmd)]);
      await runWhoami({}, { ...deps, session });
    });
}

async function defaultOpenBrowser(url: string): Promise<void> {
  const { default: open } = await import("open");
  await open(url);
}

export interface LoginDeps {
  session: Session;
  out: Output;
  /** Opens the verification page; only called when the terminal is interactive. */
  openBrowser?: (url: string) => Promise<void>;
  oauth?: OAuthDeps;
}

export async function runLogin(_opts: object, { session, out, openBrowser, oauth }: LoginDeps): Promise<void> {
  const apiUrl = session.connection.apiUrl;
  if (!apiUrl) {
    throw new HostingError("invalid_input", "no hosting server to sign in to (the local server needs no sign-in)", {
      hint: "Pass --api-url <url> of your deco-hosting server, or set DECO_HOSTING_API_URL",
    });
  }
  if (out.terminal.ci) {
    // the device flow waits for a person to approve a code in a browser: in CI it would only time out
    throw new HostingError("invalid_input", "cannot sign in from CI: nobody is there to approve the code", {
      hint: "Set DECO_HOSTING_TOKEN to an API key (created with `deco-hosting tokens create`) and DECO_HOSTING_API_URL",
    });
  }
  const { requestDeviceCode, pollForToken } = await import("../auth/device-flow.js");
  const code = await out.spin(`Asking ${apiUrl} for a sign-in code`, () => requestDeviceCode(apiUrl, oauth));
  out.event({
    event: "device_code",
    userCode: code.userCode,
    verificationUri: code.verificationUri,
    verificationUriComplete: code.verificationUriComplete,
    expiresIn: code.expiresIn,
  });
  out.note(`Open ${out.style("cyan", code.verificationUri)} and enter the code ${out.style("bold", code.userCode)}`);
  if (openBrowser && out.terminal.canPrompt && !out.json) {
    await openBrowser(code.verificationUriComplete).then(
      () => out.note(out.style("dim", "(opened in your browser)")),
      () => undefined,
    );
  }
  const tokens = await out.spin("Waiting for you to approve the code in the browser", () =>
    pollForToken(apiUrl, code, oauth),
  );

  const { clientFor } = await import("./connect.js");
  const me = await clientFor(apiUrl, tokens.accessToken).whoami();
  const saved = await session.saveSignIn(apiUrl, tokens);
  const team = saved.team ?? me.team.slug;
  out.result({ profile: session.profileName, apiUrl, user: me.user, team, credentials: saved.credentials }, (r) =>
    out.success(`Signed in to ${r.apiUrl} as ${r.user.email} (team ${r.team}, profile ${r.profile})`),
  );
}

export async function runLogout(_opts: object, { session, out }: { session: Session; out: Output }): Promise<void> {
  const profile = session.profileName;
  const apiUrl = session.profile()?.apiUrl ?? null;
  const tokens = await session.storedTokens();
  let revoked = false;
  if (tokens?.refreshToken && apiUrl) {
    const { revokeToken } = await import("../auth/device-flow.js");
    try {
      await revokeToken(apiUrl, tokens.refreshToken);
      revoked = true;
    } catch (err) {
      out.note(
        `Warning: could not revoke the sign-in on ${apiUrl} (${(err as Error).message}); deleting it here anyway`,
      );
    }
  }
  if (tokens) await session.store.delete(profile);
  out.result({ profile, apiUrl, signedOut: tokens !== undefined, revoked }, (r) =>
    r.signedOut
      ? out.success(`Signed out of ${r.apiUrl ?? "the server"} (profile ${r.profile})`)
      : `Not signed in (profile ${r.profile})`,
  );
}

export async function runWhoami(
  _opts: object,
  { client, out, apiUrl, session }: ClientDeps & { session: Session },
): Promise<void> {
  const me: Whoami = await client.whoami();
  out.result({ ...me, apiUrl, profile: session.profileName }, (r) =>
    out.fields([
      ["User", `${r.user.name} <${r.user.email}>`],
      ["Team", `${r.team.slug} (${r.team.role})`],
      ["Via", r.via],
      ["Server", r.apiUrl],
      ["Profile", r.profile],
    ]),
  );
}
