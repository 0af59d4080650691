// Retry with exponential backoff and jitter around a shared circuit breaker. Every MongoDB
// step of the pipeline runs through one Resilience so repeated failures open one circuit
// (readiness goes false) and every caller backs off together instead of hammering a sick
// cluster. Only what a retry can fix is retried (fault-class.ts): transient MongoDB errors
// until they succeed or the pipeline stops (giving up would mean dropping claims; the
// watermark keeps the checkpoint behind unfinished work), and output-disk errors the same way
// but outside the MongoDB circuit, with their own metric and readiness reason. Anything else
// (a claim-level or a process-level fault) is rethrown at once, unchanged.
import {
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type IPolicy,
  TaskCancelledError,
} from "cockatiel";
import type { Logger } from "../observability/logger.js";
import { CIRCUIT_STATE, type Metrics } from "../observability/metrics.js";
import { classifyFault, isCancellation } from "./fault-class.js";
import { sleep } from "./sleep.js";

export { isCancellation } from "./fault-class.js";

export interface ResilienceOptions {
  /** Consecutive failures that open the circuit. */
  readonly breakAfter?: number;
  /** How long the circuit stays open before a trial call. */
  readonly halfOpenAfterMs?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/** The output file system refuses writes: what /readyz and the log say. */
export interface OutputProblem {
  /** errno code: ENOSPC, EROFS, EACCES … */
  readonly code: string;
  /** The directory of the failed write (paths hold group, date and client ids, never PHI). */
  readonly directory: string | undefined;
}

const STATE_VALUE: Record<CircuitState, number> = {
  [CircuitState.Closed]: CIRCUIT_STATE.closed,
  [CircuitState.HalfOpen]: CIRCUIT_STATE.halfOpen,
  [CircuitState.Open]: CIRCUIT_STATE.open,
  [CircuitState.Isolated]: CIRCUIT_STATE.open,
};

const cancelled = () => new TaskCancelledError("operation cancelled: the pipeline is stopping");

export class Resilience {
  private readonly breaker;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly metrics: Metrics | undefined;
  private readonly logger: Logger | undefined;
  private unresolvedFailures = false;
  /** Runs whose last attempt failed on the output disk, and the latest such failure. */
  private blockedOnOutput = 0;
  private lastOutputProblem: OutputProblem | undefined;

  constructor(opts: ResilienceOptions = {}) {
    this.initialDelayMs = opts.initialDelayMs ?? 100;
    this.maxDelayMs = opts.maxDelayMs ?? 15_000;
    this.metrics = opts.metrics;
    this.logger = opts.logger;
    // Only transient MongoDB failures count toward opening the circuit; an output-disk or a
    // permanent error passes through it uncounted.
    this.breaker = circuitBreaker(
      handleWhen((err) => classifyFault(err).kind === "transient"),
      {
        halfOpenAfter: opts.halfOpenAfterMs ?? 5_000,
        breaker: new ConsecutiveBreaker(opts.breakAfter ?? 5),
      },
    ) as IPolicy & { readonly state: CircuitState; onStateChange: (l: (s: CircuitState) => void) => unknown };
    opts.metrics?.circuitState.set(CIRCUIT_STATE.closed);
    opts.metrics?.outputWritesBlocked.set(0);
    this.breaker.onStateChange((s) => {
      opts.metrics?.circuitState.set(STATE_VALUE[s]);
      if (s === CircuitState.Open) opts.logger?.error("circuit breaker open: MongoDB keeps failing");
      if (s === CircuitState.Closed) opts.logger?.info("circuit breaker closed");
    });
  }

  get circuitOpen(): boolean {
    return this.breaker.state === CircuitState.Open || this.breaker.state === CircuitState.Isolated;
  }

  /** Set while some write is blocked on the output file system: /readyz says why. */
  get outputProblem(): OutputProblem | undefined {
    return this.blockedOnOutput > 0 ? this.lastOutputProblem : undefined;
  }

