// The server's bridge into one app's network namespace: started by the server with nsenter,
// it joins only that namespace (not the app's pid or mount namespace, nor its uid), and on
// each request over the IPC channel connects to the app's port and hands the connected
// socket back, so the edge talks to the app directly while nothing else can reach it.
// Plain JavaScript with no imports but Node's, run as it is from the package.
import { connect } from "node:net";

const port = Number(process.env.PORT);
process.on("disconnect", () => process.exit(0));
process.on("message", (message) => {
  const id = message?.id;
  if (!Number.isInteger(id)) return;
  const socket = connect(port, "127.0.0.1");
  socket.once("connect", () => {
    socket.removeAllListeners("error");
    process.send({ id }, socket);
  });
  socket.once("error", (error) => process.send({ id, error: error.code ?? "ECONNREFUSED" }));
});
process.send({ ready: true });
