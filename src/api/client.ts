// HostingClient: one method per operation of the binding, over any transport.
// Browser-safe: no Node imports.
import {
  type InputOf,
  type Operation,
  type OperationName,
  type Operations,
  type OutputOf,
  operations,
} from "./binding.js";
import { HostingError } from "./errors.js";
import type { DeploymentState, LogEntry } from "./schemas.js";
import type { StreamEvent } from "./sse.js";
import { parseWith } from "./validate.js";

export interface Transport {
  call(op: Operation, input: Record<string, unknown>, opts?: CallOptions): Promise<unknown>;
  /** Follows an operation's Server-Sent Events, resuming after drops (HTTP transport only). */
  stream?(op: Operation, input: Record<string, unknown>, opts?: CallOptions): AsyncIterable<StreamEvent>;
  /** Uploads one file's bytes, named by their SHA-256 (HTTP transport only). */
  putBlob?(sha256: string, body: BlobBody, size: number, opts?: CallOptions): Promise<void>;
}

/** Bytes of a blob: a buffer, or a factory of streams so a failed upload can be retried. */
export type BlobBody = Uint8Array | (() => ReadableStream<Uint8Array>);

export interface CallOptions {
  signal?: AbortSignal;
}

type Camel<S extends string> = S extends `${infer A}_${infer B}`
  ? `${Lowercase<A>}${Capitalize<Camel<B>>}`
  : Lowercase<S>;

export type ClientMethods = {
  [N in OperationName as Camel<N>]: (
    ...args: {} extends InputOf<N> ? [input?: InputOf<N>, opts?: CallOptions] : [input: InputOf<N>, opts?: CallOptions]
  ) => Promise<OutputOf<N>>;
};

export function methodName(opName: string): string {
  return opName.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

class HostingClientImpl {
  constructor(readonly transport: Transport) {
    for (const op of Object.values(operations) as Operation[]) {
      (this as Record<string, unknown>)[methodName(op.name)] = (input?: unknown, opts?: CallOptions) =>
        this.call(op.name as OperationName, (input ?? {}) as never, opts);
    }
  }

  async putBlob(sha256: string, body: BlobBody, size: number, opts?: CallOptions): Promise<void> {
    if (!this.transport.putBlob) {
      throw new HostingError("not_implemented", "this connection cannot upload files", {
        hint: "Deploy a local directory over HTTP (the CLI or `deco-hosting mcp`), or deploy from git",
      });
    }
    await this.transport.putBlob(sha256, body, size, opts);
  }

  /**
   * Yields a deployment's log entries as they are written: build logs (ending when its
   * pipeline is over) or runtime logs (until `signal` aborts). Over HTTP this is one SSE
   * stream; over a tool caller it polls.
   */
  async *followLogs(
    kind: "build" | "runtime",
    deploymentId: string,
    opts: { since?: string; signal?: AbortSignal; pollMs?: number } = {},
  ): AsyncGenerator<LogEntry | { end: DeploymentState | null }> {
    const name = kind === "build" ? "GET_BUILD_LOGS" : "GET_DEPLOYMENT_LOGS";
    const op = operations[name] as Operation;
    const input = { deploymentId, limit: 1000, ...(opts.since ? { since: opts.since } : {}) };
    if (this.transport.stream) {
      for await (const e of this.transport.stream(op, input, { signal: opts.signal })) {
        if (e.event === "end") {
          yield { end: (e.data as { state?: DeploymentState }).state ?? null };
          return;
        }
        yield e.data as LogEntry;
      }
      return;
    }
    let since = opts.since;
    while (!opts.signal?.aborted) {
      const page = await this.call(name, { ...input, ...(since ? { since } : {}) }, { signal: opts.signal });
      for (const entry of page.entries) yield entry;
      since = page.nextSince ?? since;
      if (page.entries.length === 0 && kind === "build") {
        const d = await this.call("GET_DEPLOYMENT", { deploymentId }, { signal: opts.signal });
        if (!["queued", "building", "deploying"].includes(d.state)) {
          yield { end: d.state };
          return;
        }
      }
      if (page.entries.length < 1000) await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
    }
  }

  /** Calls an operation by its tool name; the input is validated before it is sent. */
  async call<N extends OperationName>(name: N, input: InputOf<N>, opts?: CallOptions): Promise<OutputOf<N>> {
    const op = operations[name] as Operation;
    const parsed = parseWith(op.input, input, `input for ${name}`) as Record<string, unknown>;
    return (await this.transport.call(op, parsed, opts)) as OutputOf<N>;
  }
}

export type HostingClient = HostingClientImpl & ClientMethods;
export const HostingClient = HostingClientImpl as unknown as new (transport: Transport) => HostingClient;
export type { Operations };
