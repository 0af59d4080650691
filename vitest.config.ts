import { defineConfig } from "vitest/config";

// Integration tests each start one replica set per file (mongod under wine is slow to boot),
// so files run in separate forks with at most two at once on a 2-core machine.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ["default", "json"],
    outputFile: { json: "reports/vitest.json" },
  },
});
