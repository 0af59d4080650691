// Property tests run their full count in `npm test`. Under `npm run mutation` each surviving
// mutant re-runs every test that covers it, so vitest.mutation.config.ts caps the count
// (CLAIMFLOW_PROPERTY_RUNS); the example-based tests carry the precise checks there.

const cap = Number.parseInt(process.env.CLAIMFLOW_PROPERTY_RUNS ?? "", 10);

/** `n`, or the cap set for mutation runs when it is lower. */
export function propertyRuns(n: number): number {
  return Number.isSafeInteger(cap) && cap > 0 ? Math.min(n, cap) : n;
}
