import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createSupervisor,
  type Instance,
  type LogStream,
  type Supervisor,
  type SupervisorOptions,
} from "../../../../src/server/platform/local/supervisor.js";

// Listens on $HOST:$PORT, prints to both streams and leaves an unterminated last line.
const SERVER = `
import { createServer } from "node:http";
const port = Number(process.env.PORT);
if (process.env.IGNORE_SIGTERM) process.on("SIGTERM", () => console.log("ignoring SIGTERM"));
createServer((req, res) => res.end(JSON.stringify({ pid: process.pid, port, greeting: process.env.GREETING })))
  .listen(port, process.env.HOST, () => {
    console.log("listening on " + process.env.HOST + ":" + port);
    console.error("a warning");
    process.stdout.write("partial");
    if (process.env.CRASH_AFTER_MS) setTimeout(() => process.exit(7), Number(process.env.CRASH_AFTER_MS));
  });
`;

let dir: string;
const node = `'${process.execPath.replaceAll("'", "'\\''")}'`;
const serverCommand = `${node} server.mjs`;
const supervisors: Supervisor[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "supervisor-"));
  await writeFile(join(dir, "server.mjs"), SERVER);
});

afterEach(async () => {
  for (const supervisor of supervisors.splice(0)) await supervisor.stopAll({ drainMs: 500 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function harness(options: Omit<SupervisorOptions, "log" | "onStateChange"> = {}) {
  const lines: { id: string; stream: LogStream; line: string }[] = [];
  const waiters: { test(instance: Instance): boolean; resolve(instance: Instance): void }[] = [];
  const supervisor = createSupervisor({
    ...options,
    log: (id, stream, line) => lines.push({ id, stream, line }),
    onStateChange: (instance) => {
      for (const waiter of [...waiters]) {
        if (waiter.test(instance)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(instance);
        }
      }
    },
  });
  supervisors.push(supervisor);
  const waitFor = (test: (instance: Instance) => boolean) =>
    new Promise<Instance>((resolve) => waiters.push({ test, resolve }));
  const text = (stream: LogStream) => lines.filter((l) => l.stream === stream).map((l) => l.line);
  return { supervisor, lines, waitFor, text };
}

function getJson(port: number): Promise<{ pid: number; port: number; greeting?: string }> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve(JSON.parse(body)));
    }).on("error", reject);
  });
}

