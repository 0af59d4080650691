// The source owns resumability, in one place (like the driver's change_stream.ts): where to
// start (stored token, or a catch-up scan from cluster time T0), reading with backpressure,
// idle post-batch tokens, and the restart state machine:
//
//   starting ─► catching_up ─► streaming ─┬─► (transient error)  ─► resume after last token
//                  ▲                      ├─► (token lost)       ─► clear checkpoint ─► catch-up (rescan) | fail
//                  └──────────────────────┴─► (invalidate)       ─► startAfter + catch-up
//
// Items leave as an RxJS Observable; each carries the watermark sequence it must be acked with.
import { Observable } from "rxjs";
import { ClaimflowError, ResumeTokenLostError, StreamInvalidatedError } from "../domain/errors.js";
import type { ClaimVersionRef } from "../domain/joined-claim.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import {
  type ChangeCursor,
  type ChangeEvent,
  type ChangeFeed,
  type ClusterTime,
  compareClusterTime,
  type FeedFilter,
  laterOf,
  type ResumeToken,
  type StartPosition,
} from "../ports/change-feed.js";
import type { CheckpointStore } from "../ports/checkpoint-store.js";
import type { ClaimSlice, ClaimStore } from "../ports/claim-store.js";
import type { Clock } from "../ports/clock.js";
import type { Ledger } from "../ports/ledger.js";
import type { Acker } from "./acker.js";
import { classifyFault } from "./fault-class.js";
import { errorSummary, isCancellation, type Resilience } from "./resilience.js";
import { sleep } from "./sleep.js";
import { PipelineStateError } from "./state-error.js";

/** How often a running catch-up scan logs its progress. */
const SCAN_PROGRESS_EVERY_MS = 5_000;

export type SourceState = "starting" | "catching_up" | "streaming" | "restarting" | "paused" | "stopped";

export interface SourceItem {
  readonly seq: number;
  readonly origin: "scan" | "stream";
  readonly operationType: ChangeEvent["operationType"] | "scan";
  /** The claim document; null when the event's document was deleted since. */
  readonly doc: Record<string, unknown> | null;
  readonly eventTimeMs: number;
  /** The change event's cluster time (absent for scanned documents). */
  readonly clusterTime?: ClusterTime | undefined;
  /**
   * False only for a change event newer than anything this stream ever reserved (the ledger's
   * `reservedThrough`) or this process read before: no earlier run can have emitted it, so the
   * batch path skips its history lookup. Scanned documents may always be repeats.
   */
  readonly mayRepeat: boolean;
}

/** A backfill's counts so far (see BackfillCounts in ports/stream-control.ts). */
export interface SliceProgress {
  total: number;
  scanned: number;
  alreadyEmitted: number;
  queued: number;
}

export interface SliceRun {
  readonly complete: boolean;
  readonly progress: SliceProgress;
  /** What was handed to the pipeline: its watermark sequence and claim version. */
  readonly queued: readonly { seq: number; ref: ClaimVersionRef | undefined }[];
}

export interface ClaimSourceDeps {
  readonly streamName: string;
  readonly filter: FeedFilter;
  readonly onTokenLost: "rescan" | "fail";
  /** EDI_MARK_BILLED: the scan finishes marks a crash interrupted (see scan). */
  readonly markBilled: boolean;
  readonly scanPageSize: number;
  readonly feed: ChangeFeed;
  readonly claims: ClaimStore;
  readonly checkpoints: CheckpointStore;
  readonly ledger: Ledger;
  /** Admits each read item and ends it (permits, watermark, buffered gauge): see Acker. */
  readonly acker: Acker;
  readonly resilience: Resilience;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

interface Plan {
  readonly position: StartPosition;
  /** Cluster time the catch-up scan covers up to; undefined when resuming from a token. */
  readonly scanUpTo: ClusterTime | undefined;
}

/** Raised when EDI_ON_TOKEN_LOST=fail: the processor must exit non-zero. */
export class TokenLostFatalError extends ClaimflowError {
  readonly code = "TOKEN_LOST_FATAL";
  constructor(override readonly cause: ResumeTokenLostError) {
    super(`${cause.message}; EDI_ON_TOKEN_LOST=fail, so claimflow stops`, { cause });
  }
}

export class ClaimSource {
  private stopping = false;
  private subscribed = false;
  private cursor: ChangeCursor | undefined;
  private lastToken: ResumeToken | undefined;
  private lastPostBatch: unknown;
  /** Consecutive change-stream failures, for the backoff; reset by a successful read. */
  private streamFailures = 0;
  private readonly abort = new AbortController();
  /** `claimflow pause`: stop reading (after the pull in progress) until resumed. */
  private pauseRequested = false;
  /** Whoever waits for a resume (the read loop, a backfill): woken by resume and by stop. */
  private resumeWaiters: (() => void)[] = [];
  /**
   * A change event at or below this cluster time may be a repeat (see SourceItem.mayRepeat): the
   * ledger's reservedThrough mark and the newest event read, both taken when the stream opens.
   */
  private repeatHorizon: ClusterTime | undefined;
  /** The newest change-event cluster time read by this source. */
  private newestRead: ClusterTime | undefined;
  /** Whether the ledger's mark was read (once, before the first event). */
  private markLoaded = false;
  /** The subscriber's `next` while the loop runs: a backfill feeds the same pipeline. */
  private emit: ((item: SourceItem) => void) | undefined;
  state: SourceState = "starting";

