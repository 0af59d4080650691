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

  constructor(opts: ResilienceOptions = {}) {
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: opts.halfOpenAfterMs ?? 5_000,
      breaker: new ConsecutiveBreaker(opts.breakAfter ?? 5),
    });
    const retryPolicy = retry(handleAll, {
      maxAttempts: Number.POSITIVE_INFINITY,
      backoff: new ExponentialBackoff({
        initialDelay: opts.initialDelayMs ?? 100,
        maxDelay: opts.maxDelayMs ?? 15_000,
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

  /** Runs `fn` until it succeeds; rejects only when `signal` aborts. */
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.policy.execute(() => fn(), signal);
  }

  /** Records a failure seen outside `run` (e.g. the change stream) so the circuit sees it. */
  async observe<T>(fn: () => Promise<T>): Promise<T> {
    return this.breaker.execute(() => fn());
  }
}

export function isCancellation(err: unknown): boolean {
  return isTaskCancelledError(err) || (err instanceof Error && err.name === "AbortError");
}

/** An error's class, code and message, for logs: driver messages never contain documents. */
export function errorSummary(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { type: err.name, message: err.message.slice(0, 500), ...(code !== undefined ? { code } : {}) };
  }
  return { type: typeof err };
}
