// The one file that wires the flow (input → pipeline → output, acks flowing back):
//
//   ClaimSource ─► classify ─► windowByGroup ─► BatchProcessor ─► ack ─► Watermark ─► Checkpointer
//   (catch-up +     (schema,     (group,client;    (enrich, render,          (low watermark; saved at most
//    change stream,  dead         time/size/        reserve, file,            every interval, on idle and
//    backpressure)   letters)     shutdown)         written, billed)          on shutdown)
//
// Lifecycle: lease → recover reserved batches → stream; stop() stops reading, flushes every
// window, waits for in-flight batches, saves the checkpoint and releases the lease.
import { setMaxListeners } from "node:events";
import { Observable, type SchedulerLike, type Subscription } from "rxjs";
import { CLAIM_NUMBER, parseClaim } from "../domain/claim.js";
import type { DeadLetterReason, InputIssue } from "../domain/errors.js";
import type { RenderBatch } from "../edi/render.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { PipelinePorts } from "../ports/bundle.js";
import type { ClaimSlice } from "../ports/claim-store.js";
import type { Clock } from "../ports/clock.js";
import type { PauseState } from "../ports/stream-control.js";
import { Acker } from "./acker.js";
import { BatchProcessor, type PendingClaim } from "./batch-processor.js";
import { processWindows } from "./batch-queue.js";
import { ClaimSource, type SliceProgress, type SourceItem } from "./claim-source.js";
import { Enricher } from "./enricher.js";
import { InFlightLimiter } from "./in-flight.js";
import { LeaseKeeper, LeaseLostError } from "./lease-keeper.js";
import { errorSummary, Resilience } from "./resilience.js";
import { sleep } from "./sleep.js";
import { PipelineStateError } from "./state-error.js";
import { Watermark } from "./watermark.js";
import { windowByGroup } from "./windows.js";

/**
 * Batches in progress at once (was 4, then 8). A batch is a chain of round trips (history and
 * patient reads, a majority-write transaction, an fsync, the written/billed marks), mostly
 * waiting on MongoDB and the disk. Each step is group-committed (or its read coalesced) across
 * the batches that reach it together, so the more batches run at once, the fewer round trips
 * per file: on `npm run bench` (500 keys) 8 → 64 cut the processor's MongoDB commands from
 * 5,937 to 1,949 per 20,000 claims and mongod's CPU per claim by a third (bench/RESULTS.md).
 * Memory stays bounded by EDI_MAX_IN_FLIGHT (unacked claims), not by this.
 */
export const DEFAULT_BATCH_CONCURRENCY = 64;

/** Reserved batches of a stream without a live lease are finished by an active processor after this long. */
export const DEFAULT_ORPHAN_MIN_AGE_MS = 60_000;

/** A backfill counts its billed claims with findEmitted calls of this many versions. */
const BACKFILL_COUNT_CHUNK = 1000;

export interface EngineOptions {
  readonly streamName: string;
  readonly groupFilter?: string | undefined;
  readonly batchSize: number;
  readonly windowMs: number;
  readonly maxInFlight: number;
  readonly checkpointIntervalMs: number;
  readonly markBilled: boolean;
  readonly onTokenLost: "rescan" | "fail";
  readonly shutdownTimeoutMs: number;
  /** Batches rendered and committed at once (I/O overlap). */
  readonly batchConcurrency?: number;
  readonly leaseTtlMs?: number;
  /** How often gauges backed by queries (reserved, dead letters, oplog window, backlog) refresh. */
  readonly statsIntervalMs?: number;
  /** How often reserved batches of streams without a live lease are looked for (default 60 s). */
  readonly orphanSweepMs?: number;
  /** A reserved batch is an orphan candidate only once this old (default 60 s). */
  readonly orphanMinAgeMs?: number;
  /** Rendered content per batch above this is split (default MAX_CONTENT_BYTES; tests lower it). */
  readonly maxContentBytes?: number;
  readonly scanPageSize?: number;
  readonly resilience?: {
    breakAfter?: number;
    halfOpenAfterMs?: number;
    initialDelayMs?: number;
    maxDelayMs?: number;
  };
  /** Identity in the lease document. */
  readonly holder: string;
}

export interface EngineDeps {
  readonly ports: PipelinePorts;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly scheduler?: SchedulerLike;
  /** The 837 renderer; tests stand in a failing one (BatchProcessorDeps.render). */
  readonly render?: (batch: RenderBatch) => string;
}