/** Whether a process still runs; a zombie (exited, not yet reaped by whoever adopted it) does not. */
/** A killed process leaves the table a moment after its pipes close; a loaded machine widens that gap. */
async function goneSoon(pid: number, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

describe("supervisor", () => {
  it("starts a server on a free port with PORT and HOST set, reports its output and stops it", async () => {
    const { supervisor, text, lines } = harness();
    const instance = await supervisor.start({ id: "web-1", cwd: dir, command: serverCommand, env: { GREETING: "hi" } });
    expect(instance).toMatchObject({ id: "web-1", state: "ready", restarts: 0 });
    expect(instance.pid).toBeGreaterThan(0);
    const answer = await getJson(instance.port);
    expect(answer).toMatchObject({ port: instance.port, greeting: "hi" });
    expect(text("stdout")).toContain(`listening on 127.0.0.1:${instance.port}`);
    expect(text("stderr")).toContain("a warning");
    expect(lines.every((l) => l.id === "web-1")).toBe(true);
    expect(supervisor.get("web-1")).toEqual(instance);
    expect(supervisor.list()).toEqual([instance]);

    await expect(supervisor.start({ id: "web-1", cwd: dir, command: serverCommand, env: {} })).rejects.toThrow(
      "instance web-1 is already ready",
    );

    await supervisor.stop("web-1");
    expect(supervisor.get("web-1")).toMatchObject({ state: "stopped", pid: null });
    expect(await goneSoon(answer.pid)).toBe(true);
    expect(text("stdout")).toContain("partial");
    expect(text("system").at(-1)).toMatch(/^stopped \(/);
  });

  it("restarts a killed process on the same port and logs why", async () => {
    const { supervisor, waitFor, text } = harness({ restartPolicy: { baseDelayMs: 20 } });
    const instance = await supervisor.start({ id: "web-2", cwd: dir, command: serverCommand, env: {} });
    const before = await getJson(instance.port);
    const restarted = waitFor((i) => i.state === "ready" && i.restarts === 1);
    process.kill(before.pid, "SIGKILL");
    const after = await restarted;
    expect(after.port).toBe(instance.port);
    const answer = await getJson(instance.port);
    expect(answer.port).toBe(instance.port);
    expect(answer.pid).not.toBe(before.pid);
    expect(text("system").some((line) => /exited \((signal SIGKILL|code 137)\); restarting in 20 ms/.test(line))).toBe(
      true,
    );
  });

  it("gives up after too many rapid crashes", async () => {
    const { supervisor, waitFor, text } = harness({ restartPolicy: { baseDelayMs: 10, maxRapidCrashes: 2 } });
    const failed = waitFor((i) => i.state === "failed");
    await supervisor.start({ id: "web-3", cwd: dir, command: serverCommand, env: { CRASH_AFTER_MS: "300" } });
    const instance = await failed;
    expect(instance.restarts).toBe(2);
    expect(instance.pid).toBeNull();
    expect(text("system").at(-1)).toBe("exited (code 7); 3 crashes in a row, giving up");
  });

  it("rejects a start whose command exits at once, quoting its output", async () => {
    const { supervisor } = harness();
    const start = supervisor.start({
      id: "bad",
      cwd: dir,
      command: "echo 'missing build output' >&2; exit 3",
      env: {},
    });
    await expect(start).rejects.toThrow(
      /exited \(code 3\) before it became healthy; last output:\nmissing build output/,
    );
    expect(supervisor.get("bad")).toMatchObject({ state: "failed", pid: null });
  });

  it("rejects and kills a process that never becomes healthy", async () => {
    const { supervisor, text } = harness();
    const start = supervisor.start({
      id: "mute",
      cwd: dir,
      command: `${node} -e "setInterval(() => {}, 1000)"`,
      env: {},
      startTimeoutMs: 400,
    });
    await expect(start).rejects.toThrow(/instance mute .* was not healthy within 400 ms/);
    const pid = Number(/started pid (\d+)/.exec(text("system")[0] ?? "")?.[1]);
    expect(await goneSoon(pid)).toBe(true);
    expect(supervisor.get("mute")?.state).toBe("failed");
  });

  it("sends SIGKILL when SIGTERM is ignored past the drain time", async () => {
    const { supervisor, text } = harness();
    const instance = await supervisor.start({
      id: "stubborn",
      cwd: dir,
      command: serverCommand,
      env: { IGNORE_SIGTERM: "1" },
    });
    const { pid } = await getJson(instance.port);
    const started = Date.now();
    await supervisor.stop("stubborn", { drainMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await goneSoon(pid)).toBe(true);
    expect(text("stdout").join("\n")).toContain("ignoring SIGTERM");
    expect(text("system")).toContain("still running 300 ms after SIGTERM; sending SIGKILL");
  });

  it("stops the whole process tree, not just the shell", async () => {
    const { supervisor } = harness();
    // The shell stays the parent here (no exec), so the server is a grandchild in the same group.
    const instance = await supervisor.start({ id: "tree", cwd: dir, command: `${serverCommand} & wait`, env: {} });
    const { pid } = await getJson(instance.port);
    expect(pid).not.toBe(instance.pid);
    const started = Date.now();
    await supervisor.stop("tree", { drainMs: 5_000 });
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await goneSoon(pid)).toBe(true);
  });

  it("stopping during start rejects the start", async () => {
    const { supervisor, waitFor } = harness();
    const starting = waitFor((i) => i.state === "starting");
    const start = supervisor.start({
      id: "slow",
      cwd: dir,
      command: `${node} -e "setInterval(() => {}, 1000)"`,
      env: {},
    });
    await starting;
    await supervisor.stop("slow");
    await expect(start).rejects.toThrow("instance slow was stopped before it became healthy");
    expect(supervisor.get("slow")?.state).toBe("stopped");
  });
});
