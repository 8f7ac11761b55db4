// The data dir holds every team's state, blobs and keys: only the server's user may enter it
// (0700), and the files it keeps there are 0600, whether the server runs as the embedded
// default, in the foreground or as a shared server.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { HostingError } from "../api/errors.js";
import { startTime } from "./deploy/pidFiles.js";
import { DATABASE_FILE } from "./store/db.js";

export function secureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  // SQLite gives its -wal and -shm files the mode of the database file: create that 0600 first.
  const db = join(dataDir, DATABASE_FILE);
  if (!existsSync(db)) closeSync(openSync(db, "a", 0o600));
  for (const file of [db, `${db}-wal`, `${db}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}

const LOCK_FILE = "server.pid";

/**
 * Takes the data dir for this process: one server per data dir, or two would build, run and
 * collect each other's deployments. A lock left by a server that died (its pid gone, or now
 * another process's) is taken over. Returns the release.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, LOCK_FILE);
  const mine = `${process.pid} ${startTime(process.pid) ?? ""}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, mine);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, "utf8") === mine) rmSync(file, { force: true });
        } catch {}
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const [pidText = "", started = ""] = readFileSync(file, "utf8").split(" ");
    const pid = Number(pidText);
    if (pid > 0 && started !== "" && startTime(pid) === started) {
      throw new HostingError(
        "conflict",
        `the data dir ${dataDir} is in use by pid ${pid} (another deco-hosting server)`,
        {
          hint: `Stop that server first (\`deco-hosting server stop\`, or kill ${pid}), or start this one with another --data-dir`,
        },
      );
    }
    rmSync(file, { force: true }); // its server is gone
  }
  throw new HostingError("conflict", `could not lock the data dir ${dataDir}`, {
    hint: "Another server may be starting on it; try again",
  });
}