  constructor(private readonly deps: ClaimSourceDeps) {}

  items(): Observable<SourceItem> {
    return new Observable<SourceItem>((subscriber) => {
      // One reader per source, once: a second loop would emit every claim twice.
      if (this.subscribed || this.stopping) {
        subscriber.error(new PipelineStateError("source", "items", this.stopping ? "stopped" : this.state));
        return;
      }
      this.subscribed = true;
      this.loop((item) => subscriber.next(item)).then(
        () => subscriber.complete(),
        (err) => {
          // Stopping cuts retries short; whatever that interrupts is not a failure.
          if (this.stopping) {
            if (!isCancellation(err))
              this.deps.logger.debug({ err: errorSummary(err) }, "source ended during stop");
            subscriber.complete();
          } else subscriber.error(err);
        },
      );
      return () => this.stop();
    });
  }

  /**
   * Pause (`claimflow pause`): the pull in progress finishes, then the source reads nothing and
   * its cursor closes; what was read flows on through the windows and the checkpoint follows it.
   * Resume continues after the last token read (a catch-up scan cut short starts again: the
   * ledger skips what it already emitted).
   */
  setPaused(paused: boolean): void {
    this.pauseRequested = paused;
    if (!paused) this.wakeResumeWaiters();
  }

  /** Stops reading: the in-progress pull finishes, nothing new is emitted, the cursor closes. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (!this.subscribed) this.state = "stopped";
    this.wakeResumeWaiters();
    this.abort.abort();
    this.deps.acker.wakeAll();
    void this.cursor?.close().catch(() => undefined);
  }

  private async loop(emit: (item: SourceItem) => void): Promise<void> {
    this.emit = emit;
    let plan = await this.initialPlan();
    while (!this.stopping) {
      try {
        if (this.pauseRequested) {
          await this.waitWhilePaused();
          continue;
        }
        if (plan.scanUpTo) {
          this.state = "catching_up";
          const complete = await this.scan(emit, plan.scanUpTo);
          if (this.stopping) break;
          if (!complete) continue; // paused mid-scan: scanned again from the start on resume
          // What the scan handed on may come again as an event (the stream starts at T0,
          // inclusive): the stream's events up to T0 are looked up like repeats.
          this.repeatHorizon = laterOf(this.repeatHorizon, plan.scanUpTo);
          plan = { position: plan.position, scanUpTo: undefined };
        }
        // After a failure the state stays "restarting" (not ready) until a read succeeds.
        if (this.state !== "restarting") this.state = "streaming";
        await this.stream(emit, plan.position);
        if (this.pauseRequested && this.lastToken)
          plan = { position: { kind: "resumeAfter", token: this.lastToken }, scanUpTo: undefined };
      } catch (err) {
        if (this.stopping) break;
        plan = await this.recover(err, plan);
      }
    }
    this.state = "stopped";
    this.emit = undefined;
  }

  private async waitWhilePaused(): Promise<void> {
    await this.closeCursor();
    this.state = "paused";
    this.deps.logger.info({ stream: this.deps.streamName }, "paused: not reading the change stream");
    await this.untilResumed();
    if (!this.stopping) this.deps.logger.info({ stream: this.deps.streamName }, "resumed");
  }

  /** Returns once not paused, or stopping. */
  private async untilResumed(): Promise<void> {
    while (this.pauseRequested && !this.stopping) {
      await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
    }
  }

  private wakeResumeWaiters(): void {
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const wake of waiters) wake();
  }

