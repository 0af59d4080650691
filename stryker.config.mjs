// Mutation testing of the pure core and the pipeline against the fast tests (see README, Tests).
// `npm run mutation` mutates all three folders; pass `-- --mutate "src/edi/**/*.ts"` for one.
// Incremental: results are kept in reports/stryker-incremental.json, so a re-run only tests
// mutants in changed code or covered by changed tests.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  mutate: ["src/domain/**/*.ts", "src/edi/**/*.ts", "src/pipeline/**/*.ts"],
  coverageAnalysis: "perTest",
  // Static mutants (module-level constants) need the whole suite per mutant; skip them.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  // The machine is shared (2 cores); raise with `-- --concurrency N` on your own.
  concurrency: 1,
  timeoutMS: 10_000,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
