// Runs inside an app's sandbox, in the app's own network namespace, where nothing outside can
// connect. It starts the app and, whenever the server asks over the IPC channel, connects to
// the app's port and hands the connected socket back: the edge then talks to the app
// directly, and only through sockets this sandbox's own bridge made.
// Plain JavaScript with no imports but Node's, so it runs from a read-only bind as it is.
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { constants } from "node:os";

const port = Number(process.env.PORT);
const command = process.argv[2];
const env = { ...process.env };
delete env.NODE_CHANNEL_FD;
delete env.NODE_CHANNEL_SERIALIZATION_MODE;

// A group of its own, so a stop reaches everything the app started; its output goes straight
// to the server's pipes, not through this process.
const app = spawn("/bin/sh", ["-c", command], { stdio: ["ignore", "inherit", "inherit"], env, detached: true });
app.once("error", (error) => {
  process.stderr.write(`could not start the app: ${error.message}\n`);
  process.exit(127);
});
// The shell may end before the server it started (sh -c "node server.js" on SIGTERM): the
// sandbox ends only once the app's whole group is gone, so the app still drains its requests.
app.once("exit", (code, signal) => {
  const status = code ?? 128 + (constants.signals[signal] ?? 1);
  const waitForGroup = () => {
    try {
      process.kill(-app.pid, 0);
      setTimeout(waitForGroup, 50);
    } catch {
      process.exit(status);
    }
  };
  waitForGroup();
});
const stop = () => {
  try {
    process.kill(-app.pid, "SIGTERM");
  } catch {}
};
process.on("SIGTERM", stop);
process.on("disconnect", () => {
  app.kill("SIGKILL");
  process.exit(1);
});
process.on("message", (message) => {
  if (message?.signal === "SIGTERM") return stop();
  const id = message?.id;
  if (!Number.isInteger(id)) return;
  const socket = connect(port, "127.0.0.1");
  socket.once("connect", () => {
    socket.removeAllListeners("error");
    process.send({ id }, socket);
  });
  socket.once("error", (error) => process.send({ id, error: error.code ?? "ECONNREFUSED" }));
});