  private async initialPlan(): Promise<Plan> {
    const d = this.deps;
    const cp = await d.resilience.run(() => d.checkpoints.load(d.streamName), this.abort.signal);
    if (cp?.token) {
      d.logger.info({ stream: d.streamName, source: cp.source }, "resuming after the stored token");
      return { position: { kind: "resumeAfter", token: cp.token }, scanUpTo: undefined };
    }
    // No token (first start, or reset by an operator to a time / cleared): scan what is ready
    // and not yet emitted, then stream from T0 — nothing between the two is missed.
    const t0 =
      cp?.clusterTime ?? (await d.resilience.run(() => d.feed.currentClusterTime(), this.abort.signal));
    d.logger.info(
      { stream: d.streamName, clusterTime: t0, reason: cp ? "checkpoint reset to a time" : "no checkpoint" },
      "catch-up scan, then streaming from the cluster time",
    );
    return { position: { kind: "atClusterTime", clusterTime: t0 }, scanUpTo: t0 };
  }

  private async recover(err: unknown, plan: Plan): Promise<Plan> {
    const d = this.deps;
    this.state = "restarting";
    await this.closeCursor();
    this.lastPostBatch = undefined;
    if (err instanceof ResumeTokenLostError) {
      d.metrics.tokenLost.inc();
      d.metrics.restarts.inc({ reason: "token_lost" });
      d.logger.error({ stream: d.streamName, serverCode: err.serverCode }, "resume token lost");
      // Clear before anything else, so a restart never loops on a dead token.
      await d.resilience.run(() => d.checkpoints.clear(d.streamName), this.abort.signal);
      d.acker.dropPositions();
      this.lastToken = undefined;
      if (d.onTokenLost === "fail") throw new TokenLostFatalError(err);
      const t0 = await d.resilience.run(() => d.feed.currentClusterTime(), this.abort.signal);
      return { position: { kind: "atClusterTime", clusterTime: t0 }, scanUpTo: t0 };
    }
    if (err instanceof StreamInvalidatedError) {
      d.metrics.restarts.inc({ reason: "invalidate" });
      d.logger.warn(
        { stream: d.streamName },
        "change stream invalidated; restarting after it with a catch-up scan",
      );
      this.lastToken = undefined;
      const t0 = await d.resilience.run(() => d.feed.currentClusterTime(), this.abort.signal);
      return { position: { kind: "startAfter", token: err.invalidateToken as ResumeToken }, scanUpTo: t0 };
    }
    if (err instanceof TokenLostFatalError) throw err;
    // Resuming cannot fix a process-level fault (unauthorized, a bug): the processor stops.
    if (classifyFault(err).kind === "process") throw err;
    d.metrics.restarts.inc({ reason: "transient" });
    d.metrics.mongoErrors.inc({ operation: "change_stream" });
    this.streamFailures++;
    const delayMs = d.resilience.backoffDelay(this.streamFailures);
    d.logger.warn(
      { err: errorSummary(err), failures: this.streamFailures, delayMs: Math.round(delayMs) },
      "change stream failed; resuming after the last token",
    );
    // The circuit counts stream failures too (repeated ones open it: readiness goes false);
    // reads keep backing off meanwhile, and the first one to succeed once the circuit is
    // half-open closes it.
    d.resilience.recordFailure(err);
    await sleep(delayMs, this.abort.signal);
    if (this.lastToken)
      return { position: { kind: "resumeAfter", token: this.lastToken }, scanUpTo: undefined };
    return { position: plan.position, scanUpTo: undefined };
  }

  /** True when the scan reached T0; false when stopped or paused before it. */
  private async scan(emit: (item: SourceItem) => void, upTo: ClusterTime): Promise<boolean> {
    const d = this.deps;
    let after: unknown;
    let total = 0;
    // Progress for operators: scanned / total on /metrics, and a log line every few seconds.
    const expected = await d.resilience.run(() => d.claims.countReady(d.filter), this.abort.signal);
    let scanned = 0;
    let lastReport = d.clock.now().getTime();
    d.metrics.catchUpTotal.set(expected);
    d.metrics.catchUpScanned.set(0);
    d.logger.info({ total: expected }, "catch-up scan started");
    do {
      const page = await d.resilience.run(
        () => d.claims.scanReady(d.filter, after, d.scanPageSize),
        this.abort.signal,
      );
      after = page.next;
      scanned += page.docs.length;
      d.metrics.catchUpScanned.set(scanned);
      const now = d.clock.now().getTime();
      if (now - lastReport >= SCAN_PROGRESS_EVERY_MS) {
        lastReport = now;
        d.logger.info({ scanned, total: expected, emitted: total }, "catch-up scan progress");
      }
      const handed = await this.emitPage(emit, page.docs, "scan");
      if (!handed) return false;
      total += handed.queued.length;
    } while (after !== undefined && !this.stopping && !this.pauseRequested);
    if (this.stopping || after !== undefined) return false;
    // Everything up to T0 is now read; once it is all done, a restart may start at T0.
    d.acker.pass({ clusterTime: upTo });
    d.logger.info({ claims: total }, "catch-up scan complete");
    return true;
  }

