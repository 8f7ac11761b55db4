import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // e2e files start servers and CLI processes; two at a time suits a 2-core machine
    maxWorkers: 2,
    minWorkers: 1,
  },
});
