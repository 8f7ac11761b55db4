import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { HostingError } from "../../src/api/errors.js";
import { apiErrorHandler, routeNotFound } from "../../src/server/http/errors.js";

describe("API error handler", () => {
  function appThrowing(err: unknown, lines: string[]) {
    const app = new Hono();
    app.onError(apiErrorHandler((l) => lines.push(l)));
    app.notFound(routeNotFound);
    app.get("/boom", () => {
      throw err;
    });
    return app;
  }

  it("answers an unexpected error as 500 internal without leaking it, and logs the stack", async () => {
    const lines: string[] = [];
    const res = await appThrowing(new Error("secret path /etc/shadow"), lines).request("/boom");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: "internal", hint: expect.any(String) } });
    expect(text).not.toContain("secret");
    expect(text).not.toContain("at ");
    expect(lines.join("\n")).toContain("secret path");
  });

  it("keeps a HostingError's code, status, hint and details", async () => {
    const err = new HostingError("conflict", "taken", { hint: "choose another", details: { name: "x" } });
    const res = await appThrowing(err, []).request("/boom");
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: { code: "conflict", message: "taken", hint: "choose another", details: { name: "x" } },
    });
  });
});
