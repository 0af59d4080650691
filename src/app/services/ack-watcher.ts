// The active processor's side of acknowledgements: every EDI_ACK_POLL_SECONDS it imports what
// was dropped into EDI_ACK_DIR (when set; standbys leave the directory alone) and samples the
// acknowledgement gauges. One file's failure is logged and the rest go on; nothing here throws.
import { basename } from "node:path";
import type { Logger } from "../../observability/logger.js";
import type { Metrics } from "../../observability/metrics.js";
import type { AckStore } from "../../ports/acknowledgements.js";
import type { Clock } from "../../ports/clock.js";
import { type AckImportDeps, importAckPaths } from "./ack-import.js";
import { UNACKNOWLEDGED_LOOKBACK_MS } from "./ack-service.js";
import { PeriodicTask } from "./periodic-task.js";

export interface AckWatcherOptions {
  readonly dir: string | undefined;
  readonly intervalMs: number;
  readonly expectedWithinHours: number;
  /** True while this processor holds the lease (only it imports). */
  readonly isActive: () => boolean;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export class AckWatcher {
  private readonly task: PeriodicTask;

  constructor(
    private readonly deps: AckImportDeps & { readonly store: AckStore; readonly clock: Clock },
    private readonly opts: AckWatcherOptions,
  ) {
    this.task = new PeriodicTask(() => this.runOnce(), {
      intervalMs: opts.intervalMs,
      firstRunAfterMs: 0,
    });
  }

  start(): void {
    this.task.start();
  }

  /** One pass: import (when active and a directory is set), then the gauges. Never throws. */
  async runOnce(): Promise<void> {
    const { logger: log } = this.opts;
    if (this.opts.dir !== undefined && this.opts.isActive()) {
      try {
        for (const o of await importAckPaths(this.deps, [this.opts.dir])) {
          // Base names only: a path may carry a client or a date the logs need not hold.
          if (o.ok && o.file.status === "imported") {
            const f = o.file;
            log.info(
              {
                file: basename(o.path),
                kinds: f.kinds,
                recorded: f.recorded,
                unmatched: f.unmatched,
                rejected: f.rejected,
              },
              "acknowledgement imported",
            );
          } else if (!o.ok) {
            log.warn({ file: basename(o.path), problem: o.error }, "acknowledgement file not imported");
          }
        }
      } catch (err) {
        log.warn({ err }, "acknowledgement directory could not be read; will retry");
      }
    }
    await this.sample();
  }

  private async sample(): Promise<void> {
    const { metrics, expectedWithinHours } = this.opts;
    try {
      const now = this.deps.clock.now().getTime();
      const [summary, waiting] = await Promise.all([
        this.deps.store.summary(),
        this.deps.store.countAwaiting999(
          new Date(now - expectedWithinHours * 3_600_000),
          new Date(now - UNACKNOWLEDGED_LOOKBACK_MS),
        ),
      ]);
      metrics.acknowledgements.reset();
      for (const r of summary.byKindResult)
        metrics.acknowledgements.set({ kind: r.kind, result: r.result }, r.count);
      metrics.ackRejectedClaims.reset();
      for (const r of summary.rejectedByCategory)
        metrics.ackRejectedClaims.set({ category: r.category }, r.count);
      metrics.ackUnmatched.set(summary.unmatched);
      metrics.filesUnacknowledged.set(waiting);
    } catch (err) {
      metrics.mongoErrors.inc({ operation: "stats" });
      this.opts.logger.debug({ err }, "acknowledgement gauges not refreshed");
    }
  }

  stop(): Promise<void> {
    return this.task.stop();
  }
}
