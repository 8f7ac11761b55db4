// Starts the real hosting server on an ephemeral port with a throwaway data dir.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostingClient } from "../../src/api/client.js";
import { createHttpTransport } from "../../src/api/transports.js";
import { type StartServerOptions, startServer } from "../../src/server/index.js";
import type { Isolation } from "../../src/server/platform/local/sandbox.js";

export interface TestServer {
  url: string;
  /** The edge, where sites answer: `http://127.0.0.1:<edgePort>`. */
  edgeUrl: string;
  edgePort: number;
  dataDir: string;
  /** An owner API key of the `default` team. */
  ownerToken: string;
  /** The first owner's one-time browser sign-in link. */
  signInUrl: string;
  isolation: Isolation;
  close(): Promise<void>;
}

export async function startTestServer(
  opts: Partial<Omit<StartServerOptions, "dataDir" | "port" | "localTokenFile">> = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "deco-hosting-test-"));
  const localTokenFile = join(dataDir, "local-token");
  try {
    const server = await startServer({ log: () => {}, ...opts, dataDir, port: 0, localTokenFile });
    const ownerToken = (await readFile(localTokenFile, "utf8")).trim();
    return {
      url: server.url,
      edgeUrl: server.edgeUrl,
      edgePort: server.edgePort,
      dataDir,
      ownerToken,
      signInUrl: server.firstRunSignInUrl ?? "",
      isolation: server.isolation,
      async close() {
        try {
          await server.close();
        } finally {
          await rm(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** An SDK client for the test server, acting with `token` (and on `team`, when given). */
export function clientFor(url: string, token: string | undefined, team?: string): HostingClient {
  return new HostingClient(createHttpTransport({ baseUrl: url, getToken: () => token, team }));
}
