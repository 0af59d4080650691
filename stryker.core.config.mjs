// `npm run mutation:core` (and the first half of `npm run mutation`): src/domain and src/edi
// against their own tests only (vitest.mutation-core.config.ts), with its own incremental file.
// The engine tests reach the core too, but a core mutant only they notice is a gap in the
// core's tests, and running them per core mutant made a run several times longer.
import base from "./stryker.config.mjs";

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  ...base,
  vitest: { ...base.vitest, configFile: "vitest.mutation-core.config.ts" },
  mutate: ["src/domain/**/*.ts", "src/edi/**/*.ts"],
  // The core's tests keep the CPU busy (191% of 200% with four runners): more would only queue.
  concurrency: 4,
  incrementalFile: "reports/stryker-incremental-core.json",
  htmlReporter: { fileName: "reports/mutation-core/mutation.html" },
  jsonReporter: { fileName: "reports/mutation-core/mutation.json" },
};
