import { describe, expect, it } from "vitest";
import { DEFAULT_RESTART_POLICY, restartDelay } from "../../../../src/server/platform/local/backoff.js";

describe("restartDelay", () => {
  it("doubles from 250 ms and caps at 10 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => restartDelay(n))).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });

  it("follows a given policy", () => {
    expect(restartDelay(3, { ...DEFAULT_RESTART_POLICY, baseDelayMs: 10, maxDelayMs: 30 })).toBe(30);
  });
});
