// Builds the SDK client a command talks through: the resolved remote API with its token
// (refreshed on 401), or the embedded local server with its owner token.
import { HostingClient } from "../api/client.js";
import { HostingError } from "../api/errors.js";
import { nodeFetch } from "../api/node/http-fetch.js";
import { createHttpTransport } from "../api/transports.js";
import { ensureLocalServer, localServerPaths, readLocalToken } from "../auth/local-server.js";
import type { Session } from "../auth/session.js";
import { CLI_VERSION } from "./version.js";

export interface Connected {
  client: HostingClient;
  apiUrl: string;
}

export interface ConnectOptions {
  onLocalStart?: () => void;
  /** Send no X-Deco-Team (the API's default team), e.g. to switch away from a team that is gone. */
  withoutTeam?: boolean;
}

export async function connect(session: Session, opts: ConnectOptions = {}): Promise<Connected> {
  const { connection } = session;
  let apiUrl = connection.apiUrl;
  let getToken = () => session.accessToken();
  if (apiUrl === undefined) {
    const paths = localServerPaths(session.dataDir);
    const { state } = await ensureLocalServer(paths, { onStart: opts.onLocalStart });
    apiUrl = state.url;
    if (connection.tokenSource === "local") {
      const token = await readLocalToken(paths);
      getToken = async () => token;
    }
  }
  const transport = createHttpTransport({
    baseUrl: apiUrl,
    getToken,
    team: opts.withoutTeam ? undefined : connection.team,
    onUnauthorized: async () => (await session.refresh()) !== undefined,
    fetch: nodeFetch,
    userAgent: `deco-hosting-cli/${CLI_VERSION}`,
  });
  // uploads and streams pass through; a rejected call gets a hint about where its token came from
  const hinted: typeof transport = {
    ...transport,
    async call(...args: Parameters<typeof transport.call>) {
      try {
        return await transport.call(...args);
      } catch (err) {
        // our hint knows where the rejected token came from; the server's cannot
        if (err instanceof HostingError && err.code === "unauthorized") {
          throw new HostingError(err.code, err.message, {
            hint: session.unauthorizedHint(),
            details: err.details,
            status: err.status,
          });
        }
        throw err;
      }
    },
  };
  return { client: new HostingClient(hinted), apiUrl };
}

/** A client for one API URL and token, outside any profile (e.g. right after login). */
export function clientFor(apiUrl: string, token: string): HostingClient {
  return new HostingClient(createHttpTransport({ baseUrl: apiUrl, getToken: () => token, fetch: nodeFetch }));
}
