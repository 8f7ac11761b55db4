// `deco-hosting mcp` start-up beside `node -e 0`, in one run: against a real
// `deco-hosting server` started here (token through the env), the official SDK client spawns
// `deco-hosting mcp` over stdio, initializes and lists the tools; the time runs from the spawn
// to the tools/list answer. The baseline spawns `node -e 0` until it exits. Both N times
// (default 20), interleaved so machine noise hits both alike; medians and the ratio are printed.
// Run: npm run build && node bench/mcp.mjs   (N=20)
import { spawnSync } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { bin, median, now, requireBuild, root, startServer, withCleanup } from "./_hosting.mjs";

requireBuild();
const N = Number(process.env.N ?? 20);

async function mcpToToolsList(env) {
  const t0 = now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, "mcp"],
    env,
    cwd: root,
    stderr: "pipe",
  });
  const client = new Client({ name: "bench-mcp", version: "1.0.0" });
  try {
    let stderr = "";
    transport.stderr?.on("data", (d) => (stderr += d));
    await client.connect(transport).catch((e) => {
      throw new Error(`${e.message}: ${stderr}`);
    });
    const initialized = now() - t0;
    const { tools } = await client.listTools();
    const listed = now() - t0;
    if (tools.length === 0) throw new Error("tools/list answered no tools");
    return { initialized, listed, tools: tools.length };
  } finally {
    await client.close(); // the transport ends the child
  }
}

function nodeNoop() {
  const t0 = now();
  const r = spawnSync(process.execPath, ["-e", "0"], { stdio: "ignore" });
  if (r.status !== 0) throw new Error(`node -e 0 exited ${r.status}`);
  return now() - t0;
}

await withCleanup(async (onCleanup) => {
  const server = await startServer({ label: "mcp" });
  onCleanup(server.stop);
  const base = [];
  const initialized = [];
  const listed = [];
  let tools = 0;
  for (let i = 0; i < N + 2; i++) {
    const b = nodeNoop();
    const m = await mcpToToolsList(server.env);
    if (i < 2) continue; // two warm-up rounds fill the page cache
    base.push(b);
    initialized.push(m.initialized);
    listed.push(m.listed);
    tools = m.tools;
  }
  const b = median(base);
  const row = (name, ms) => `${name.padEnd(40)} ${ms.toFixed(1).padStart(7)} ms   ${(ms / b).toFixed(2)}×`;
  console.log(`mcp: ${N} runs each, median wall time (${tools} tools listed)`);
  console.log(row("node -e 0", b));
  console.log(row("deco-hosting mcp: spawn → initialize", median(initialized)));
  console.log(row("deco-hosting mcp: spawn → tools/list", median(listed)));
});
