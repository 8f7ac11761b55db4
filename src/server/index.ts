// `deco-hosting server`: the hosting API on one port, state in `<dataDir>/hosting.db`.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";
import { createAdaptorServer } from "@hono/node-server";
import { HostingError } from "../api/errors.js";
import type { ServerContext } from "./context.js";
import { lockDataDir, secureDataDir } from "./data-dir.js";
import { type DeployOptions, type DeployServices, startDeployServices } from "./deploy/services.js";
import { bootstrapOwner, DEFAULT_OWNER_EMAIL, ensureLocalToken } from "./first-run.js";
import { createApp } from "./http/app.js";
import { isDiskFull } from "./http/errors.js";
import type { Isolation } from "./platform/local/sandbox.js";
import { type Db, openDatabase } from "./store/db.js";

export interface StartServerOptions extends DeployOptions {
  dataDir: string;
  /** 0 picks a free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Base URL people reach this server at (links, verification URI). Default: the listening URL. */
  publicUrl?: string;
  /** Email of the owner created on first start. Default owner@localhost. */
  ownerEmail?: string;
  /** When set and missing, an owner API key of the first team is written there (0600). */
  localTokenFile?: string;
  /** When set, `{pid, url, port, dataDir, startedAt}` is written there while the server runs. */
  stateFile?: string;
  /** How long a device code lives. Default 600. */
  deviceCodeTtlSeconds?: number;
  /** The least seconds between token polls of one device code. Default 5. */
  devicePollIntervalSeconds?: number;
  /** How long a spent refresh token is still honoured for its client (concurrent refreshes). Default 10. */
  refreshReuseGraceSeconds?: number;
  /** Where the server's own lines go (first-run link, internal errors). Default stderr. */
  log?: (line: string) => void;
}

export interface RunningServer {
  /** The URL the server listens on. */
  url: string;
  /** The URL links and the device flow are built from (publicUrl, or url). */
  publicUrl: string;
  port: number;
  /** Where sites are served: `<site>.localhost:<edgePort>`. */
  edgeUrl: string;
  edgePort: number;
  /** The first owner's one-time sign-in link, only on the first start of a data dir. */
  firstRunSignInUrl: string | null;
  /** How tenant code is kept in. */
  isolation: Isolation;
  close(): Promise<void>;
}

export interface ServerState {
  pid: number;
  url: string;
  port: number;
  edgePort: number;
  dataDir: string;
  startedAt: string;
  isolation: Isolation;
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  try {
    return await startServerOn(opts);
  } catch (err) {
    // On a full disk the server does not start half-way: it says so and stops.
    if (isDiskFull(err)) {
      throw new HostingError("insufficient_storage", `the disk of ${opts.dataDir} is full; the server did not start`, {
        hint: "Free space there, then start the server again",
      });
    }
    throw err;
  }
}

async function startServerOn(opts: StartServerOptions): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const host = opts.host ?? "127.0.0.1";
  secureDataDir(opts.dataDir);
  const unlock = lockDataDir(opts.dataDir);
  let db: Db;
  try {
    db = await openDatabase(opts.dataDir);
  } catch (err) {
    unlock();
    throw err;
  }
  let deploy: DeployServices;
  try {
    deploy = await startDeployServices(db, opts.dataDir, opts);
  } catch (err) {
    await db.destroy();
    unlock();
    throw err;
  }
  const context: ServerContext = {
    db,
    publicUrl: "",
    deviceGrant: {
      ttlSeconds: opts.deviceCodeTtlSeconds ?? 600,
      intervalSeconds: opts.devicePollIntervalSeconds ?? 5,
      refreshReuseGraceMs: (opts.refreshReuseGraceSeconds ?? 10) * 1000,
      verificationUri: "",
    },
    log,
    deploy,
  };
  let http: Server;
  try {
    // A client gets this long for its headers, and for its whole request (a large blob upload
    // included); slower ones are cut, so half-open connections cannot pile up.
    http = createAdaptorServer({
      fetch: createApp(context).fetch,
      serverOptions: { headersTimeout: 20_000, requestTimeout: 600_000, connectionsCheckingInterval: 5_000 },
    }) as Server;
    await listen(http, opts.port ?? 0, host);
  } catch (err) {
    await deploy.close();
    await db.destroy();
    unlock();
    throw err;
  }
  const port = (http.address() as AddressInfo).port;
  const url = `http://${urlHost(host)}:${port}`;
  context.publicUrl = (opts.publicUrl ?? url).replace(/\/+$/, "");
  context.deviceGrant.verificationUri = `${context.publicUrl}/device`;

  let firstRunSignInUrl: string | null = null;
  try {
    firstRunSignInUrl = await bootstrapOwner(db, {
      ownerEmail: opts.ownerEmail ?? DEFAULT_OWNER_EMAIL,
      publicUrl: context.publicUrl,
    });
    if (firstRunSignInUrl)
      log(`First start: sign in as the owner with this one-time link (valid 24 h): ${firstRunSignInUrl}`);
    if (opts.localTokenFile && (await ensureLocalToken(db, opts.localTokenFile))) {
      log(`Wrote an owner API key to ${opts.localTokenFile}`);
    }
    if (opts.stateFile)
      writeState(opts.stateFile, {
        pid: process.pid,
        url,
        port,
        edgePort: deploy.edge.port,
        dataDir: opts.dataDir,
        startedAt: new Date().toISOString(),
        isolation: deploy.sandbox.isolation,
      });
  } catch (err) {
    await stop(http);
    await deploy.close();
    await db.destroy();
    unlock();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    publicUrl: context.publicUrl,
    port,
    edgeUrl: deploy.edge.url,
    edgePort: deploy.edge.port,
    firstRunSignInUrl,
    isolation: deploy.sandbox.isolation,
    close() {
      closing ??= (async () => {
        await stop(http);
        await deploy.close();
        await db.destroy();
        if (opts.stateFile) rmSync(opts.stateFile, { force: true });
        unlock();
      })();
      return closing;
    },
  };
}

function listen(http: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
}

function stop(http: Server): Promise<void> {
  return new Promise((resolve) => {
    http.close(() => resolve());
    // Idle keep-alive connections would hold close() open until they time out.
    http.closeAllConnections();
  });
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

function writeState(file: string, state: ServerState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
