import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { it } from "vitest";
import { createSandbox } from "../src/server/platform/local/sandbox.js";

it("t", async () => {
  const d = await mkdtemp(path.join(tmpdir(), "x-"));
  const t = performance.now();
  const s = await createSandbox({ dataDir: d });
  console.log("sandbox", (performance.now() - t).toFixed(0));
  await s.close();
});
