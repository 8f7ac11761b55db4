// Server-Sent Events as a plain Response: `id:` lines carry resumable cursors, a comment
// every 15 s keeps proxies from closing an idle stream, the caller's credential is checked
// again every few seconds (a revoked token ends the stream with an `error` event), and the
// producer's cleanup runs when the client goes away or the producer ends the stream.
export interface SseEvent {
  id?: string;
  event?: string;
  data: unknown;
}

export type SseProducer = (send: (e: SseEvent) => void, end: () => void) => (() => void) | undefined;

const HEARTBEAT_MS = 15_000;
const RECHECK_MS = 5_000;

export function wantsEventStream(request: Request): boolean {
  return (request.headers.get("accept") ?? "").includes("text/event-stream");
}

export function sseResponse(signal: AbortSignal, stillAllowed: () => Promise<boolean>, produce: SseProducer): Response {
  const encoder = new TextEncoder();
  let cleanup: (() => void) | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let recheck: NodeJS.Timeout | undefined;
  let closed = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const finish = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        clearInterval(recheck);
        cleanup?.();
        signal.removeEventListener("abort", finish);
        try {
          controller.close();
        } catch {
          // already closed by a cancel
        }
      };
      const send = (e: SseEvent) => {
        if (closed) return;
        let frame = "";
        if (e.id !== undefined) frame += `id: ${e.id}\n`;
        if (e.event !== undefined) frame += `event: ${e.event}\n`;
        frame += `data: ${JSON.stringify(e.data)}\n\n`;
        controller.enqueue(encoder.encode(frame));
      };
      heartbeat = setInterval(() => !closed && controller.enqueue(encoder.encode(": keep-alive\n\n")), HEARTBEAT_MS);
      recheck = setInterval(() => {
        void stillAllowed().then((ok) => {
          if (ok || closed) return;
          const error = {
            code: "unauthorized",
            message: "the credential of this stream was revoked or expired",
            hint: "Sign in again with `deco-hosting login`, or use a valid DECO_HOSTING_TOKEN",
          };
          send({ event: "error", data: { error } });
          finish();
        });
      }, RECHECK_MS);
      signal.addEventListener("abort", finish, { once: true });
      controller.enqueue(encoder.encode("retry: 1000\n\n"));
      cleanup = produce(send, finish);
      if (closed) cleanup?.();
    },
    cancel() {
      closed = true;
      clearInterval(heartbeat);
      clearInterval(recheck);
      cleanup?.();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
}
