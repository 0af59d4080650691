// Retention of what claimflow stores (`claimflow retention run`, and a timer in the processor):
// - edi_batches.content (PHI) of `written` (and `superseded`) batches is removed EDI_CONTENT_RETENTION_DAYS after
//   the file was written; the row, its sha256, control numbers and claim refs stay, with
//   `content: null` and `content_purged_at`. Reserved batches are never touched (recovery needs
//   their content).
// - audit_log rows expire EDI_AUDIT_RETENTION_DAYS after `at` through the TTL index (the server
//   deletes them); this service keeps that index's TTL equal to the setting.
// - processing_history is never purged: it is the idempotency record.
import type { Db } from "mongodb";
import { currentActor } from "../../audit/actor.js";
import { COLLECTIONS } from "../../mongo/collections.js";
import { type AuditTtlChange, ensureAuditTtl, RETAINED_CONTENT } from "../../mongo/indexes.js";
import type { Logger } from "../../observability/logger.js";
import type { AuditEntry, AuditLog } from "../../ports/audit-log.js";
import type { Clock } from "../../ports/clock.js";
import { PeriodicTask } from "./periodic-task.js";

const DAY_MS = 86_400_000;

export interface RetentionDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly actor?: () => AuditEntry["actor"];
}

export interface RetentionOptions {
  readonly contentRetentionDays: number;
  readonly auditRetentionDays: number;
  /** Count only: nothing is removed, the TTL is not changed, no audit row is written. */
  readonly dryRun: boolean;
  /** Who asked: an operator (always audited) or the processor's timer (audited when it purged). */
  readonly trigger: "operator" | "timer";
  /** Also bring the audit_log TTL in line with auditRetentionDays (the processor does it at start). */
  readonly ensureAuditTtl: boolean;
}

export interface RetentionReport {
  readonly dryRun: boolean;
  readonly contentRetentionDays: number;
  /** Content of batches written before this instant is removed. */
  readonly contentCutoff: string;
  /** Batches whose content was removed (dry run: would be). */
  readonly batchesPurged: number;
  readonly auditRetentionDays: number;
  /** Audit rows before this instant are past retention; the TTL monitor deletes them. */
  readonly auditCutoff: string;
  /** Audit rows past retention still present (the TTL monitor runs about once a minute). */
  readonly auditRowsExpired: number;
  /** What happened to the TTL index; null when not checked (dry run, or the timer). */
  readonly auditTtl: AuditTtlChange | null;
}

/**
 * The purge filters: written batches still holding content, written before the cutoff (the
 * partial retention index); and superseded ones (`batches reissue`; rare, found through
 * state_1_created_at_1: a batch is created before it is written).
 */
function purgeable(cutoff: Date) {
  return [
    { ...RETAINED_CONTENT, written_at: { $lt: cutoff } },
    {
      state: "superseded",
      created_at: { $lt: cutoff },
      written_at: { $lt: cutoff },
      content: RETAINED_CONTENT.content,
    },
  ];
}

export async function runRetention(deps: RetentionDeps, opts: RetentionOptions): Promise<RetentionReport> {
  const { db, clock } = deps;
  const now = clock.now();
  const contentCutoff = new Date(now.getTime() - opts.contentRetentionDays * DAY_MS);
  const auditCutoff = new Date(now.getTime() - opts.auditRetentionDays * DAY_MS);
  const batches = db.collection(COLLECTIONS.batches);
  let batchesPurged: number;
  let auditTtl: AuditTtlChange | null = null;
  batchesPurged = 0;
  if (opts.dryRun) {
    for (const f of purgeable(contentCutoff)) batchesPurged += await batches.countDocuments(f);
  } else {
    for (const f of purgeable(contentCutoff)) {
      const res = await batches.updateMany(f, { $set: { content: null, content_purged_at: now } });
      batchesPurged += res.modifiedCount;
    }
    if (opts.ensureAuditTtl) auditTtl = await ensureAuditTtl(db, opts.auditRetentionDays);
  }
  const auditRowsExpired = await db
    .collection(COLLECTIONS.audit)
    .countDocuments({ at: { $lt: auditCutoff } });
  const report: RetentionReport = {
    dryRun: opts.dryRun,
    contentRetentionDays: opts.contentRetentionDays,
    contentCutoff: contentCutoff.toISOString(),
    batchesPurged,
    auditRetentionDays: opts.auditRetentionDays,
    auditCutoff: auditCutoff.toISOString(),
    auditRowsExpired,
    auditTtl,
  };
  if (!opts.dryRun && (opts.trigger === "operator" || batchesPurged > 0)) {
    await deps.audit.append({
      action: "retention_run",
      actor: (deps.actor ?? currentActor)(),
      at: now,
      details: {
        trigger: opts.trigger,
        content_retention_days: opts.contentRetentionDays,
        content_cutoff: report.contentCutoff,
        batches_purged: batchesPurged,
        audit_retention_days: opts.auditRetentionDays,
        audit_ttl: auditTtl,
      },
    });
  }
  return report;
}

export interface RetentionSchedulerOptions {
  readonly contentRetentionDays: number;
  readonly auditRetentionDays: number;
  readonly intervalMs: number;
  /** Delay of the first run after start (the processor lets recovery go first). */
  readonly firstRunAfterMs?: number;
  readonly logger: Logger;
}

/**
 * The processor's retention timer: runs never overlap, a failure is logged and retried at the
 * next tick (retention is never worth stopping billing for), and stop() waits for a run in flight.
 */
export class RetentionScheduler {
  private readonly task: PeriodicTask;

  constructor(
    private readonly deps: RetentionDeps,
    private readonly opts: RetentionSchedulerOptions,
  ) {
    this.task = new PeriodicTask(() => this.runOnce(), {
      intervalMs: opts.intervalMs,
      firstRunAfterMs: opts.firstRunAfterMs ?? 0,
    });
  }

  start(): void {
    this.task.start();
  }

  /** One run; never throws. */
  async runOnce(): Promise<RetentionReport | undefined> {
    const log = this.opts.logger;
    try {
      const report = await runRetention(this.deps, {
        contentRetentionDays: this.opts.contentRetentionDays,
        auditRetentionDays: this.opts.auditRetentionDays,
        dryRun: false,
        trigger: "timer",
        ensureAuditTtl: false,
      });
      if (report.batchesPurged > 0) {
        log.info(
          { batchesPurged: report.batchesPurged, contentCutoff: report.contentCutoff },
          "retention: removed stored content of old batches",
        );
      }
      return report;
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "retention run failed; will retry");
      return undefined;
    }
  }

  stop(): Promise<void> {
    return this.task.stop();
  }
}
