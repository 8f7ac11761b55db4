// A dependency-free Node server: the platform sets PORT; it must answer on it.
import { randomUUID } from "node:crypto";
import http from "node:http";

const port = Number(process.env.PORT ?? 3000);
const started = new Date().toISOString();
// Which process answered: a pid repeats across sandboxes (each has its own pid namespace).
const instance = randomUUID();
let hits = 0;

const server = http.createServer((req, res) => {
  hits++;
  console.log(`${req.method} ${req.url}`);
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true }));
    return;
  }
  if (req.url === "/crash") {
    console.error("crashing on purpose");
    res.end("bye\n");
    setImmediate(() => process.exit(1));
    return;
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ hello: "from a Node server on deco-hosting", instance, started, hits }));
});

server.listen(port, process.env.HOST ?? "127.0.0.1", () => console.log(`listening on ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
