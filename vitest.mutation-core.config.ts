import { defineConfig } from "vitest/config";
import base from "./vitest.mutation.config.js";

// The pure core's own tests (schemas, money, NPI, renderer, validator): what `npm run
// mutation:core` measures src/domain and src/edi against. The engine tests exercise the core
// too, but a core mutant only they catch is a gap in the core's tests; and running them per
// mutant makes a run several times longer (each engine test waits for real windows).
// Not `mergeConfig`: it concatenates arrays, which would keep the base's engine tests in `include`.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/domain/**/*.test.ts", "test/edi/**/*.test.ts", "test/domain-smoke.test.ts"],
  },
});
