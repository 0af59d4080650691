// `npm run mutation:core`: src/domain and src/edi against their own tests only (see
// vitest.mutation-core.config.ts), with its own incremental file.
import base from "./stryker.config.mjs";

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: "vitest.mutation-core.config.ts" },
  mutate: ["src/domain/**/*.ts", "src/edi/**/*.ts"],
  incrementalFile: "reports/stryker-incremental-core.json",
  htmlReporter: { fileName: "reports/mutation-core/mutation.html" },
  jsonReporter: { fileName: "reports/mutation-core/mutation.json" },
};
