// Mutation testing of src/pipeline against the fast tests (see README, Tests, and
// test/MUTATION.md). `npm run mutation` runs src/domain and src/edi against their own tests
// first (stryker.core.config.mjs), then this; `npm run mutation:pipeline` runs this alone, and
// `-- --mutate src/pipeline/windows.ts` narrows it to one file.
// Incremental: results are kept in reports/stryker-incremental-pipeline.json, so a re-run only
// tests mutants in changed code or covered by changed tests.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  // related: false: each mutant runs only the tests that reached it (perTest coverage), so
  // vitest's "related files" search of the import graph on every run is pure cost (~10%).
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  mutate: ["src/pipeline/**/*.ts"],
  coverageAnalysis: "perTest",
  // Static mutants (module-level constants) need the whole suite per mutant; skip them.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: "reports/stryker-incremental-pipeline.json",
  // Eight runners on 2 cores: the pipeline tests mostly wait on real timers (30 ms windows),
  // and with a kept worker thread (test/support/kept-thread-pool.ts) a mutant costs little CPU
  // besides its tests, so four runners left the CPU half idle (106% of 200%). The core's tests
  // are CPU-bound and keep four (stryker.core.config.mjs). Lower with `-- --concurrency N` on
  // a machine you share.
  concurrency: 8,
  // Added to 1.5 x the covering tests' own time. A stalled mutant is mostly caught sooner by
  // the fast tests' 5 s test timeout and 2 s waits (vitest.mutation.config.ts).
  timeoutMS: 2_000,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation-pipeline/mutation.html" },
  jsonReporter: { fileName: "reports/mutation-pipeline/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