  /**
   * One page of ready claims into the pipeline, as catch-up documents: what the ledger already
   * holds as emitted is skipped, the rest is admitted through the acker to the
   * windows and the batch path (where a claim another path reserved first is dropped, never
   * billed twice). Undefined when the source stopped meanwhile.
   */
  private async emitPage(
    emit: (item: SourceItem) => void,
    docs: readonly Record<string, unknown>[],
    operation: "scan" | "backfill",
  ): Promise<
    { alreadyEmitted: number; queued: { seq: number; ref: ClaimVersionRef | undefined }[] } | undefined
  > {
    const d = this.deps;
    // Skip what is already emitted here, so a restart with markBilled=false stays cheap.
    const refs = docs.map(refOfDoc).filter((r): r is ClaimVersionRef => r !== undefined);
    const emitted = refs.length
      ? new Set((await d.resilience.run(() => d.ledger.findEmitted(refs), this.abort.signal)).map(refKey))
      : new Set<string>();
    // Emitted yet still ready: a crash came between the file and the billed mark. The stream
    // would finish the mark when it re-reads them; a scan skips them, so it finishes it here.
    if (d.markBilled && emitted.size > 0) {
      const unmarked = refs.filter((r) => emitted.has(refKey(r)));
      await d.resilience.run(() => d.claims.markBilled(unmarked), this.abort.signal);
    }
    let alreadyEmitted = 0;
    const queued: { seq: number; ref: ClaimVersionRef | undefined }[] = [];
    for (const doc of docs) {
      const ref = refOfDoc(doc);
      if (ref && emitted.has(refKey(ref))) {
        alreadyEmitted++;
        continue;
      }
      await d.acker.admit();
      if (this.stopping) {
        d.acker.unadmit();
        return undefined;
      }
      const seq = d.acker.track(undefined);
      this.received(operation).inc();
      emit({
        seq,
        origin: "scan",
        operationType: "scan",
        doc,
        eventTimeMs: docTime(doc, d.clock),
        mayRepeat: true,
      });
      queued.push({ seq, ref });
    }
    return { alreadyEmitted, queued };
  }

  /**
   * `claimflow backfill`: reads the slice's ready claims page by page and hands those not yet
   * emitted to the pipeline exactly as the catch-up scan does, beside the change stream (no
   * token reset, no restart; the checkpoint waits for them like for catch-up documents). Waits
   * while paused. `complete` is false when the source stopped first (or had not started).
   */
  async backfill(
    slice: ClaimSlice,
    onPage: (progress: SliceProgress) => Promise<void>,
    pageSize = this.deps.scanPageSize,
  ): Promise<SliceRun> {
    const d = this.deps;
    const progress = { total: 0, scanned: 0, alreadyEmitted: 0, queued: 0 };
    const queued: { seq: number; ref: ClaimVersionRef | undefined }[] = [];
    const incomplete = (): SliceRun => ({ complete: false, progress, queued });
    const emit = this.emit;
    if (!emit || this.stopping) return incomplete();
    progress.total = await d.resilience.run(() => d.claims.countReady(d.filter, slice), this.abort.signal);
    await onPage({ ...progress });
    let after: unknown;
    do {
      await this.untilResumed();
      if (this.stopping) return incomplete();
      const page = await d.resilience.run(
        () => d.claims.scanReady(d.filter, after, pageSize, slice),
        this.abort.signal,
      );
      after = page.next;
      const handed = await this.emitPage(emit, page.docs, "backfill");
      if (!handed) return incomplete();
      progress.scanned += page.docs.length;
      progress.alreadyEmitted += handed.alreadyEmitted;
      progress.queued += handed.queued.length;
      queued.push(...handed.queued);
      await onPage({ ...progress });
    } while (after !== undefined);
    return { complete: !this.stopping, progress, queued };
  }

