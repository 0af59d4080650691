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
  // Four runners on 2 cores: the pipeline tests mostly wait on real timers (30 ms windows),
  // so two runners leave the CPU idle most of the time. Lower with `-- --concurrency N` on a
  // machine you share.
  concurrency: 4,
  // Added to 1.5 x the covering tests' own time. A stalled mutant is mostly caught sooner by
  // the fast tests' 5 s test timeout and 2 s waits (vitest.mutation.config.ts).
  timeoutMS: 2_000,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
