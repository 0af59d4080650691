import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Plugin } from "vitest/config";
import type { PoolOptions, PoolRunnerInitializer, PoolWorker, TestProject } from "vitest/node";

/**
 * A vitest pool for mutation runs (vitest.mutation.config.ts) whose worker thread outlives a
 * run. Stryker's vitest runner calls `vitest.start()` once per mutant, and vitest ends each
 * run by terminating its worker, so every mutant paid for a new thread importing zod, pino
 * and src/ again (0.3-0.8 s of CPU) before a test that often takes 20 ms. Here the next run
 * reuses the thread. Its dependencies (zod, pino, fast-check...) stay loaded: Node imports
 * them natively, once per thread. Every module of our own (src/, test/) is evaluated again on
 * each run, as in a new thread: src/ keeps state between calls (lazily built sets, caches
 * keyed by schema or client object, test builders' fixtures), and a value computed under one
 * mutant must not be what the next mutant's run reads.
 *
 * vitest talks to a worker with a "start" message (the project's config), then "run" messages,
 * then "stop". A kept thread answers a repeated "start" and a "stop" here, without the thread
 * seeing them. Each "run" carries the config as it is now (Stryker narrows `testNamePattern`
 * to the tests that cover the mutant before each run, and the worker would otherwise keep the
 * config of its first start) and, as files to invalidate, every file under src/ and test/.
 * A setup file (kept-thread-setup.ts) clears the previous run's mutant before src/ is evaluated
 * again, so module-level code runs unmutated, as in a new thread.
 *
 * A thread is not kept after a run that may leave work running in it (a test that timed out,
 * an error outside a test), nor after `maxRuns` runs (tests that simulate kill -9 leave a
 * hung engine behind, whose timers would add up). `CLAIMFLOW_MUTATION_FRESH_THREADS=1` turns
 * this off (vitest's own threads pool), to compare results or timings.
 */
export function keptThreadsPlugin(maxRuns: number): Plugin {
  // Listed once, at the first worker: a mutation run adds no files.
  let files: readonly string[] | undefined;
  const pool: PoolRunnerInitializer = {
    name: POOL_NAME,
    createPoolWorker: (options) => {
      files ??= ownFiles(options.project.config.root);
      return new KeptThreadWorker(options, maxRuns, files);
    },
  };
  return {
    name: "claimflow:kept-threads",
    // After the config is resolved: Stryker's runner passes `pool: "threads"` to createVitest,
    // which a config file's `pool` cannot override.
    configureVitest({ project, vitest }) {
      if (process.env.CLAIMFLOW_MUTATION_FRESH_THREADS === "1") return;
      const config = project.config as { pool: string; poolRunner?: PoolRunnerInitializer };
      config.pool = POOL_NAME;
      config.poolRunner = pool;
      // After Stryker's own setup file, which its runner puts first.
      project.config.setupFiles = [...project.config.setupFiles, SETUP_FILE];
      vitest.onClose(async () => {
        const threads = idle.get(project) ?? [];
        idle.delete(project);
        await Promise.all(threads.map((kept) => kept.thread.terminate()));
      });
    },
  };
}

const POOL_NAME = "claimflow-kept-threads";
const SETUP_FILE = fileURLToPath(new URL("./kept-thread-setup.ts", import.meta.url));

interface Kept {
  readonly thread: Worker;
  runs: number;
}

type Listener = (arg: unknown) => void;

/**
 * Threads between runs, per project (a thread holds its project's config and modules). A
 * Stryker runner process has one vitest with one worker, so one thread.
 */
const idle = new WeakMap<TestProject, Kept[]>();

class KeptThreadWorker implements PoolWorker {
  readonly name = POOL_NAME;
  private own: Kept | undefined;
  /** True when `own` was started by an earlier run: its worker has had its "start". */
  private reused = false;
  private keepAfterStop = false;
  /** What vitest attached to the thread through this worker, detached when it stops. */
  private readonly listeners: Array<[string, Listener]> = [];

