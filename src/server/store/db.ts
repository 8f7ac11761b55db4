// Opens the control plane's SQLite database and brings its schema up to date.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, type Migration, type MigrationProvider, Migrator, SqliteDialect } from "kysely";
import { migrations } from "./migrations.js";
import type { Database } from "./schema.js";

export type Db = Kysely<Database>;

export const DATABASE_FILE = "hosting.db";

const handles = new WeakMap<Db, SqliteDatabase.Database>();

/** The SQLite handle under `db`, for the few hot paths that use prepared statements directly. */
export function sqliteOf(db: Db): SqliteDatabase.Database | undefined {
  return handles.get(db);
}

export async function openDatabase(dataDir: string): Promise<Db> {
  mkdirSync(dataDir, { recursive: true });
  const sqlite = new SqliteDatabase(join(dataDir, DATABASE_FILE));
  sqlite.pragma("journal_mode = WAL");
  // WAL's recommended setting: commits skip the fsync (a power cut may lose the last
  // moments, never corrupt the database), which keeps log batches off the disk's latency.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  handles.set(db, sqlite);
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

const staticProvider: MigrationProvider = {
  async getMigrations() {
    const all: Record<string, Migration> = {};
    for (const m of migrations) all[m.name] = m;
    return all;
  },
};

async function migrateToLatest(db: Db): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: staticProvider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? String(error)}`);
  }
}

/** True when `err` is SQLite refusing a row that breaks a UNIQUE constraint. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === "SQLITE_CONSTRAINT_UNIQUE";
}
