// The active processor's side of `claimflow backfill`: on every control poll (the same
// PeriodicTask that reads the pause state, EDI_CONTROL_POLL_SECONDS) it looks for the stream's
// oldest unfinished request in stream_backfills and, when this processor holds the lease and
// none runs, carries it out through Engine.backfill (the catch-up scan's path, narrowed to the
// slice, beside the stream). Progress goes to the request document and to /metrics as it reads.
//
// Once: a finished request (done / failed) is never run again. A run cut short by a stop, a
// crash or a lost lease leaves the request `running`; whoever holds the lease next runs it again
// from the start, and the ledger skips what the first run already emitted: never a duplicate.
import { currentActor } from "../../audit/actor.js";
import type { Logger } from "../../observability/logger.js";
import type { Metrics } from "../../observability/metrics.js";
import type { SliceProgress } from "../../pipeline/claim-source.js";
import { errorSummary, isCancellation } from "../../pipeline/resilience.js";
import type { AuditLog } from "../../ports/audit-log.js";
import type { ClaimSlice } from "../../ports/claim-store.js";
import type { Clock } from "../../ports/clock.js";
import type { BackfillRequest, BackfillStore } from "../../ports/stream-control.js";
import { sliceText } from "./backfill-service.js";

/** What the runner needs of the engine (Engine implements it). */
export interface BackfillEngine {
  readonly state: string;
  backfill(
    slice: ClaimSlice,
    onProgress: (progress: SliceProgress) => Promise<void>,
  ): Promise<(SliceProgress & { billed: number }) | undefined>;
}

export interface BackfillRunnerDeps {
  readonly streamName: string;
  /** The lease holder identity, recorded on the request. */
  readonly holder: string;
  readonly backfills: BackfillStore;
  readonly engine: BackfillEngine;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export class BackfillRunner {
  private current: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: BackfillRunnerDeps) {}

  /** Starts the oldest unfinished request when this processor is active and idle; never throws. */
  async poll(): Promise<void> {
    const d = this.deps;
    if (this.stopped || this.current || d.engine.state !== "running") return;
    let req: BackfillRequest | null;
    try {
      req = await d.backfills.nextBackfill(d.streamName);
    } catch (err) {
      d.metrics.mongoErrors.inc({ operation: "backfill" });
      d.logger.warn({ err: errorSummary(err) }, "stream_backfills not read; will retry");
      return;
    }
    if (!req || this.stopped || this.current) return;
    const request = req;
    this.current = this.run(request).finally(() => {
      this.current = undefined;
    });
  }

  /** The run in flight, if any (tests await it). */
  get running(): Promise<void> | undefined {
    return this.current;
  }

  /** Waits for a run in flight (the engine stopping ends it; it stays `running` for the next holder). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.current;
  }

  private async run(req: BackfillRequest): Promise<void> {
    const d = this.deps;
    const { metrics, logger } = d;
    const log = { backfill: req.id, slice: sliceText(req.slice) };
    const attempts = req.attempts + 1;
    try {
      const claimed = await d.backfills.updateBackfill(req.id, {
        state: "running",
        attempts,
        startedAt: d.clock.now(),
        runBy: d.holder,
        total: 0,
        scanned: 0,
        alreadyEmitted: 0,
        queued: 0,
        billed: 0,
      });
      if (!claimed) return;
      logger.info({ ...log, attempt: attempts }, "backfill started");
      metrics.backfillRunning.set(1);
      metrics.backfillTotal.set(0);
      metrics.backfillScanned.set(0);
      metrics.backfillBilled.set(0);
      const result = await d.engine.backfill(req.slice, async (p) => {
        metrics.backfillTotal.set(p.total);
        metrics.backfillScanned.set(p.scanned);
        await d.backfills.updateBackfill(req.id, { ...p });
        if (p.scanned > 0) logger.info({ ...log, ...p }, "backfill progress");
      });
      if (result === undefined) {
        logger.info(
          { ...log },
          "backfill interrupted (processor stopping); the next lease holder runs it again",
        );
        return;
      }
      const finishedAt = d.clock.now();
      await d.backfills.updateBackfill(req.id, { ...result, state: "done", finishedAt });
      metrics.backfillBilled.set(result.billed);
      metrics.backfills.inc({ outcome: "done" });
      await d.audit.append({
        action: "backfill_done",
        actor: currentActor(),
        at: finishedAt,
        streamName: d.streamName,
        details: { request: req.id, ...result },
      });
      logger.info({ ...log, ...result }, "backfill done");
    } catch (err) {
      if (this.stopped || isCancellation(err)) return;
      // Retries of transient errors happened below (Resilience); what reaches here is not going
      // to pass by running it again now. The request fails, loudly; a new one can be made.
      metrics.mongoErrors.inc({ operation: "backfill" });
      metrics.backfills.inc({ outcome: "failed" });
      const summary = errorSummary(err);
      logger.error({ ...log, err: summary }, "backfill failed");
      // Type and code only on the request (operators' reads); the message is in the log line.
      const code = summary.code === undefined ? "" : ` ${String(summary.code)}`;
      const error = `${String(summary.type)}${code}`.slice(0, 200);
      await d.backfills
        .updateBackfill(req.id, { state: "failed", finishedAt: d.clock.now(), error })
        .catch(() => undefined);
      await d.audit
        .append({
          action: "backfill_failed",
          actor: currentActor(),
          at: d.clock.now(),
          streamName: d.streamName,
          details: { request: req.id, error },
        })
        .catch(() => undefined);
    } finally {
      metrics.backfillRunning.set(0);
    }
  }
}
