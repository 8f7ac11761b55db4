// The data dir holds every team's state, blobs and keys: only the server's user may enter it
// (0700), and the files it keeps there are 0600, whether the server runs as the embedded
// default, in the foreground or as a shared server.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { DATABASE_FILE } from "./store/db.js";

export function secureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  // SQLite gives its -wal and -shm files the mode of the database file: create that 0600 first.
  const db = join(dataDir, DATABASE_FILE);
  if (!existsSync(db)) closeSync(openSync(db, "a", 0o600));
  for (const file of [db, `${db}-wal`, `${db}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}
