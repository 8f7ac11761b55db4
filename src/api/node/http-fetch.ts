// The subset of fetch the SDK's transports use, over node:http. The CLI uses it because
// the global fetch loads Node's bundled undici on first use (about 45 ms of every command's
// start-up here); this loads nothing that node:http has not. Node-only.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { FetchLike, FetchResponse } from "../transports.js";

export const nodeFetch: FetchLike = (url, init = {}) =>
  new Promise<FetchResponse>((resolve, reject) => {
    const target = new URL(url);
    const request = target.protocol === "https:" ? httpsRequest : httpRequest;
    const signal = init.signal ?? undefined;
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const req = request(
      target,
      { method: init.method ?? "GET", headers: init.headers as Record<string, string> },
      (res) => {
        let stream: ReadableStream<Uint8Array> | null = null;
        const status = res.statusCode ?? 0;
        const text = async () => {
          const chunks: Buffer[] = [];
          for await (const chunk of res) chunks.push(chunk as Buffer);
          return Buffer.concat(chunks).toString("utf8");
        };
        resolve({
          status,
          ok: status >= 200 && status < 300,
          get body() {
            stream ??= Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
            return stream;
          },
          text,
          json: async () => JSON.parse(await text()),
        });
      },
    );
    const onAbort = () => req.destroy(abortError());
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("close", () => signal?.removeEventListener("abort", onAbort));
    req.on("error", (err) => reject(err.name === "AbortError" ? err : new TypeError("fetch failed", { cause: err })));
    const body = init.body;
    if (body === undefined || body === null) req.end();
    else if (typeof body === "string" || body instanceof Uint8Array) req.end(body);
    else if (typeof (body as ReadableStream).getReader === "function") {
      Readable.fromWeb(body as unknown as NodeReadableStream<Uint8Array>)
        .on("error", (err) => req.destroy(err))
        .pipe(req);
    } else reject(new TypeError("nodeFetch: unsupported body"));
  });

function abortError(): Error {
  const err = new Error("the request was aborted");
  err.name = "AbortError";
  return err;
}
