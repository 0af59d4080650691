// The mutation runs' kept worker thread (kept-thread-pool.ts), driven the way Stryker's vitest
// runner drives vitest: one vitest instance, `start()` once per mutant, the project's
// `testNamePattern` changed before each run. A vitest upgrade that changes its worker protocol
// must fail here, not quietly turn every mutant into a survivor (a thread that kept its first
// config ran only the first mutant's tests) or back into a fresh thread per mutant.
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createVitest, type Vitest } from "vitest/node";
import { keptThreadsPlugin } from "./kept-thread-pool.js";

const root = resolve(import.meta.dirname, "../..");
const probe = "test/fixtures/kept-thread/probe.fixture.ts";

interface Outcome {
  readonly state: string | undefined;
  readonly thread: number | undefined;
  readonly loads: number | undefined;
  readonly sameDependency: boolean | undefined;
  readonly activeAtLoad: string | null | undefined;
}

let open: Vitest | undefined;

afterEach(async () => {
  await open?.close();
  open = undefined;
  delete process.env.CLAIMFLOW_MUTATION_FRESH_THREADS;
});

async function vitestWithPool(maxRuns: number): Promise<Vitest> {
  open = await createVitest(
    "test",
    {
      root,
      config: false,
      include: [probe],
      pool: "threads",
      maxWorkers: 1,
      isolate: false,
      watch: false,
      // A reporter that prints nothing: the default one would print each run into this suite's output.
      reporters: [{}],
      coverage: { enabled: false },
    },
    { plugins: [keptThreadsPlugin(maxRuns)] },
  );
  return open;
}

/** One run of the tests whose name matches `pattern`, as Stryker's runner starts one. */
async function runOnly(vitest: Vitest, pattern: RegExp): Promise<Map<string, Outcome>> {
  for (const project of vitest.projects) project.config.testNamePattern = pattern;
  vitest.state.filesMap.clear();
  await vitest.start([probe]);
  const out = new Map<string, Outcome>();
  for (const file of vitest.state.getFiles()) {
    for (const task of file.tasks) {
      const meta = task.meta as Partial<Omit<Outcome, "state">>;
      out.set(task.name, { ...meta, state: task.result?.state } as Outcome);
    }
  }
  return out;
}

function ran(outcomes: Map<string, Outcome>, name: string): Outcome {
  const o = outcomes.get(name);
  if (o?.thread === undefined) throw new Error(`test ${name} did not run`);
  return o;
}

describe("kept worker thread for mutation runs", () => {
  it("runs again in the same thread: dependencies stay loaded, our own modules load again", async () => {
    const vitest = await vitestWithPool(100);
    const first = ran(await runOnly(vitest, /alpha/), "alpha");
    const second = ran(await runOnly(vitest, /alpha/), "alpha");
    expect(first.state).toBe("pass");
    expect(second.state).toBe("pass");
    expect(second.thread).toBe(first.thread);
    expect(first.sameDependency).toBe(false);
    expect(second.sameDependency).toBe(true);
    // A module of ours keeps nothing from the previous run (it may have run another mutant).
    expect(first.loads).toBe(1);
    expect(second.loads).toBe(2);
    // The previous run's mutant is not active while our modules are evaluated again.
    expect(first.activeAtLoad).toBeNull();
    expect(second.activeAtLoad).toBeNull();
  }, 60_000);

  it("gives each run the test name filter set just before it, not the thread's first", async () => {
    const vitest = await vitestWithPool(100);
    const first = await runOnly(vitest, /alpha/);
    const second = await runOnly(vitest, /beta/);
    expect(ran(first, "alpha").state).toBe("pass");
    expect(first.get("beta")?.state).not.toBe("pass");
    expect(ran(second, "beta").state).toBe("pass");
    expect(second.get("alpha")?.state).not.toBe("pass");
    expect(ran(second, "beta").thread).toBe(ran(first, "alpha").thread);
  }, 60_000);

  it("starts a new thread after a run in which a test timed out", async () => {
    const vitest = await vitestWithPool(100);
    const stalled = ran(await runOnly(vitest, /stalls/), "stalls");
    expect(stalled.state).toBe("fail");
    const next = ran(await runOnly(vitest, /alpha/), "alpha");
    expect(next.thread).not.toBe(stalled.thread);
    expect(next.loads).toBe(1);
  }, 60_000);

  it("starts a new thread after maxRuns runs", async () => {
    const vitest = await vitestWithPool(2);
    const threads: number[] = [];
    for (let i = 0; i < 4; i++) threads.push(ran(await runOnly(vitest, /alpha/), "alpha").thread as number);
    expect(threads[1]).toBe(threads[0]);
    expect(threads[2]).not.toBe(threads[1]);
    expect(threads[3]).toBe(threads[2]);
  }, 60_000);

  it("uses a fresh thread per run with CLAIMFLOW_MUTATION_FRESH_THREADS=1", async () => {
    process.env.CLAIMFLOW_MUTATION_FRESH_THREADS = "1";
    const vitest = await vitestWithPool(100);
    const first = ran(await runOnly(vitest, /alpha/), "alpha");
    const second = ran(await runOnly(vitest, /alpha/), "alpha");
    expect(second.thread).not.toBe(first.thread);
  }, 60_000);
});
