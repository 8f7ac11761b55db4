// Waiting on the pipeline from tests: poll a deployment until it leaves queued/building/deploying.
import type { HostingClient } from "../../src/api/client.js";
import type { Deployment } from "../../src/api/schemas.js";

export async function waitFinished(client: HostingClient, id: string, timeoutMs = 30_000): Promise<Deployment> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await client.getDeployment({ deploymentId: id });
    if (!["queued", "building", "deploying"].includes(d.state)) return d;
    if (Date.now() > deadline) throw new Error(`deployment ${id} is still ${d.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
