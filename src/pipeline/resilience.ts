// Retry with exponential backoff and jitter around a shared circuit breaker. Every MongoDB
// step of the pipeline runs through one Resilience so repeated failures open one circuit
// (readiness goes false) and every caller backs off together instead of hammering a sick
// cluster. Retries go on until they succeed or the pipeline is stopped: giving up would mean
// dropping claims, and the watermark already keeps the checkpoint behind unfinished work.
import {
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  type IPolicy,
  isTaskCancelledError,
  retry,
  TaskCancelledError,
  wrap,
} from "cockatiel";
import type { Logger } from "../observability/logger.js";
import { CIRCUIT_STATE, type Metrics } from "../observability/metrics.js";

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

const STATE_VALUE: Record<CircuitState, number> = {
  [CircuitState.Closed]: CIRCUIT_STATE.closed,
  [CircuitState.HalfOpen]: CIRCUIT_STATE.halfOpen,
  [CircuitState.Open]: CIRCUIT_STATE.open,
  [CircuitState.Isolated]: CIRCUIT_STATE.open,
};

export class Resilience {
  private readonly policy: IPolicy;
  private readonly breaker;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private unresolvedFailures = false;

  constructor(opts: ResilienceOptions = {}) {
    this.initialDelayMs = opts.initialDelayMs ?? 100;
    this.maxDelayMs = opts.maxDelayMs ?? 15_000;
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: opts.halfOpenAfterMs ?? 5_000,
      breaker: new ConsecutiveBreaker(opts.breakAfter ?? 5),
    });
    const retryPolicy = retry(handleAll, {
      maxAttempts: Number.POSITIVE_INFINITY,
      backoff: new ExponentialBackoff({
        initialDelay: this.initialDelayMs,
        maxDelay: this.maxDelayMs,
      }),
    });
    retryPolicy.onRetry((e) => {
      if ("error" in e) {
        opts.logger?.warn(
          { err: errorSummary(e.error), attempt: e.attempt, delayMs: Math.round(e.delay) },
          "operation failed; retrying with backoff",
        );
      }
    });
    opts.metrics?.circuitState.set(CIRCUIT_STATE.closed);
    this.breaker.onStateChange((s) => {
      opts.metrics?.circuitState.set(STATE_VALUE[s]);
      if (s === CircuitState.Open) opts.logger?.error("circuit breaker open: MongoDB keeps failing");
      if (s === CircuitState.Closed) opts.logger?.info("circuit breaker closed");
    });
    this.policy = wrap(retryPolicy, this.breaker);
  }

  get circuitOpen(): boolean {
    return this.breaker.state === CircuitState.Open || this.breaker.state === CircuitState.Isolated;
  }

  /**
   * Runs `fn` until it succeeds; rejects only when `signal` aborts — at once, not after the
   * current backoff wait (up to maxDelayMs), so a stop is never held up by a sleeping retry.
   */
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!signal) return this.policy.execute(() => fn());
    if (signal.aborted)
      return Promise.reject(new TaskCancelledError("operation cancelled: the pipeline is stopping"));
    const attempt = this.policy.execute(() => fn(), signal);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new TaskCancelledError("operation cancelled: the pipeline is stopping"));
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

export function isCancellation(err: unknown): boolean {
  // cockatiel 3's isTaskCancelledError tests for the bulkhead flag, so check the class itself.
  return (
    err instanceof TaskCancelledError ||
    isTaskCancelledError(err) ||
    (err instanceof Error && err.name === "AbortError")
  );
}

/** An error's class, code and message, for logs: driver messages never contain documents. */
export function errorSummary(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { type: err.name, message: err.message.slice(0, 500), ...(code !== undefined ? { code } : {}) };
  }
  return { type: typeof err };
}
