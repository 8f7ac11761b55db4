import { once } from "node:events";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "../../../../src/server/platform/local/ports.js";

describe("freePort", () => {
  it("returns a port that can be listened on at once", async () => {
    const port = await freePort("127.0.0.1");
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    try {
      server.listen(port, "127.0.0.1");
      await once(server, "listening");
    } finally {
      server.close();
    }
  });
});