export type EngineState = "idle" | "standby" | "recovering" | "running" | "stopping" | "stopped" | "failed";

export class Engine {
  private readonly watermark = new Watermark();
  private readonly acker: Acker;
  private readonly limiter: InFlightLimiter;
  private readonly resilience: Resilience;
  private readonly processor: BatchProcessor;
  private readonly source: ClaimSource;
  private readonly lease: LeaseKeeper;
  private readonly groupRegex: RegExp | undefined;
  private readonly abort = new AbortController();
  private pause: PauseState = { paused: false };
  private subscription: Subscription | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private orphanTimer: NodeJS.Timeout | undefined;
  private savedVersion = -1;
  private lastSavedAt: Date | undefined;
  private stopPromise: Promise<void> | undefined;
  private resolveDone!: () => void;
  private rejectDone!: (err: unknown) => void;
  /** Settles when the pipeline has ended: resolves after stop(), rejects on a fatal error. */
  readonly done: Promise<void>;
  state: EngineState = "idle";

  constructor(
    private readonly opts: EngineOptions,
    private readonly deps: EngineDeps,
  ) {
    // Every in-flight batch step and backoff sleep listens on this one signal and removes its
    // listener when it settles (test/pipeline/resilience.test.ts counts them back to zero); with
    // more than ten batches in flight Node's default limit would warn about a leak that is not one.
    setMaxListeners(0, this.abort.signal);
    const { ports, metrics, logger, clock } = deps;
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Callers that only await stop() must not see an unhandled rejection.
    this.done.catch(() => undefined);
    this.groupRegex = opts.groupFilter ? new RegExp(opts.groupFilter) : undefined;
    this.limiter = new InFlightLimiter(opts.maxInFlight);
    this.resilience = new Resilience({ ...opts.resilience, metrics, logger });
    const acker = new Acker(this.watermark, this.limiter, metrics);
    this.processor = new BatchProcessor({
      streamName: opts.streamName,
      markBilled: opts.markBilled,
      ledger: ports.ledger,
      claims: ports.claims,
      deadLetters: ports.deadLetters,
      sink: ports.sink,
      audit: ports.audit,
      enricher: new Enricher(ports.lookups),
      resilience: this.resilience,
      acker,
      clock,
      metrics,
      logger,
      signal: this.abort.signal,
      leases: ports.leases,
      ...(opts.maxContentBytes !== undefined ? { maxContentBytes: opts.maxContentBytes } : {}),
      ...(deps.render ? { render: deps.render } : {}),
    });
    this.source = new ClaimSource({
      streamName: opts.streamName,
      filter: { groupFilter: opts.groupFilter },
      onTokenLost: opts.onTokenLost,
      markBilled: opts.markBilled,
      scanPageSize: opts.scanPageSize ?? 1000,
      feed: ports.feed,
      claims: ports.claims,
      checkpoints: ports.checkpoints,
      ledger: ports.ledger,
      acker,
      resilience: this.resilience,
      clock,
      metrics,
      logger,
    });
    this.lease = new LeaseKeeper({
      leases: ports.leases,
      streamName: opts.streamName,
      holder: opts.holder,
      ttlMs: opts.leaseTtlMs ?? 15_000,
      logger,
      onLost: () => this.fail(new LeaseLostError(opts.streamName)),
      onActiveChange: (active) => metrics.leaseActive.set(active ? 1 : 0),
    });
    this.acker = acker;
  }

  /**
   * Readiness for /readyz. Active: streaming (or catching up), circuit closed. A hot standby is
   * ready while it can reach MongoDB to poll the lease: otherwise a rolling update that waits for
   * the new pod to be ready before stopping the old one would wait forever (the new one only
   * takes the lease once the old one stops). Which one is active is `role` here and the
   * claimflow_lease_active gauge.
   */
  readiness(): { ready: boolean; reason?: string; role?: "active" | "standby" } {
    if (this.state === "standby")
      return this.lease.reachable
        ? { ready: true, role: "standby" }
        : { ready: false, reason: "standby: cannot reach MongoDB to poll the lease", role: "standby" };
    if (this.state !== "running") return { ready: false, reason: `engine ${this.state}` };
    // The output disk before MongoDB: a full disk is not a MongoDB outage (and not in its circuit).
    const output = this.resilience.outputProblem;
    if (output)
      return {
        ready: false,
        reason: `output directory ${output.directory ?? ""} not writable: ${output.code}`.slice(0, 200),
        role: "active",
      };
    if (this.resilience.circuitOpen)
      return { ready: false, reason: "circuit open: MongoDB keeps failing", role: "active" };
    // Paused on purpose: live and ready (an orchestrator must not restart it), saying so.
    if (this.source.state === "paused")
      return {
        ready: true,
        reason:
          `paused by ${this.pause.by ?? "an operator"}: ${this.pause.reason ?? "no reason given"}`.slice(
            0,
            200,
          ),
        role: "active",
      };
    if (this.source.state === "restarting")
      return { ready: false, reason: "change stream restarting", role: "active" };
    if (this.source.state !== "streaming" && this.source.state !== "catching_up")
      return { ready: false, reason: `source ${this.source.state}`, role: "active" };
    return { ready: true, role: "active" };
  }

