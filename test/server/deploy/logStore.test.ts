import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LogEntry } from "../../../src/api/schemas.js";
import { createLogStore, type LogStore } from "../../../src/server/deploy/logStore.js";
import { type Db, openDatabase, sqliteOf } from "../../../src/server/store/db.js";

let dir: string;
let db: Db;
let logs: LogStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "dh-logs-"));
  db = await openDatabase(dir);
  sqliteOf(db)?.pragma("foreign_keys = OFF"); // log lines without the deployments they belong to
  logs = createLogStore(db);
});
afterEach(async () => {
  await logs.close();
  await db.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe("logStore", () => {
  it("keeps order and hands followers the same ids a page returns, across batches of any size", async () => {
    const followed: LogEntry[] = [];
    const stop = logs.follow({ deploymentIds: ["d1"], sources: ["runtime"] }, (e) => followed.push(e));
    for (let i = 0; i < 150; i++) {
      logs.append({
        deploymentId: i % 3 === 0 ? "d2" : "d1",
        source: "runtime",
        stream: "stdout",
        message: `line ${i}`,
      });
    }
    logs.append({ deploymentId: "d1", source: "build", stream: "stderr", message: "not followed" });
    await logs.flush();
    stop();

    const page = await logs.page({ deploymentIds: ["d1"], sources: ["runtime"], limit: 1000 });
    const expected = Array.from({ length: 150 }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .map((i) => `line ${i}`);
    expect(page.entries.map((e) => e.message)).toEqual(expected);
    expect(followed).toEqual(page.entries);
    const ids = page.entries.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);

    const after = await logs.page({
      deploymentIds: ["d1"],
      sources: ["runtime"],
      since: page.entries[9]?.id,
      limit: 5,
    });
    expect(after.entries.map((e) => e.message)).toEqual(expected.slice(10, 15));
    expect(after.nextSince).toBe(after.entries[4]?.id);
  });

  it("keeps a batch's other lines when one belongs to a deployment that no longer exists", async () => {
    sqliteOf(db)?.pragma("foreign_keys = ON");
    const sqlite = sqliteOf(db);
    sqlite?.exec("INSERT INTO teams (id, slug, name, created_at) VALUES ('t', 't', 'T', 'now')");
    sqlite?.exec("INSERT INTO sites (id, team_id, name, created_at, updated_at) VALUES ('s', 't', 's', 'now', 'now')");
    sqlite?.exec(
      "INSERT INTO deployments (id, site_id, state, target, source_json, created_by, created_at, updated_at) VALUES ('live', 's', 'ready', 'preview', '{}', 'x', 'now', 'now')",
    );
    for (let i = 0; i < 100; i++)
      logs.append({ deploymentId: "live", source: "runtime", stream: "stdout", message: `ok ${i}` });
    logs.append({ deploymentId: "gone", source: "runtime", stream: "stdout", message: "orphan" });
    await logs.flush();
    const page = await logs.page({ deploymentIds: ["live", "gone"], sources: ["runtime"], limit: 1000 });
    expect(page.entries).toHaveLength(100);
    expect(page.entries.map((e) => e.message)).not.toContain("orphan");
  });

  it("prunes each deployment down to its newest lines", async () => {
    const small = createLogStore(db, { maxLinesPerDeployment: 50 });
    try {
      for (let i = 0; i < 120; i++)
        small.append({ deploymentId: "big", source: "runtime", stream: "stdout", message: `b${i}` });
      for (let i = 0; i < 10; i++)
        small.append({ deploymentId: "small", source: "build", stream: "stdout", message: `s${i}` });
      await small.prune();
      const big = await small.page({ deploymentIds: ["big"], sources: ["runtime"], limit: 1000 });
      expect(big.entries.map((e) => e.message)).toEqual(Array.from({ length: 50 }, (_, i) => `b${i + 70}`));
      const kept = await small.page({ deploymentIds: ["small"], sources: ["build"], limit: 1000 });
      expect(kept.entries).toHaveLength(10);
    } finally {
      await small.close();
    }
  });

  it("cuts a line longer than 16 KiB", async () => {
    logs.append({ deploymentId: "d1", source: "runtime", stream: "stdout", message: "x".repeat(20_000) });
    const page = await logs.page({ deploymentIds: ["d1"], sources: ["runtime"], limit: 10 });
    expect(page.entries[0]?.message.length).toBeLessThan(16_500);
    expect(page.entries[0]?.message.endsWith("[cut]")).toBe(true);
  });
});

describe("logStore's output budget", () => {
  it("drops what a deployment prints past its rate, and says how much once it is back under", async () => {
    const limited = createLogStore(db, { maxBytesPerSecond: 10_000 });
    try {
      const line = "x".repeat(999);
      for (let i = 0; i < 1000; i++)
        limited.append({ deploymentId: "flood", source: "runtime", stream: "stdout", message: line });
      limited.append({ deploymentId: "other", source: "runtime", stream: "stdout", message: "still heard" });
      await new Promise((r) => setTimeout(r, 300)); // 3,000 bytes of budget come back
      limited.append({ deploymentId: "flood", source: "runtime", stream: "stdout", message: "after" });
      const page = await limited.page({ deploymentIds: ["flood"], sources: ["runtime", "system"], limit: 1000 });
      const kept = page.entries.filter((e) => e.source === "runtime");
      expect(kept.filter((e) => !e.message.includes("dropped")).length).toBe(81); // the burst (8 × 10,000 bytes) in 1,000-byte lines, then "after"
      expect(kept.at(-1)?.message).toBe("after");
      expect(page.entries.some((e) => e.source === "runtime" && /920 lines .* were dropped/.test(e.message))).toBe(
        true,
      );
      const other = await limited.page({ deploymentIds: ["other"], sources: ["runtime"], limit: 10 });
      expect(other.entries.map((e) => e.message)).toEqual(["still heard"]);
    } finally {
      await limited.close();
    }
  });
});
