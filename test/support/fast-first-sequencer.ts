import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Test-file order for mutation runs (vitest.mutation.config.ts). Stryker stops a mutant's run
 * at the first failing test (bail), so what matters is how soon a killing test runs. Vitest's
 * own order runs the longest file first, which is right for a full suite on many workers and
 * wrong here: a mutant in the core is usually killed by its own quick unit test, yet waited
 * behind the engine tests. This order keeps vitest's "failed last time first" (the file that
 * killed the previous mutant, usually of the same code, is the likeliest to kill this one),
 * then runs the quickest files first; files never timed run first, smallest first.
 */
export class FastFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const rank = (spec: TestSpecification) => {
      const key = `${spec.project.name}:${relative(config.root, spec.moduleId)}`;
      const last = cache.getFileTestResults(key);
      if (last) return { group: last.failed ? 0 : 2, cost: last.duration };
      return { group: 1, cost: cache.getFileStats(key)?.size ?? 0 };
    };
    const ranked = files.map((spec) => ({ spec, ...rank(spec) }));
    ranked.sort((a, b) => a.group - b.group || a.cost - b.cost);
    return ranked.map((r) => r.spec);
  }
}