  get sourceState(): string {
    return this.source.state;
  }

  /**
   * `claimflow pause` / `resume`, as read from stream_controls: the source stops or restarts
   * reading; windows, batches and checkpoints go on. A standby keeps it for when it takes over.
   */
  setPaused(state: PauseState): void {
    const changed = state.paused !== this.pause.paused;
    this.pause = state;
    this.source.setPaused(state.paused);
    this.deps.metrics.paused.set(state.paused ? 1 : 0);
    if (changed)
      this.deps.logger.info(
        { paused: state.paused, by: state.by, reason: state.reason },
        state.paused ? "stream paused by an operator" : "stream resumed by an operator",
      );
  }

  get paused(): PauseState {
    return this.pause;
  }

  /**
   * `claimflow backfill`, on the active processor: the slice's ready claims not yet emitted go
   * through the normal batch path beside the stream (ClaimSource.backfill); resolves once every
   * one of them is done (in a written batch, dropped as reserved elsewhere, or dead-lettered)
   * with how many of them are emitted now. Undefined when the engine stopped before that: the
   * request is then carried on by whoever runs it next.
   */
  async backfill(
    slice: ClaimSlice,
    onProgress: (progress: SliceProgress) => Promise<void>,
  ): Promise<(SliceProgress & { billed: number }) | undefined> {
    if (this.state !== "running") return undefined;
    const run = await this.source.backfill(slice, onProgress);
    if (!run.complete) return undefined;
    while (!run.queued.every((q) => this.watermark.isDone(q.seq))) {
      if (this.abort.signal.aborted || (this.state !== "running" && this.state !== "stopping"))
        return undefined;
      await sleep(200, this.abort.signal);
    }
    const refs = run.queued.flatMap((q) => (q.ref ? [q.ref] : []));
    let billed = 0;
    for (let i = 0; i < refs.length; i += BACKFILL_COUNT_CHUNK) {
      const chunk = refs.slice(i, i + BACKFILL_COUNT_CHUNK);
      billed += (
        await this.resilience.run(() => this.deps.ports.ledger.findEmitted(chunk), this.abort.signal)
      ).length;
    }
    return { ...run.progress, billed };
  }

  /** Waits for the lease, recovers reserved batches, then starts the pipeline. */
  async start(): Promise<void> {
    const { logger, metrics } = this.deps;
    // Once only: a second start would run a second lease loop and read loop over one watermark.
    if (this.state !== "idle") throw new PipelineStateError("engine", "start", this.state);
    this.state = "standby";
    await this.lease.acquire(this.abort.signal);
    if (this.abort.signal.aborted) return;
    this.state = "recovering";
    let recovered: number;
    try {
      // Temp files of a killed process hold PHI and belong to no batch: they go first.
      const stale = await this.deps.ports.sink.removeStaleTemps();
      if (stale > 0) logger.warn({ files: stale }, "removed temp files left by a killed process");
      recovered = await this.processor.recoverReserved();
      await this.processor.recoverOrphans(this.opts.orphanMinAgeMs ?? DEFAULT_ORPHAN_MIN_AGE_MS);
    } catch (err) {
      if (this.abort.signal.aborted) return;
      throw err;
    }
    if (recovered > 0) logger.warn({ batches: recovered }, "wrote batches left reserved by a previous run");
    // stop() during recovery has already settled everything: never start streaming after it.
    if (this.abort.signal.aborted || this.state !== "recovering") return;
    this.state = "running";
    this.startTimers();

    metrics.bufferedClaims.set(0);
    const items = this.source.items();
    this.subscription = this.pipeline(items).subscribe({
      error: (err) => this.fail(err),
      complete: () => logger.info("pipeline drained"),
    });
  }

