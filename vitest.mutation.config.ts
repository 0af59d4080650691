import { defineConfig } from "vitest/config";
import { FastFirstSequencer } from "./test/support/fast-first-sequencer.js";
import { keptThreadsPlugin } from "./test/support/kept-thread-pool.js";

// The fast tests only (in-memory twins, no mongod): what `npm run mutation:pipeline` runs
// against each src/pipeline mutant (vitest.mutation-core.config.ts narrows it for the core).
// Integration, compliance, CLI, ops and observability tests start mongod or child processes;
// they are minutes per run and would make a mutation run take days on 2 cores.
export default defineConfig({
  // One worker thread serves many mutants in turn (test/support/kept-thread-pool.ts): a new
  // thread per mutant spent more CPU importing src/ and its dependencies than most tests take.
  plugins: [keptThreadsPlugin(100)],
  test: {
    include: [
      "test/domain/**/*.test.ts",
      "test/edi/**/*.test.ts",
      "test/pipeline/**/*.test.ts",
      "test/memory/**/*.test.ts",
      "test/domain-smoke.test.ts",
    ],
    // A mutant that stalls the engine fails its test instead of waiting for Stryker's timeout,
    // which costs 1.5 x the covering tests' time plus timeoutMS, then a new runner process
    // (a fresh vitest, every module transformed again). Unmutated, the slowest fast tests take
    // about 1.5 s; the model test and the 10 MB hostile-acknowledgement test set their own limits.
    testTimeout: 5_000,
    sequence: { sequencer: FastFirstSequencer },
    // One module graph for all test files of a run. Stryker runs each mutant's tests in one
    // worker, and with isolation every test file imported src/ and its dependencies anew
    // (about 0.6 s a file; a pipeline mutant is reached by 8-15 engine test files). The fast
    // tests keep no module state: no module mocks (render-failure injects its renderer), and
    // fake timers and environment changes are undone by the test that makes them.
    isolate: false,
    // Property tests: 25 generated cases each instead of 1,000-5,000 (test/support/property-runs.ts).
    // The ledger model test: 5 random schedules instead of 20. It reaches nearly every pipeline
    // mutant, so at 4.4 s it set the floor of each one's run.
    // The engine tests' waitFor gives up after 2 s instead of 5 s (test/pipeline/harness.ts):
    // unmutated, what they wait for takes well under half a second.
    env: { CLAIMFLOW_PROPERTY_RUNS: "25", MODEL_RUNS: "5", CLAIMFLOW_TEST_WAIT_MS: "2000" },
  },
});
