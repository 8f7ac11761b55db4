import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type BuildStep, runBuildStep } from "../../../src/server/deploy/buildRunner.js";
import { BUILD_LIMITS, createSandbox, type Sandbox } from "../../../src/server/platform/local/sandbox.js";

let dir: string;
let dataDir: string;
let sandbox: Sandbox;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "dh-build-data-"));
  sandbox = await createSandbox({ dataDir });
});
afterAll(async () => {
  await sandbox.close();
  await rm(dataDir, { recursive: true, force: true });
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "dh-build-"));
  await sandbox.ownTree(dir, 1);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

let steps = 0;
function step(command: string, extra: Partial<BuildStep> = {}) {
  const lines: Array<[string, string]> = [];
  const s: BuildStep = {
    command,
    sandbox,
    spec: {
      name: `test-${++steps}`,
      uid: 1,
      root: dir,
      writable: true,
      network: "host",
      env: { GREETING: "hi" },
      limits: BUILD_LIMITS,
    },
    timeoutMs: 10_000,
    signal: new AbortController().signal,
    onLine: (stream, line) => lines.push([stream, line]),
    ...extra,
  };
  return { s, lines };
}

describe("runBuildStep", () => {
  it("keeps every stdout and stderr line and sees only the scoped env", async () => {
    const { s, lines } = step(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
      'echo "$GREETING"; echo oops >&2; printf "no newline"; echo "home=${HOME:-unset}"; echo tmp > /tmp/t && cat /tmp/t',
    );
    await runBuildStep(s);
    expect(lines).toContainEqual(["stdout", "hi"]);
    expect(lines).toContainEqual(["stderr", "oops"]);
    expect(lines).toContainEqual(["stdout", "no newlinehome=/tmp"]);
    expect(lines).toContainEqual(["stdout", "tmp"]); // its private /tmp is writable
  });

  it("fails with the exit code", async () => {
    const { s } = step("exit 3");
    await expect(runBuildStep(s)).rejects.toThrow("`exit 3` exited with code 3");
  });

  it("stops the whole process tree on timeout", async () => {
    const { s } = step("sleep 30 & sleep 30; wait", { timeoutMs: 300 });
    const t0 = Date.now();
    await expect(runBuildStep(s)).rejects.toThrow(/timed out/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("stops on cancel and says so", async () => {
    const ctl = new AbortController();
    const { s } = step("echo started; sleep 30", { signal: ctl.signal });
    s.onLine = () => ctl.abort();
    await expect(runBuildStep(s)).rejects.toMatchObject({ canceled: true });
  });
});