  private pipeline(items: Observable<SourceItem>) {
    const { metrics } = this.deps;
    return this.classified(items).pipe(
      windowByGroup<PendingClaim>({
        windowMs: this.opts.windowMs,
        batchSize: this.opts.batchSize,
        key: (p) => `${p.claim.group_id}|${p.claim.client_id}`,
        onOpenWindows: (n) => metrics.openWindows.set(n),
        ...(this.deps.scheduler ? { scheduler: this.deps.scheduler } : {}),
      }),
      processWindows<PendingClaim, unknown>({
        concurrency: this.opts.batchConcurrency ?? DEFAULT_BATCH_CONCURRENCY,
        maxItems: this.opts.batchSize,
        process: (w) => this.processor.process(w),
      }),
    );
  }

  /**
   * Each item through `classify`, in order: a valid claim is passed on at once, without an
   * Observable of its own (one per event was measurable at thousands of claims a second); the
   * rare item that needs a round trip first (a dead letter, a recorded PCN) is passed on, if at
   * all, when that ends. Completes when the items have and every such round trip is over.
   */
  private classified(items: Observable<SourceItem>): Observable<PendingClaim> {
    return new Observable<PendingClaim>((out) => {
      let waiting = 0;
      let ended = false;
      const settle = () => {
        if (ended && waiting === 0) out.complete();
      };
      return items.subscribe({
        next: (item) => {
          let c: Classified;
          try {
            c = this.classify(item);
          } catch (err) {
            // Thrown here it would escape RxJS as an unhandled error; the pipeline must fail.
            out.error(err);
            return;
          }
          if (c === undefined) return;
          if (!(c instanceof Promise)) {
            out.next(c);
            return;
          }
          waiting++;
          c.then(
            (later) => {
              if (later) out.next(later);
              waiting--;
              settle();
            },
            (err: unknown) => out.error(err),
          );
        },
        error: (err: unknown) => out.error(err),
        complete: () => {
          ended = true;
          settle();
        },
      });
    });
  }

  /**
   * Valid ready claims go on (returned); everything else is acked here, skipped at once
   * (undefined) or dead-lettered after its write (a promise of undefined).
   */
  private classify(item: SourceItem): Classified {
    const { metrics } = this.deps;
    if (item.doc === null) return this.skip(item, "document_deleted");
    const doc = item.doc;
    const parsed = parseClaim(doc);
    if (!parsed.ok) {
      // A claim that is not ready is not ours to judge, even if it is incomplete.
      if (doc.status !== "ready") return this.skip(item, "not_ready");
      if (!parsed.unsafeKeys && onlyPcnMissing(doc, parsed.issues))
        return this.withRecordedPcn(item, doc, parsed.issues);
      return this.deadLetter(item, doc, parsed.unsafeKeys ? "unsafe_keys" : "invalid_claim", parsed.issues);
    }
    const claim = parsed.value;
    if (claim.status !== "ready") return this.skip(item, "not_ready");
    if (this.groupRegex && !this.groupRegex.test(claim.group_id)) {
      // MongoDB's $match (PCRE) chose this claim and JavaScript reads the filter otherwise (config
      // allows only syntax both read alike, so this is a bug to look at). The server is the one
      // judge of EDI_GROUP_FILTER (stream, catch-up scan and backlog all ask it): the claim is
      // billed, never acked and skipped in silence; the disagreement is logged and counted.
      metrics.groupFilterDisagreements.inc();
      this.deps.logger.error(
        { claim: claim.claim_number, version: claim.version, group: claim.group_id },
        "EDI_GROUP_FILTER: MongoDB matched this claim's group, JavaScript did not; billing it as MongoDB chose",
      );
    }
    return {
      seq: item.seq,
      claim,
      eventTimeMs: item.eventTimeMs,
      clusterTime: item.clusterTime,
      mayRepeat: item.mayRepeat,
    };
  }

