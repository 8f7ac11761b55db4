// The server's bridge into one app's network namespace: started by the server with nsenter,
// it joins only that namespace (not the app's pid or mount namespace, nor its uid), and on
// each request over the IPC channel connects to the app's port and hands the connected
// socket back, so the edge talks to the app directly while nothing else can reach it.
// An app that ignores $PORT and listens on one other port is reached there: the namespace
// is the app's alone, so the one port listening in it is the app's.
// Plain JavaScript with no imports but Node's, run as it is from the package.
import { readFileSync } from "node:fs";
import { connect } from "node:net";

const wanted = Number(process.env.PORT);
let port = wanted;

/** TCP ports listening in this network namespace (/proc/net is the reader's namespace's). */
function listening() {
  const ports = new Set();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const [, local = "", , state] = line.trim().split(/\s+/);
      if (state === "0A") ports.add(Number.parseInt(local.split(":").pop() ?? "", 16));
    }
  }
  return [...ports].filter((p) => p > 0);
}

function attempt(id, retried) {
  const socket = connect(port, "127.0.0.1");
  socket.once("connect", () => {
    socket.removeAllListeners("error");
    process.send({ id }, socket);
  });
  socket.once("error", (error) => {
    const others = error.code === "ECONNREFUSED" && !retried ? listening().filter((p) => p !== port) : [];
    if (others.length === 1) {
      port = others[0];
      return attempt(id, true);
    }
    process.send({ id, error: error.code ?? "ECONNREFUSED" });
  });
}

process.on("disconnect", () => process.exit(0));
process.on("message", (message) => {
  const id = message?.id;
  if (Number.isInteger(id)) attempt(id, false);
});
process.send({ ready: true });
