// Setup file of the kept-thread pool (kept-thread-pool.ts), imported before each test file.
// In a new thread Stryker's namespace does not exist yet while src/ is evaluated, so module-level
// code runs unmutated; Stryker's own setup file activates the mutant only in a beforeAll. A kept
// thread still holds the previous run's mutant there, and re-evaluating src/ under it built
// module-level tables (x12-text.ts's character classes) mutated for the next mutant's run.
import { inject } from "vitest";

declare module "vitest" {
  // What Stryker's vitest runner provides; absent outside a Stryker run.
  interface ProvidedContext {
    globalNamespace?: string;
    mutantActivation?: string;
  }
}

const name = inject("globalNamespace") ?? "__stryker__";
const namespace = (globalThis as Record<string, { activeMutant?: unknown } | undefined>)[name];
// Static activation (mutants in module-level code) sets the mutant at import on purpose;
// those mutants are ignored here (ignoreStatic), and this leaves them alone if they are not.
if (namespace && inject("mutantActivation") !== "static") namespace.activeMutant = undefined;