  constructor(
    private readonly options: PoolOptions,
    private readonly maxRuns: number,
    private readonly ownFiles: readonly string[],
  ) {}

  async start(): Promise<void> {
    if (this.own) return;
    const kept = idle.get(this.project)?.pop();
    if (kept) {
      this.own = kept;
      this.reused = true;
      return;
    }
    // The same entry point, env and flags as vitest's own threads pool.
    const { distPath, env, execArgv } = this.options;
    const thread = new Worker(resolve(distPath, "workers/threads.js"), {
      env,
      execArgv,
      stdout: true,
      stderr: true,
    });
    const { logger } = this.project.vitest;
    thread.stdout.pipe(logger.outputStream);
    thread.stderr.pipe(logger.errorStream);
    // An idle thread must not hold a process open that ends without closing vitest.
    thread.unref();
    this.own = { thread, runs: 0 };
  }

  send(message: { type?: string }): void {
    const thread = this.thread;
    if (message.type === "start" && this.reused) {
      this.reply({ type: "started" });
      return;
    }
    if (message.type === "stop") {
      this.keepAfterStop = this.mayKeep();
      if (this.keepAfterStop) {
        this.reply({ type: "stopped" });
        return;
      }
    }
    if ((message.type === "run" || message.type === "collect") && this.reused) {
      const m = message as { context: { invalidates?: string[] } };
      const invalidates = [...(m.context.invalidates ?? []), ...this.ownFiles];
      const config = this.project.serializedConfig;
      thread.postMessage({ ...m, context: { ...m.context, config, invalidates } });
      return;
    }
    thread.postMessage(message);
  }

  async stop(): Promise<void> {
    const own = this.own;
    if (!own) return;
    this.own = undefined;
    for (const [event, callback] of this.listeners.splice(0)) own.thread.off(event, callback);
    own.runs += 1;
    if (!this.keepAfterStop) {
      await own.thread.terminate();
      return;
    }
    const threads = idle.get(this.project) ?? [];
    threads.push(own);
    idle.set(this.project, threads);
  }

  on(event: string, callback: Listener): void {
    this.listeners.push([event, callback]);
    this.thread.on(event, callback);
  }

  off(event: string, callback: Listener): void {
    const i = this.listeners.findIndex(([e, c]) => e === event && c === callback);
    if (i >= 0) this.listeners.splice(i, 1);
    this.thread.off(event, callback);
  }

  deserialize(data: unknown): unknown {
    return data;
  }

  private get project(): TestProject {
    return this.options.project;
  }

  private get thread(): Worker {
    if (!this.own) throw new Error("kept-threads pool: worker used before start or after stop");
    return this.own.thread;
  }

  /** Whether the run that is ending can have left nothing running in the thread. */
  private mayKeep(): boolean {
    const own = this.own;
    if (!own || own.runs + 1 >= this.maxRuns) return false;
    const state = this.project.vitest.state;
    if (state.getUnhandledErrors().length > 0) return false;
    return !state.getFiles().some((file) => hasTimedOut(file));
  }

  /** A worker's answer, as vitest's PoolRunner expects it, delivered asynchronously. */
  private reply(message: { type: string }): void {
    const response = { __vitest_worker_response__: true, ...message };
    setImmediate(() => {
      for (const [event, callback] of [...this.listeners]) if (event === "message") callback(response);
    });
  }
}

/** Our own modules: every file under src/ and test/ (vitest keys evaluated modules by path). */
function ownFiles(root: string): readonly string[] {
  return ["src", "test"].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name)),
  );
}

interface TaskLike {
  readonly tasks?: readonly TaskLike[];
  readonly result?: { readonly errors?: readonly { readonly message?: string }[] };
}

/** A test or hook that timed out may still be running: vitest's own timeouts and waitFor's. */
function hasTimedOut(task: TaskLike): boolean {
  if (task.result?.errors?.some((e) => /timed out/i.test(e.message ?? ""))) return true;
  return (task.tasks ?? []).some(hasTimedOut);
}