  /**
   * Runs `fn`, retrying transient and output-disk failures with backoff until it succeeds;
   * any other error is rethrown at once. Rejects when `signal` aborts — at once, not after the
   * current backoff wait (up to maxDelayMs), so a stop is never held up by a sleeping retry.
   * `operation` names the call on claimflow_mongo_errors_total: every failed attempt that is
   * not the output disk's (those count on claimflow_output_errors_total) counts once.
   */
  run<T>(fn: () => Promise<T>, signal?: AbortSignal, operation?: string): Promise<T> {
    if (!signal) return this.attempts(fn, undefined, operation);
    if (signal.aborted) return Promise.reject(cancelled());
    const attempt = this.attempts(fn, signal, operation);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(cancelled());
      signal.addEventListener("abort", onAbort, { once: true });
      attempt.then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (err: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      );
    });
  }

  /**
   * Counts a failed attempt of `operation` on claimflow_mongo_errors_total, unless it was the
   * output disk's (claimflow_output_errors_total) or a stop cutting it short. `run` does this
   * for its own attempts; a caller whose one attempt holds several operations counts each here.
   */
  countFailure(operation: string, err: unknown): void {
    if (classifyFault(err).kind !== "output" && !isCancellation(err))
      this.metrics?.mongoErrors.inc({ operation });
  }

  private async attempts<T>(fn: () => Promise<T>, signal?: AbortSignal, operation?: string): Promise<T> {
    let blocked = false;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return (await this.breaker.execute(() => fn())) as T;
        } catch (err) {
          const fault = classifyFault(err);
          if (operation !== undefined) this.countFailure(operation, err);
          if (fault.kind === "output") {
            this.metrics?.outputErrors.inc({ code: fault.code });
            this.lastOutputProblem = { code: fault.code, directory: directoryOf(fault.path) };
            if (!blocked) {
              blocked = true;
              this.blockedOnOutput++;
              this.metrics?.outputWritesBlocked.set(this.blockedOnOutput);
            }
          } else if (fault.kind !== "transient") throw err;
          if (signal?.aborted) throw cancelled();
          const delayMs = this.backoffDelay(attempt);
          this.logger?.warn(
            { err: errorSummary(err), fault: fault.kind, attempt, delayMs: Math.round(delayMs) },
            fault.kind === "output"
              ? "output file write failed; retrying with backoff"
              : "operation failed; retrying with backoff",
          );
          await sleep(delayMs, signal);
          if (signal?.aborted) throw cancelled();
        }
      }
    } finally {
      if (blocked) {
        this.blockedOnOutput--;
        this.metrics?.outputWritesBlocked.set(this.blockedOnOutput);
      }
    }
  }

  /**
   * The change stream's reads do not go through `run` (its own loop resumes from the last
   * token), so it reports each outcome here: failures count toward opening the circuit, and
   * a success after failures resets the count, or closes the circuit once it is half-open.
   */
  recordFailure(err: unknown): void {
    this.unresolvedFailures = true;
    this.breaker.execute(() => Promise.reject(err)).catch(() => undefined);
  }

  recordSuccess(): void {
    // The common case (a healthy stream) costs nothing.
    if (!this.unresolvedFailures && this.breaker.state === CircuitState.Closed) return;
    this.breaker
      .execute(async () => undefined)
      .then(
        () => {
          this.unresolvedFailures = false;
        },
        // Still open: a later success, after halfOpenAfterMs, is the trial that closes it.
        () => undefined,
      );
  }

  /** Exponential backoff (half fixed, half jitter) for retry loops outside `run`; attempt counts from 1. */
  backoffDelay(attempt: number): number {
    const cap = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
    return cap / 2 + Math.random() * (cap / 2);
  }
}

/** An error's class, code and message, for logs: driver messages never contain documents. */
export function errorSummary(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { type: err.name, message: err.message.slice(0, 500), ...(code !== undefined ? { code } : {}) };
  }
  return { type: typeof err };
}

function directoryOf(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const at = path.lastIndexOf("/");
  return at > 0 ? path.slice(0, at) : path;
}
