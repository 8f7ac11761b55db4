// Two ways to reach the hosting API: HTTP (REST under /v1) and a tool caller (the binding's
// tools through any MCP connection, as mesh plugins call them). Browser-safe.
import { type Operation, operations, pathParams } from "./binding.js";
import type { CallOptions, Transport } from "./client.js";
import { HostingError } from "./errors.js";
import { readEventStream, type StreamEvent } from "./sse.js";

/** What the transports read of a fetch response; the global Response is one. */
export interface FetchResponse {
  status: number;
  ok: boolean;
  body: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<FetchResponse>;

export interface HttpTransportOptions {
  baseUrl: string;
  /** Bearer token for each request; called per request so a refreshed token is picked up. */
  getToken?: () => string | undefined | Promise<string | undefined>;
  /** Team slug sent as X-Deco-Team; the API uses the caller's default team without it. */
  team?: string;
  /** Called once on a 401; returning true retries the request (after a token refresh). */
  onUnauthorized?: () => Promise<boolean>;
  fetch?: FetchLike;
  userAgent?: string;
}

/** Builds the URL and body of an operation's REST request from its input. */
export function buildRequest(
  op: Operation,
  input: Record<string, unknown>,
): { path: string; query: URLSearchParams; body?: string } {
  const rest = { ...input };
  let path = op.http.path;
  for (const p of pathParams(path)) {
    path = path.replace(`{${p}}`, encodeURIComponent(String(rest[p] ?? "")));
    delete rest[p];
  }
  const query = new URLSearchParams();
  if (op.http.method === "GET" || op.http.method === "DELETE") {
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) query.set(k, String(v));
    return { path, query };
  }
  return { path, query, body: JSON.stringify(rest) };
}

export function createHttpTransport(opts: HttpTransportOptions): Transport {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const doFetch = opts.fetch ?? ((url, init) => fetch(url, init));

  const headersFor = async (accept: string, contentType?: string): Promise<Record<string, string>> => {
    const headers: Record<string, string> = { accept };
    if (contentType) headers["content-type"] = contentType;
    const token = await opts.getToken?.();
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.team) headers["x-deco-team"] = opts.team;
    if (opts.userAgent) headers["user-agent"] = opts.userAgent;
    return headers;
  };

  const send = async (
    method: string,
    pathAndQuery: string,
    body: () => RequestInit["body"] | undefined,
    contentType: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> => {
    for (let attempt = 0; ; attempt++) {
      const headers = await headersFor("application/json", contentType);
      const init: RequestInit & { duplex?: "half" } = { method, headers, body: body(), signal };
      if (init.body && typeof (init.body as ReadableStream).getReader === "function") init.duplex = "half";
      let res: FetchResponse;
      try {
        res = await doFetch(`${base}${pathAndQuery}`, init);
      } catch (err) {
        throw unreachable(base, err);
      }
      if (res.status === 401 && attempt === 0 && opts.onUnauthorized && (await opts.onUnauthorized())) continue;
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        throw new HostingError("upstream", `${base} answered HTTP ${res.status} with a body that is not JSON`, {
          hint: "Check --api-url: it should point at a deco-hosting server",
        });
      }
      if (!res.ok) throw HostingError.fromBody(parsed, res.status);
      return parsed;
    }
  };

  return {
    call(op, input, callOpts?: CallOptions) {
      const req = buildRequest(op, input);
      const qs = req.query.toString();
      return send(
        op.http.method,
        `${req.path}${qs ? `?${qs}` : ""}`,
        () => req.body,
        req.body === undefined ? undefined : "application/json",
        callOpts?.signal,
      );
    },
    async *stream(op, input, callOpts): AsyncGenerator<StreamEvent> {
      const req = buildRequest(op, input);
      let lastId = req.query.get("since") ?? undefined;
      for (let attempt = 0; ; ) {
        const headers = await headersFor("text/event-stream");
        if (lastId) headers["last-event-id"] = lastId;
        let res: FetchResponse;
        try {
          res = await doFetch(`${base}${req.path}?${req.query}`, { method: "GET", headers, signal: callOpts?.signal });
        } catch (err) {
          if (callOpts?.signal?.aborted || attempt >= 5) throw unreachable(base, err);
          await new Promise((r) => setTimeout(r, 250 * 2 ** attempt++));
          continue;
        }
        if (res.status === 401 && attempt === 0 && opts.onUnauthorized && (await opts.onUnauthorized())) {
          attempt++;
          continue;
        }
        if (!res.ok || !res.body) {
          const text = await res.text();
          throw HostingError.fromBody(text ? JSON.parse(text) : undefined, res.status);
        }
        try {
          for await (const e of readEventStream(res.body)) {
            attempt = 0;
            if (e.id !== undefined) lastId = e.id;
            // The server ends a stream whose credential it no longer accepts.
            if (e.event === "error") throw HostingError.fromBody(e.data, 401);
            yield e;
            if (e.event === "end") return;
          }
        } catch (err) {
          if (callOpts?.signal?.aborted) return;
          if (err instanceof HostingError) throw err;
          if (attempt >= 5) throw unreachable(base, err);
        }
        if (callOpts?.signal?.aborted) return;
        // the stream dropped without an end: resume after the last event we saw
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt++));
      }
    },
    async putBlob(sha256, body, _size, callOpts) {
      const toBody = (): RequestInit["body"] =>
        body instanceof Uint8Array ? (body as Uint8Array<ArrayBuffer>) : body();
      const { path } = buildRequest(operations.UPLOAD_BLOB, { sha256 });
      await send(operations.UPLOAD_BLOB.http.method, path, toBody, "application/octet-stream", callOpts?.signal);
    },
  };
}

export function unreachable(base: string, err: unknown): HostingError {
  if ((err as Error)?.name === "AbortError") return new HostingError("timeout", "the request was aborted");
  const cause = (err as { cause?: { code?: string } })?.cause?.code ?? (err as Error)?.message ?? String(err);
  return new HostingError("unavailable", `cannot reach the hosting API at ${base} (${cause})`, {
    hint: "Is the server running? Check --api-url or DECO_HOSTING_API_URL, or run `deco-hosting server status`",
  });
}

/** What an MCP `tools/call` answers (the subset we read). */
export interface ToolResult {
  isError?: boolean;
  structuredContent?: unknown;
  content?: Array<{ type: string; text?: string }>;
}

export type ToolCaller = (name: string, args: Record<string, unknown>, opts?: CallOptions) => Promise<ToolResult>;

export function createToolCallerTransport(callTool: ToolCaller): Transport {
  return {
    async call(op, input, callOpts) {
      const result = await callTool(op.name, input, callOpts);
      let data = result.structuredContent;
      if (data === undefined) {
        const text = result.content?.find((c) => c.type === "text")?.text;
        try {
          data = text ? JSON.parse(text) : undefined;
        } catch {
          data = { error: { code: "upstream", message: text ?? "tool returned no content" } };
        }
      }
      if (result.isError) throw HostingError.fromBody(data);
      return data;
    },
  };
}
