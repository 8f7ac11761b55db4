// Build and runtime log lines: kept in SQLite (ids are the resumable cursors), written in
// small batches so a chatty app does not cost one transaction per line, and pushed at once
// to followers so `logs --follow` sees a line within milliseconds.
import type { LogEntry } from "../../api/schemas.js";
import { type Db, sqliteOf } from "../store/db.js";

export type LogSource = LogEntry["source"];
export type LogStream = LogEntry["stream"];

export interface LogLine {
  deploymentId: string;
  source: LogSource;
  stream: LogStream;
  message: string;
  /** Written by the server itself (not the tenant's output): never dropped by the budget. */
  fromServer?: boolean;
}

export interface LogQuery {
  deploymentIds: string[];
  sources: LogSource[];
  since?: string | undefined;
  limit: number;
}

type Follower = (entry: LogEntry) => void;
type PendingLine = LogLine & { ts: string };

/** Longest line kept; the rest is cut with a marker so one line cannot fill the disk. */
const MAX_LINE = 16 * 1024;
const FLUSH_MS = 25;

export interface LogStore {
  append(line: LogLine): void;
  page(q: LogQuery): Promise<{ entries: LogEntry[]; nextSince: string | null }>;
  /** Drops the oldest lines of deployments over the per-deployment limit. */
  prune(): Promise<void>;
  /** Calls `fn` with each new entry of these deployments and sources; returns the unsubscribe. */
  follow(q: Omit<LogQuery, "limit" | "since">, fn: Follower): () => void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface LogStoreOptions {
  /** Lines kept per deployment; older ones are pruned about once a minute. */
  maxLinesPerDeployment?: number;
  /** Bytes of output a deployment may log per second (after a burst of 8×); the rest is dropped and counted. */
  maxBytesPerSecond?: number;
  pruneEveryMs?: number;
}

export function createLogStore(db: Db, opts: LogStoreOptions = {}): LogStore {
  const maxLines = opts.maxLinesPerDeployment ?? 100_000;
  let pending: PendingLine[] = [];
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();
  const followers = new Set<{ q: Omit<LogQuery, "limit" | "since">; fn: Follower }>();

  // Log lines are the one write that scales with traffic: a prepared statement run in one
  // SQLite transaction per batch, rather than a query built per batch.
  const sqlite = sqliteOf(db);
  if (!sqlite) throw new Error("the log store needs the SQLite store");
  // Rows go in CHUNK at a time: one statement per chunk, whose rowids are consecutive.
  const CHUNK = 64;
  const insertSql = (n: number) =>
    `INSERT INTO logs (deployment_id, source, stream, message, ts) VALUES ${Array(n).fill("(?, ?, ?, ?, ?)").join(", ")}`;
  const insertChunk = sqlite.prepare(insertSql(CHUNK));
  const insertOne = sqlite.prepare(insertSql(1));
  const insertAll = sqlite.transaction((batch: PendingLine[]) => {
    const ids: number[] = [];
    let i = 0;
    for (; i + CHUNK <= batch.length; i += CHUNK) {
      const params = batch.slice(i, i + CHUNK).flatMap((l) => [l.deploymentId, l.source, l.stream, l.message, l.ts]);
      const last = Number(insertChunk.run(params).lastInsertRowid);
      for (let k = CHUNK - 1; k >= 0; k--) ids.push(last - k);
    }
    for (; i < batch.length; i++) {
      const l = batch[i] as PendingLine;
      ids.push(Number(insertOne.run(l.deploymentId, l.source, l.stream, l.message, l.ts).lastInsertRowid));
    }
    return ids;
  });

  const writeBatch = async () => {
    timer = null;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    for (const l of batch) touched.add(l.deploymentId);
    let ids: Array<number | null>;
    try {
      ids = insertAll(batch);
    } catch {
      // A line of a deployment deleted meanwhile breaks its foreign key: keep the others.
      ids = batch.map((l) => {
        try {
          return Number(insertOne.run(l.deploymentId, l.source, l.stream, l.message, l.ts).lastInsertRowid);
        } catch {
          return null;
        }
      });
    }
    if (followers.size === 0) return;
    batch.forEach((l, i) => {
      const id = ids[i];
      if (id === null || id === undefined) return;
      const entry: LogEntry = {
        id: String(id),
        timestamp: l.ts,
        source: l.source,
        stream: l.stream,
        message: l.message,
        deploymentId: l.deploymentId,
      };
      for (const f of followers) {
        if (f.q.deploymentIds.includes(l.deploymentId) && f.q.sources.includes(l.source)) f.fn(entry);
      }
    });
  };
  // Only deployments that wrote since the last prune can have grown past the limit.
  const touched = new Set<string>();
  const pruneOne = sqlite.prepare(
    "DELETE FROM logs WHERE deployment_id = ? AND id <= (SELECT id FROM logs WHERE deployment_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
  );
  const prune = async () => {
    await flush();
    const ids = [...touched];
    touched.clear();
    for (const id of ids) pruneOne.run(id, id, maxLines);
  };
  const pruneTimer = setInterval(() => void prune().catch(() => {}), opts.pruneEveryMs ?? 60_000);
  pruneTimer.unref();

  const flush = () => {
    flushing = flushing.then(writeBatch, writeBatch);
    return flushing;
  };

  // A token bucket per deployment: a process printing as fast as it can must not fill the
  // database (and the disk) or hold the server's event loop; what it is over by is dropped,
  // and a system line says how much once it is back under.
  const rate = opts.maxBytesPerSecond ?? 1024 * 1024;
  const buckets = new Map<
    string,
    { tokens: number; at: number; droppedLines: number; droppedBytes: number; source: LogSource }
  >();
  const noteDropped = (deploymentId: string) => {
    const b = buckets.get(deploymentId);
    if (!b || b.droppedLines === 0) return;
    const message = `${b.droppedLines} lines (${b.droppedBytes} bytes) of output were dropped: more than ${rate} bytes a second`;
    // In the log the lines were dropped from (build or runtime), where whoever reads them looks.
    pending.push({ deploymentId, source: b.source, stream: "stderr", message, ts: new Date().toISOString() });
    b.droppedLines = 0;
    b.droppedBytes = 0;
  };
  const admit = (line: LogLine, bytes: number): boolean => {
    if (line.source === "system" || line.fromServer) {
      noteDropped(line.deploymentId);
      return true;
    }
    const now = Date.now();
    let b = buckets.get(line.deploymentId);
    if (!b) {
      b = { tokens: rate * 8, at: now, droppedLines: 0, droppedBytes: 0, source: line.source };
      buckets.set(line.deploymentId, b);
    }
    b.tokens = Math.min(rate * 8, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    if (b.tokens < bytes) {
      b.droppedLines++;
      b.droppedBytes += bytes;
      b.source = line.source;
      return false;
    }
    b.tokens -= bytes;
    noteDropped(line.deploymentId);
    if (buckets.size > 10_000) for (const [id, v] of buckets) if (now - v.at > 60_000) buckets.delete(id);
    return true;
  };

  return {
    append(line) {
      const message = line.message.length > MAX_LINE ? `${line.message.slice(0, MAX_LINE)} …[cut]` : line.message;
      if (!admit(line, message.length + 1)) return;
      const { fromServer: _, ...stored } = line;
      pending.push({ ...stored, message, ts: new Date().toISOString() });
      if (!timer) timer = setTimeout(() => void flush().catch(() => {}), FLUSH_MS);
    },
    async page({ deploymentIds, sources, since, limit }) {
      if (deploymentIds.length === 0) return { entries: [], nextSince: since ?? null };
      await flush();
      let q = db
        .selectFrom("logs")
        .select(["id", "deployment_id", "source", "stream", "message", "ts"])
        .where("deployment_id", "in", deploymentIds)
        .where("source", "in", sources)
        .orderBy("id", "asc")
        .limit(limit);
      const after = since === undefined ? Number.NaN : Number(since);
      if (Number.isInteger(after)) q = q.where("id", ">", after);
      const rows = await q.execute();
      const entries = rows.map(toEntry);
      return { entries, nextSince: entries.at(-1)?.id ?? since ?? null };
    },
    follow(q, fn) {
      const f = { q, fn };
      followers.add(f);
      return () => followers.delete(f);
    },
    flush,
    prune,
    async close() {
      clearInterval(pruneTimer);
      if (timer) clearTimeout(timer);
      await flush();
      followers.clear();
    },
  };
}

function toEntry(row: {
  id: number;
  deployment_id: string;
  source: string;
  stream: string;
  message: string;
  ts: string;
}): LogEntry {
  return {
    id: String(row.id),
    timestamp: row.ts,
    source: row.source as LogSource,
    stream: row.stream as LogStream,
    message: row.message,
    deploymentId: row.deployment_id,
  };
}
