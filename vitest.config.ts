import { defineConfig } from "vitest/config";

// Host tests import the built package (dist/), exactly what users get;
// `npm test` builds first.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
