import { request } from "node:http";

export interface EdgeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** Calls the edge on 127.0.0.1 with an explicit Host header (Node does not resolve *.localhost). */
export function fetchEdge(
  port: number,
  host: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<EdgeResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host, ...init.headers };
    if (init.body !== undefined) headers["content-length"] ??= String(Buffer.byteLength(init.body));
    const req = request(
      { host: "127.0.0.1", port, path, method: init.method ?? "GET", headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString("utf8") });
        });
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

/** Fetches a site URL such as `http://abc--web.localhost:4701/about` through 127.0.0.1. */
export function fetchSiteUrl(
  url: string,
  path = "",
  init: Parameters<typeof fetchEdge>[3] = {},
): Promise<EdgeResponse> {
  const u = new URL(url);
  return fetchEdge(Number(u.port || 80), u.host, `${u.pathname.replace(/\/$/, "")}${path || ""}` || "/", init);
}