  /**
   * A replacement or void (frequency 7/8) that upstream sent without payer_claim_control_number
   * uses the one recorded from an accepted 277CA for that claim number (SPEC section 9); with
   * none recorded it is a dead letter for that reason, as before.
   */
  private async withRecordedPcn(
    item: SourceItem,
    doc: Record<string, unknown>,
    issues: InputIssue[],
  ): Promise<PendingClaim | undefined> {
    const acks = this.deps.ports.acks;
    const claimNumber = doc.claim_number as string;
    if (!acks) return this.deadLetter(item, doc, "invalid_claim", issues);
    const pcn = await this.resilience.run(() => acks.payerClaimControlNumber(claimNumber), this.abort.signal);
    if (pcn === undefined) return this.deadLetter(item, doc, "invalid_claim", issues);
    this.deps.logger.info(
      { claim: claimNumber, version: doc.version },
      "replacement/void: payer claim control number taken from the recorded 277CA",
    );
    return this.classify({ ...item, doc: { ...doc, payer_claim_control_number: pcn } });
  }

  private skip(item: SourceItem, reason: string): undefined {
    this.acker.skip(item.seq, reason);
    return undefined;
  }

  private async deadLetter(
    item: SourceItem,
    doc: Record<string, unknown>,
    reason: DeadLetterReason,
    issues: InputIssue[],
  ): Promise<undefined> {
    const { ports, metrics, logger, clock } = this.deps;
    const claimNumber =
      typeof doc.claim_number === "string" && CLAIM_NUMBER.test(doc.claim_number)
        ? doc.claim_number
        : `_id:${String(doc._id ?? "unknown").slice(0, 64)}`;
    const version = typeof doc.version === "number" && Number.isInteger(doc.version) ? doc.version : 1;
    const entry = {
      claimNumber,
      version,
      reason,
      issues,
      groupId: typeof doc.group_id === "string" ? doc.group_id.slice(0, 40) : undefined,
      clientId: typeof doc.client_id === "string" ? doc.client_id.slice(0, 64) : undefined,
    };
    await this.resilience.run(() => ports.deadLetters.record([entry], clock.now()), this.abort.signal);
    metrics.claimsDeadLettered.inc({ reason });
    logger.warn({ claim: claimNumber, version, reason, issues }, "claim sent to dead_letters");
    this.acker.ackOne(item.seq);
    return undefined;
  }