  private async stream(emit: (item: SourceItem) => void, start: StartPosition): Promise<void> {
    const d = this.deps;
    if (!this.markLoaded) {
      // Read before the first event: whatever this stream reserved before this process (an
      // earlier run, a processor whose lease lapsed) is at or below the mark.
      const mark = await d.resilience.run(() => d.ledger.reservedThrough(d.streamName), this.abort.signal);
      this.repeatHorizon = laterOf(this.repeatHorizon, mark ?? undefined);
      this.markLoaded = true;
    }
    // Read before by this process (a reopen) may be a repeat too. (A start at a cluster time
    // always follows a scan up to it, which raised the horizon to it: see loop.)
    this.repeatHorizon = laterOf(this.repeatHorizon, this.newestRead);
    const horizon = this.repeatHorizon;
    // Not through `run`: opening is lazy on the server (the first read runs the aggregate), so
    // its success says nothing; a failure here or in a read goes to `recover` and its backoff.
    this.cursor = await d.feed.open(start, d.filter);
    const cursor = this.cursor;
    d.metrics.streaming.set(1);
    try {
      while (!this.stopping && !this.pauseRequested) {
        await d.acker.admit();
        if (this.stopping) {
          d.acker.unadmit();
          return;
        }
        let ev: ChangeEvent | null;
        try {
          ev = await cursor.tryNext();
        } catch (err) {
          d.acker.unadmit();
          throw err;
        }
        if (this.streamFailures > 0) this.streamFailures = 0;
        if (this.state === "restarting") this.state = "streaming";
        d.resilience.recordSuccess();
        if (ev === null) {
          d.acker.unadmit();
          this.onIdle(cursor);
          continue;
        }
        this.lastToken = ev.token;
        this.received(ev.operationType).inc();
        if (ev.clusterTime)
          d.metrics.streamLag.set(Math.max(0, d.clock.now().getTime() / 1000 - ev.clusterTime.t));
        const position = { token: ev.token, clusterTime: ev.clusterTime };
        const ct = ev.clusterTime;
        this.newestRead = laterOf(this.newestRead, ct);
        if (
          ev.operationType === "insert" ||
          ev.operationType === "update" ||
          ev.operationType === "replace"
        ) {
          const seq = d.acker.track(position);
          emit({
            seq,
            origin: "stream",
            operationType: ev.operationType,
            doc: ev.fullDocument,
            eventTimeMs:
              ev.wallTime?.getTime() ?? (ev.clusterTime ? ev.clusterTime.t * 1000 : d.clock.now().getTime()),
            clusterTime: ct,
            // Compared with the horizon as the stream opened, not with the event just before:
            // the events of one transaction share a cluster time and are not repeats of each other.
            mayRepeat: ct === undefined || (horizon !== undefined && compareClusterTime(ct, horizon) <= 0),
          });
        } else {
          // delete / drop / rename: nothing to bill. It ends here, as a skipped item, through
          // the same place every other item ends (the checkpoint moves past it once due).
          d.logger.info(
            { operation: ev.operationType, documentKey: String(ev.documentKey ?? "") },
            "event skipped",
          );
          d.acker.skip(d.acker.track(position), ev.operationType);
        }
      }
    } finally {
      d.metrics.streaming.set(0);
    }
  }

  /**
   * claimflow_events_received_total's child for one operation, made once rather than found by
   * hashing its labels on every event read.
   */
  private received(operation: string): { inc(): void } {
    let child = this.receivedChildren.get(operation);
    if (!child) {
      child = this.deps.metrics.eventsReceived.labels({ operation });
      this.receivedChildren.set(operation, child);
    }
    return child;
  }

  private readonly receivedChildren = new Map<string, { inc(): void }>();

  /** An idle stream still advances: the post-batch token covers everything read so far. */
  private onIdle(cursor: ChangeCursor): void {
    const token = cursor.postBatchToken();
    if (!token) return;
    const key = JSON.stringify(token);
    if (key === this.lastPostBatch) return;
    this.lastPostBatch = key;
    this.lastToken = token;
    this.deps.acker.pass({ token });
    this.deps.metrics.streamLag.set(0);
  }

  private async closeCursor(): Promise<void> {
    const c = this.cursor;
    this.cursor = undefined;
    await c?.close().catch(() => undefined);
  }
}

function refKey(r: ClaimVersionRef): string {
  return `${r.claim_number}\u0000${r.version}`;
}

function refOfDoc(doc: Record<string, unknown>): ClaimVersionRef | undefined {
  const n = doc.claim_number;
  const v = doc.version ?? 1;
  return typeof n === "string" && typeof v === "number" ? { claim_number: n, version: v } : undefined;
}

function docTime(doc: Record<string, unknown>, clock: Clock): number {
  const u = doc.updated_at;
  return u instanceof Date ? u.getTime() : clock.now().getTime();
}