  private startTimers(): void {
    const { ports, metrics, logger } = this.deps;
    // Single flight: a save slower than the interval must not overlap the next one (two writes
    // of one checkpoint document at once only collide in write-conflict retries).
    let saving = false;
    this.checkpointTimer = setInterval(() => {
      if (saving) return;
      saving = true;
      void this.saveCheckpoint()
        .catch((err) => {
          metrics.mongoErrors.inc({ operation: "checkpoint" });
          logger.warn({ err: errorSummary(err) }, "checkpoint save failed; will retry");
        })
        .finally(() => {
          saving = false;
        });
    }, this.opts.checkpointIntervalMs);
    this.checkpointTimer.unref();
    let refreshing = false;
    const refreshStats = async () => {
      // Single flight: on a slow server, refreshes must not pile up behind each other.
      if (refreshing) return;
      refreshing = true;
      try {
        metrics.reservedBatches.set(await ports.ledger.countReserved());
        const oldest = await ports.ledger.oldestReserved();
        metrics.oldestReservedBatchAge.set(
          oldest ? Math.max(0, (this.deps.clock.now().getTime() - oldest.getTime()) / 1000) : 0,
        );
        metrics.deadLetters.set(await ports.deadLetters.count());
        if (ports.stats) {
          const win = await ports.stats.oplogWindowSeconds();
          if (win !== null) {
            metrics.oplogWindow.set(win);
            const age = this.lastSavedAt
              ? (this.deps.clock.now().getTime() - this.lastSavedAt.getTime()) / 1000
              : 0;
            metrics.checkpointHeadroom.set(win - age);
          }
          metrics.readyBacklog.set(await ports.stats.readyBacklog({ groupFilter: this.opts.groupFilter }));
        }
      } catch (err) {
        metrics.mongoErrors.inc({ operation: "stats" });
        logger.debug({ err: errorSummary(err) }, "stats refresh failed");
      } finally {
        refreshing = false;
      }
    };
    void refreshStats();
    this.statsTimer = setInterval(() => void refreshStats(), this.opts.statsIntervalMs ?? 15_000);
    this.statsTimer.unref();
    // Another stream's batch left reserved (its processor died, its stream was renamed or
    // retired) is finished by whichever processor is active, within a sweep or two.
    let sweeping = false;
    this.orphanTimer = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      void this.processor
        .recoverOrphans(this.opts.orphanMinAgeMs ?? DEFAULT_ORPHAN_MIN_AGE_MS)
        .catch((err) => {
          if (this.abort.signal.aborted) return;
          metrics.mongoErrors.inc({ operation: "orphan_sweep" });
          logger.warn({ err: errorSummary(err) }, "orphan batch sweep failed; will retry");
        })
        .finally(() => {
          sweeping = false;
        });
    }, this.opts.orphanSweepMs ?? 60_000);
    this.orphanTimer.unref();
  }

  /** Saves the low-watermark position when it moved since the last save. */
  async saveCheckpoint(): Promise<boolean> {
    // Saves run one after another: the final save at stop waits for a timer save in flight, and
    // an older position can never land after a newer one.
    const run = (this.saveChain ?? Promise.resolve(false)).catch(() => false).then(() => this.saveOnce());
    this.saveChain = run;
    return run;
  }

  private saveChain: Promise<boolean> | undefined;

  private async saveOnce(): Promise<boolean> {
    const { ports, clock, metrics } = this.deps;
    const { position, version } = this.watermark.safePosition;
    const now = clock.now();
    if (this.lastSavedAt) metrics.checkpointAge.set((now.getTime() - this.lastSavedAt.getTime()) / 1000);
    if (!position || version === this.savedVersion) return false;
    await ports.checkpoints.save({
      streamName: this.opts.streamName,
      token: position.token,
      clusterTime: position.clusterTime,
      updatedAt: now,
      source: "processor",
    });
    this.savedVersion = version;
    this.lastSavedAt = now;
    metrics.checkpointAge.set(0);
    return true;
  }

  /** Graceful stop: stop reading, flush windows, finish batches, checkpoint, release the lease. */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    const { logger } = this.deps;
    // After a fatal error everything is torn down already and `done` has rejected.
    if (this.state === "failed") return;
    const wasRunning = this.state === "running";
    this.state = "stopping";
    const deadline = setTimeout(
      () => {
        logger.error(
          { timeoutMs: this.opts.shutdownTimeoutMs },
          "shutdown timeout: abandoning in-flight batches",
        );
        this.abort.abort();
      },
      Math.max(0, this.opts.shutdownTimeoutMs - 500),
    );
    try {
      if (!wasRunning) {
        // Standby or recovering: nothing is streaming; hand the lease back if we hold it.
        this.abort.abort();
        await this.lease.release();
        return;
      }
      const drained = new Promise<void>((resolve) => {
        const sub = this.subscription;
        if (!sub || sub.closed) return resolve();
        sub.add(() => resolve());
      });
      this.source.stop();
      await drained;
      clearInterval(this.checkpointTimer);
      clearInterval(this.statsTimer);
      clearInterval(this.orphanTimer);
      if (!this.abort.signal.aborted) {
        await this.resilience
          .run(
            () => this.saveCheckpoint(),
            AbortSignal.timeout(Math.max(1000, this.opts.shutdownTimeoutMs / 4)),
          )
          .catch((err) => logger.error({ err: errorSummary(err) }, "final checkpoint not saved"));
      }
      await this.lease.release();
    } finally {
      clearTimeout(deadline);
      clearInterval(this.checkpointTimer);
      clearInterval(this.statsTimer);
      clearInterval(this.orphanTimer);
      // A failure (e.g. the shutdown timeout cut a batch short) stays visible as such.
      if ((this.state as EngineState) !== "failed") this.state = "stopped";
      this.resolveDone();
    }
  }

  private fail(err: unknown): void {
    if (this.state === "stopped" || this.state === "failed") return;
    this.deps.logger.fatal({ err: errorSummary(err) }, "pipeline failed");
    this.state = "failed";
    this.abort.abort();
    this.source.stop();
    // Hand the lease over now rather than make a standby wait out the TTL.
    void this.lease.release();
    clearInterval(this.checkpointTimer);
    clearInterval(this.statsTimer);
    clearInterval(this.orphanTimer);
    this.rejectDone(err);
  }
}

/** The claim's only problem is a missing payer claim control number (frequency 7/8). */
function onlyPcnMissing(doc: Record<string, unknown>, issues: readonly InputIssue[]): boolean {
  const pcn = doc.payer_claim_control_number;
  return (
    issues.length === 1 &&
    issues[0]?.path === "payer_claim_control_number" &&
    (pcn === undefined || pcn === null) &&
    typeof doc.claim_number === "string" &&
    CLAIM_NUMBER.test(doc.claim_number)
  );
}

/** What `classify` makes of one item: a claim for the windows, nothing, or one of them later. */
type Classified = PendingClaim | undefined | Promise<PendingClaim | undefined>;
