// One window in, 837 files out (one, or several when the stored content would grow too large)
// — exactly once per claim version:
//   dedupe (newest image) → history ($in: emitted / superseded) ‖ enrich ($in) → dead letters
//   → render → reserve (one transaction: batch row with content + sha256, and the
//   processing_history rows) → atomic file write → written → optional billed mark → ack.
// A crash after `reserve` leaves a `reserved` batch that `recoverReserved` writes from its
// stored content on the next start; a crash before it leaves nothing, and the unacked events
// are read again. The unique {claim_number, version} index decides every race.
import { createHash, randomBytes } from "node:crypto";
import { currentActor } from "../audit/actor.js";
import type { Claim } from "../domain/claim.js";
import { ContentIntegrityError, type DeadLetterReason, type InputIssue } from "../domain/errors.js";
import type { ClaimVersionRef, JoinedClaim } from "../domain/joined-claim.js";
import { type RenderBatch, render837 } from "../edi/render.js";
import { NotRenderableError } from "../edi/render-errors.js";
import { checkRenderable } from "../edi/renderable.js";
import { interchangeSenderKey } from "../edi/sender-key.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { type BatchTrace, NOOP_BATCH_TRACE, startBatchTrace } from "../observability/tracing.js";
import type { AuditLog } from "../ports/audit-log.js";
import { type ClusterTime, laterOf } from "../ports/change-feed.js";
import type { ClaimStore } from "../ports/claim-store.js";
import type { Clock } from "../ports/clock.js";
import { ContentUnreadableError } from "../ports/content-codec.js";
import type { DeadLetterEntry, DeadLetterStore } from "../ports/dead-letters.js";
import type { FileSink, FileToWrite } from "../ports/file-sink.js";
import type { LeaseStore } from "../ports/lease.js";
import {
  type BatchRecord,
  DuplicateClaimsError,
  type HistoryLookup,
  type Ledger,
  type ReserveConflict,
} from "../ports/ledger.js";
import type { Acker } from "./acker.js";
import { batchPath } from "./batch-path.js";
import { ClaimOrder } from "./claim-order.js";
import type { Enriched, Enricher } from "./enricher.js";
import { classifyFault } from "./fault-class.js";
import { GroupCommit } from "./group-commit.js";
import { errorSummary, type Resilience } from "./resilience.js";
import type { Window } from "./windows.js";

/** A validated ready claim waiting in a window. */
export interface PendingClaim {
  readonly seq: number;
  readonly claim: Claim;
  /** When the claim became ready (event cluster/wall time), for the latency histogram. */
  readonly eventTimeMs: number;
  /** The change event's cluster time; absent for a scanned document. */
  readonly clusterTime?: ClusterTime | undefined;
  /**
   * False when no earlier run can have emitted this version (SourceItem.mayRepeat): its history
   * lookup is skipped. Absent means it may be a repeat.
   */
  readonly mayRepeat?: boolean | undefined;
}

export interface BatchProcessorDeps {
  readonly streamName: string;
  readonly markBilled: boolean;
  readonly ledger: Ledger;
  readonly claims: ClaimStore;
  readonly deadLetters: DeadLetterStore;
  readonly sink: FileSink;
  readonly audit: AuditLog;
  readonly enricher: Enricher;
  readonly resilience: Resilience;
  readonly acker: Acker;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Aborted at shutdown timeout: retries stop, unacked claims are read again on restart. */
  readonly signal?: AbortSignal;
  /** Leases, to tell a retired or dead stream's reserved batches (finished here) from a live one's. */
  readonly leases?: LeaseStore;
  /** A batch's rendered content is split above this many bytes (default MAX_CONTENT_BYTES). */
  readonly maxContentBytes?: number;
  /**
   * The 837 renderer (default render837). A seam, not a setting: tests stand in a renderer bug
   * here instead of mocking the module, so the fast tests can share one module graph (mutation
   * runs import it once per run, not once per test file).
   */
  readonly render?: (batch: RenderBatch) => string;
}

export interface BatchOutcome {
  readonly batchId?: string;
  readonly path?: string;
  /** Every file's path when the window was split into several batches by size. */
  readonly paths?: readonly string[];
  readonly emitted: number;
  readonly duplicates: number;
  readonly deadLettered: number;
}

/**
 * Rendered content above this is split into several batches. The batch row stores the content
 * (sealed: a little larger), and a MongoDB document cannot exceed 16 MiB; 8 MiB leaves room
 * for the envelope and the claim list. EDI_BATCH_SIZE=5000 with large claims reaches ~50 MB.
 */
export const MAX_CONTENT_BYTES = 8 * 1024 * 1024;

/**
 * Batches per group commit: bounds one transaction's size and one group's blast radius (a
 * failed round trip makes every batch of its group submit again).
 */
const GROUP_MAX = 64;

/**
 * After a reservation conflict, every batch looks its claims up for this long: a conflict means
 * another processor (overlapping EDI_GROUP_FILTER, one whose lease lapsed) reserves the same
 * claims, so repeats and superseded versions are possible beyond this stream's own mark.
 */
export const LOOKUP_AFTER_CONFLICT_MS = 10 * 60_000;

const NOTHING_FOUND: HistoryLookup = { emitted: [], superseded: [] };

/**
 * After-file steps (batches written, billed, audit: see afterFiles) in flight at once: one.
 * While it runs, every batch whose file is written waits and goes in the next one together,
 * so the groups grow with the load: measured over 20,000 claims, two in flight cost 2,200-2,400
 * requests to mongod, one ~1,950, and one merged step ~1,100, with the same p99 at 1,000
 * claims/s (both cores are busy either way; more in flight only made mongod run more, smaller
 * writes). The reservation keeps two: a slow or stuck reserve transaction must not hold up
 * every other batch's file (engine-backpressure's "not durable yet" test holds one). Reads and
 * files keep two as well.
 */
const AFTER_FILE_CONCURRENCY = 1;

/** A claim of the window with its joins, on its way to a batch or a dead letter. */
interface Row {
  readonly item: PendingClaim;
  readonly enriched: Enriched;
}

/**
 * Enrichment failed: the claim would become a dead letter. Whether a joined claim can be written
 * as an 837P is learnt while rendering it (see reserve), not by a separate pass over every claim.
 */
function refused(r: Row): boolean {
  return !r.enriched.ok;
}

interface Candidate {
  readonly item: PendingClaim;
  readonly joined: JoinedClaim;
}

export function newBatchId(): string {
  return `b${Date.now().toString(36)}${randomBytes(5).toString("hex")}`;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Group commit: batches that reach the same step at about the same time share its round trips.
 * While a step's round trips are in flight (GroupCommit), further batches wait and then go
 * together: one transaction reserves all of them, one writeMany writes their files in parallel
 * with one fsync per directory, one update marks them written, one update bills their claims,
 * one insert audits them. An idle batch goes at once (a group of one): no timer adds latency.
 * Retries stay per batch (each caller runs its own resilience loop around its submit), so a
 * transient failure of a group makes each of its batches submit again, grouped anew.
 */
export class BatchProcessor {
  /** Windows sharing a claim number run in the order they started (versions in order). */
  readonly claimOrder = new ClaimOrder();
  /** Clock time of the last reservation conflict (see LOOKUP_AFTER_CONFLICT_MS). */
  private lastConflictAt = Number.NEGATIVE_INFINITY;

  private readonly historyGroup: GroupCommit<readonly ClaimVersionRef[], HistoryLookup>;
  private readonly reserveGroup: GroupCommit<BatchRecord, ReserveConflict | undefined>;
  private readonly writeGroup: GroupCommit<FileToWrite, unknown>;
  private readonly afterFileGroup: GroupCommit<BatchRecord, Date>;

  constructor(private readonly deps: BatchProcessorDeps) {
    const d = deps;
    // The history lookup of every batch that reaches it at about the same time, in one read.
    // Windows sharing a claim number never run at once (claimOrder), and each batch gets back
    // exactly its own versions, so a merged read answers each batch as its own read would.
    this.historyGroup = new GroupCommit(
      async (lists) => {
        if (lists.length === 1) return [await d.ledger.lookupHistory(lists[0] as readonly ClaimVersionRef[])];
        const all = await d.ledger.lookupHistory(lists.flat());
        const emitted = new Set(all.emitted.map(keyOf));
        const superseded = new Set(all.superseded.map(keyOf));
        return lists.map((refs) => ({
          emitted: refs.filter((r) => emitted.has(keyOf(r))),
          superseded: refs.filter((r) => superseded.has(keyOf(r))),
        }));
      },
      { maxGroup: GROUP_MAX },
    );
    this.reserveGroup = new GroupCommit((batches) => d.ledger.reserveMany(batches), {
      maxGroup: GROUP_MAX,
    });
    this.writeGroup = new GroupCommit((files) => d.sink.writeMany(files), { maxGroup: GROUP_MAX });
    this.afterFileGroup = new GroupCommit((batches) => this.afterFiles(batches), {
      maxGroup: GROUP_MAX,
      concurrency: AFTER_FILE_CONCURRENCY,
    });
  }

  /** Processes one window; every item is acked exactly once, whatever the outcome. */
  async process(window: Window<PendingClaim>): Promise<BatchOutcome> {
    const d = this.deps;
    const started = d.clock.now();
    // The batch id is the correlation id of every line about this window (dedupe, enrich, dead
    // letters, render, write), so it is chosen before the first one; the batch row takes it too.
    const batchId = newBatchId();
    const first = window.items[0]?.claim;
    const trace = startBatchTrace({
      batchId,
      streamName: d.streamName,
      groupId: first?.group_id,
      clientId: first?.client_id,
      claimCount: window.items.length,
    });
    const log = d.logger.child({
      batchId,
      ...trace.logFields,
      window: window.key,
      flush: window.reason,
      claims: window.items.length,
    });
    // Acked only when the outcome is durable; a failure (abort at shutdown) leaves the claims
    // unacked so the checkpoint stays behind them and they are read again after a restart.
    const leave = await this.claimOrder.enter(window.items.map((i) => i.claim.claim_number));
    let outcome: BatchOutcome;
    try {
      outcome = await trace.run(() => this.run(window, batchId, log, started, trace));
    } finally {
      leave();
    }
    d.acker.ack(window.items.map((i) => i.seq));
    return outcome;
  }

  private async run(
    window: Window<PendingClaim>,
    batchId: string,
    log: Logger,
    started: Date,
    trace: BatchTrace,
  ): Promise<BatchOutcome> {
    const d = this.deps;
    // The same claim can arrive twice in one window (several updates); keep its newest version,
    // and of one version the image read last (items are in read order), so CLM01 stays unique
    // in the file and the file carries what the claim says now.
    const newest = new Map<string, PendingClaim>();
    let duplicates = 0;
    for (const item of window.items) {
      const prev = newest.get(item.claim.claim_number);
      if (!prev || item.claim.version >= prev.claim.version) newest.set(item.claim.claim_number, item);
      if (prev) duplicates++;
    }
    const pending = [...newest.values()];

    // Two independent reads, one wait (a round trip less per batch): which claims are emitted
    // already, and the joins. Joins of claims found emitted are dropped unused, before anything
    // (a dead letter included) is decided from them. Only versions that may be repeats are
    // looked up: a change event newer than anything this stream reserved cannot be one (after
    // a conflict, everything is, for a while). A race with another processor is still decided
    // by the unique index at reserve.
    const lookupAll = d.clock.now().getTime() - this.lastConflictAt < LOOKUP_AFTER_CONFLICT_MS;
    const toLookUp = lookupAll ? pending : pending.filter((p) => p.mayRepeat !== false);
    const enrichStart = performance.now();
    const [history, enrichedAll] = await Promise.all([
      this.lookUp(toLookUp),
      trace
        .step("enrich", () =>
          d.resilience.run(() => d.enricher.enrich(pending.map((p) => p.claim)), d.signal, "enrich"),
        )
        .then((r) => {
          d.metrics.enrichmentLatency.observe((performance.now() - enrichStart) / 1000);
          return r;
        }),
    ]);
    let known = await this.dropKnown(
      pending.map((item, i) => ({ item, enriched: enrichedAll[i] as Enriched })),
      history,
      log,
    );
    let rows = known.rows;
    duplicates += known.repeats;
    // A claim about to be refused whose lookup was skipped is looked up first: one emitted
    // before (touched since without a new version) whose joins no longer resolve is a repeat,
    // not a dead letter. Only refusals pay this read.
    const unchecked = lookupAll ? [] : rows.filter((r) => r.item.mayRepeat === false && refused(r));
    if (unchecked.length > 0) {
      known = await this.dropKnown(rows, await this.lookUp(unchecked.map((r) => r.item)), log);
      rows = known.rows;
      duplicates += known.repeats;
    }
    d.metrics.claimsDuplicate.inc(duplicates);

    const dead: DeadLetterEntry[] = [];
    const joined: Candidate[] = [];
    for (const r of rows) {
      const e = r.enriched;
      if (e.ok) joined.push({ item: r.item, joined: e.joined });
      else dead.push(deadLetterOf(e.claim, e.reason, e.issues));
    }
    await this.deadLetter(dead, log);

    if (joined.length === 0) {
      d.metrics.batches.inc({ outcome: "empty" });
      return { emitted: 0, duplicates, deadLettered: dead.length };
    }

    const { batches, renderFailed, skipped } = await this.reserve(batchId, joined, lookupAll, log, trace);
    if (batches.length === 0) {
      d.metrics.batches.inc({ outcome: "empty" });
      return {
        emitted: 0,
        duplicates: duplicates + joined.length - renderFailed - skipped,
        deadLettered: dead.length + renderFailed,
      };
    }
    let emitted = 0;
    const paths: string[] = [];
    for (const batch of batches) {
      trace.set({ claimCount: batch.claimCount });
      const batchLog =
        batch.batchId === batchId ? log : log.child({ batchId: batch.batchId, splitFrom: batchId });
      await this.finish(batch, trace);
      const now = d.clock.now().getTime();
      const inBatch = new Set(batch.claims.map(keyOf));
      for (const j of joined) {
        if (inBatch.has(keyOf(refOf(j.item))))
          d.metrics.readyToFileLatency.observe(Math.max(0, now - j.item.eventTimeMs) / 1000);
      }
      d.metrics.claimsEmitted.inc(batch.claimCount);
      d.metrics.batches.inc({ outcome: "written" });
      d.metrics.batchSize.observe(batch.claimCount);
      batchLog.info(
        { path: batch.path, emitted: batch.claimCount, ms: now - started.getTime() },
        "837 file written",
      );
      emitted += batch.claimCount;
      paths.push(batch.path);
    }
    const first = batches[0] as BatchRecord;
    return {
      batchId: first.batchId,
      path: first.path,
      ...(batches.length > 1 ? { paths } : {}),
      emitted,
      duplicates: duplicates + (joined.length - emitted - renderFailed - skipped),
      deadLettered: dead.length + renderFailed,
    };
  }

  /** Records dead letters of a window (one write), counts and logs them by claim and reason. */
  private async deadLetter(dead: readonly DeadLetterEntry[], log: Logger): Promise<void> {
    const d = this.deps;
    if (dead.length === 0) return;
    await d.resilience.run(() => d.deadLetters.record(dead, d.clock.now()), d.signal, "dead_letter");
    for (const x of dead) d.metrics.claimsDeadLettered.inc({ reason: x.reason });
    log.warn(
      { deadLettered: dead.map((x) => ({ claim: x.claimNumber, version: x.version, reason: x.reason })) },
      "claims sent to dead_letters",
    );
  }

  /**
   * Claims the renderer refused (checkRenderable says why): each becomes a `not_renderable` dead
   * letter, unless its lookup was skipped and the ledger knows it: one emitted before (touched
   * since without a new version, its joins no longer renderable) is a repeat, a superseded
   * version is skipped. Returns how many were dead-lettered and how many skipped.
   */
  private async notRenderable(
    refusedNow: readonly { readonly candidate: Candidate; readonly problems: InputIssue[] }[],
    lookupAll: boolean,
    log: Logger,
  ): Promise<{ deadLettered: number; skipped: number }> {
    const d = this.deps;
    const unchecked = lookupAll ? [] : refusedNow.filter((r) => r.candidate.item.mayRepeat === false);
    let keep = refusedNow;
    let skipped = 0;
    if (unchecked.length > 0) {
      const history = await this.lookUp(unchecked.map((r) => r.candidate.item));
      const known = await this.dropKnown(
        refusedNow.map((r) => r.candidate),
        history,
        log,
      );
      const left = new Set(known.rows);
      keep = refusedNow.filter((r) => left.has(r.candidate));
      d.metrics.claimsDuplicate.inc(known.repeats);
      skipped = refusedNow.length - keep.length - known.repeats;
    }
    await this.deadLetter(
      keep.map((r) => deadLetterOf(r.candidate.joined.claim, "not_renderable", r.problems)),
      log,
    );
    return { deadLettered: keep.length, skipped };
  }

  /** The history lookup of some claims (merged with other windows' by historyGroup). */
  private lookUp(items: readonly PendingClaim[]): Promise<HistoryLookup> {
    const d = this.deps;
    if (items.length === 0) return Promise.resolve(NOTHING_FOUND);
    return d.resilience.run(() => this.historyGroup.submit(items.map(refOf)), d.signal, "history_lookup");
  }

  /**
   * Drops what the ledger knows: versions already emitted (repeats; their billed mark is
   * finished, in case a crash came between the file and the mark) and versions a newer one
   * supersedes (skipped: an old version is never emitted after a newer one).
   */
  private async dropKnown<R extends { readonly item: PendingClaim }>(
    rows: readonly R[],
    history: HistoryLookup,
    log: Logger,
  ): Promise<{ rows: R[]; repeats: number }> {
    const d = this.deps;
    if (history.emitted.length === 0 && history.superseded.length === 0)
      return { rows: [...rows], repeats: 0 };
    const emitted = new Set(history.emitted.map(keyOf));
    const superseded = new Set(history.superseded.map(keyOf));
    const keep: R[] = [];
    const repeats: ClaimVersionRef[] = [];
    let stale = 0;
    for (const r of rows) {
      const ref = refOf(r.item);
      const k = keyOf(ref);
      if (emitted.has(k)) repeats.push(ref);
      else if (superseded.has(k)) stale++;
      else keep.push(r);
    }
    if (stale > 0) {
      // A newer version of the claim is billed already (a token reset into the past, a late
      // event): the old version is never emitted after it.
      d.metrics.eventsSkipped.inc({ reason: "superseded" }, stale);
      log.info({ superseded: stale }, "older claim versions skipped: a newer version is billed");
    }
    // Only versions whose batch is written (findEmitted never returns a reserved one).
    if (d.markBilled && repeats.length > 0)
      await d.resilience.run(() => d.claims.markBilled(repeats), d.signal, "mark_billed");
    return { rows: keep, repeats: repeats.length };
  }

  /**
   * Renders and reserves, as many batches as the content size needs (usually one). On a
   * duplicate-key conflict exactly the conflicting claims are dropped and the rest re-rendered
   * under a fresh control number (gaps are allowed, reuse never). There is no attempt limit:
   * every conflict removes at least one claim, so the loop ends, and no claim is ever dropped
   * unreserved. Renderability is checked while rendering: when the renderer refuses data the
   * 837 cannot carry, checkRenderable names the claims (`not_renderable` dead letters, or repeats
   * whose lookup was skipped) and the rest is rendered again under the same control number. A
   * claim the renderer throws on otherwise (a bug) is dead-lettered alone, not its whole window.
   */
  private async reserve(
    batchId: string,
    joined: readonly Candidate[],
    lookupAll: boolean,
    log: Logger,
    trace: BatchTrace,
  ): Promise<{ batches: BatchRecord[]; renderFailed: number; skipped: number }> {
    const d = this.deps;
    const maxBytes = d.maxContentBytes ?? MAX_CONTENT_BYTES;
    const render = d.render ?? render837;
    const out: BatchRecord[] = [];
    let renderFailed = 0;
    let skipped = 0;
    const candidateOf = new Map(joined.map((j) => [j.joined, j]));
    // Every part of the window raises the stream's mark to the window's newest event: a split
    // part may name a little more than its own claims, which only ever means a lookup more.
    let eventsThrough: ClusterTime | undefined;
    for (const j of joined) eventsThrough = laterOf(eventsThrough, j.item.clusterTime);
    const parts: JoinedClaim[][] = [joined.map((j) => j.joined)];
    while (parts.length > 0) {
      let claims = parts.shift() as JoinedClaim[];
      // The first batch keeps the window's id (its log lines already carry it); a split part
      // gets its own. A reservation that failed on a duplicate committed nothing under its id.
      const id = out.some((b) => b.batchId === batchId) ? newBatchId() : batchId;
      // Kept across render refusals (nothing was reserved under it); a conflict takes a fresh one.
      let controlNumber: number | undefined;
      /**
       * The claims checkRenderable finds problems with leave (dead letters, or repeats: see
       * notRenderable); the rest stay. Runs only after the renderer refused, so the common path
       * checks each claim once, while rendering it.
       */
      const dropUnrenderable = async (list: JoinedClaim[]): Promise<JoinedClaim[]> => {
        const refusedNow: { candidate: Candidate; problems: InputIssue[] }[] = [];
        const rest: JoinedClaim[] = [];
        for (const c of list) {
          const problems = checkRenderable(c);
          if (problems.length > 0) refusedNow.push({ candidate: candidateOf.get(c) as Candidate, problems });
          else rest.push(c);
        }
        if (refusedNow.length === 0) return list;
        const r = await this.notRenderable(refusedNow, lookupAll, log);
        renderFailed += r.deadLettered;
        skipped += r.skipped;
        return rest;
      };
      while (claims.length > 0) {
        const first = claims[0] as JoinedClaim;
        const client = first.client;
        const senderKey = interchangeSenderKey(client);
        if (senderKey === undefined) {
          // checkRenderable names the client's sender id; a gap there must not mis-key counters.
          const rest = await dropUnrenderable(claims);
          if (rest.length === claims.length)
            renderFailed += await this.renderFailure(claims, new Error("sender id not renderable"), log);
          break;
        }
        controlNumber ??= await d.resilience.run(
          () => d.ledger.nextControlNumber(senderKey),
          d.signal,
          "control_number",
        );
        const number = controlNumber;
        const createdAt = d.clock.now();
        let content: string;
        try {
          content = trace.stepSync("render", () =>
            render({ batchId: id, client, claims, controlNumber: number, createdAt }),
          );
        } catch (err) {
          if (err instanceof NotRenderableError) {
            // Data the 837 cannot carry (an identifier too long, a required element left empty):
            // checkRenderable says which claims and why.
            const rest = await dropUnrenderable(claims);
            if (rest.length < claims.length) {
              claims = rest;
              continue;
            }
          }
          // A renderer bug must not crash-loop the processor nor sink the whole window: find the
          // claims it fails on (each alone), park those for a person, render the rest again.
          const bad = claims.filter((c) => {
            try {
              render({ batchId: id, client, claims: [c], controlNumber: number, createdAt });
              return false;
            } catch {
              return true;
            }
          });
          const failing = bad.length > 0 ? bad : claims;
          renderFailed += await this.renderFailure(failing, err, log);
          const gone = new Set(failing);
          claims = claims.filter((c) => !gone.has(c));
          continue;
        }
        if (claims.length > 1 && Buffer.byteLength(content, "utf8") > maxBytes) {
          // Too large to store in one batch row: two halves, each split again if need be.
          const half = Math.ceil(claims.length / 2);
          parts.unshift(claims.slice(0, half), claims.slice(half));
          log.info(
            { claims: claims.length, bytes: Buffer.byteLength(content, "utf8") },
            "batch split by size",
          );
          break;
        }
        const record: BatchRecord = {
          batchId: id,
          state: "reserved",
          streamName: d.streamName,
          groupId: first.claim.group_id,
          clientId: first.claim.client_id,
          senderId: senderKey,
          isaControlNumber: number,
          gsControlNumber: number,
          path: batchPath(first.claim.group_id, first.claim.client_id, senderKey, number, createdAt),
          content,
          sha256: sha256(content),
          claims: claims.map((c) => ({ claim_number: c.claim.claim_number, version: c.claim.version })),
          claimCount: claims.length,
          totalChargeCents: claims.reduce((sum, c) => sum + c.claim.total_charge, 0),
          createdAt,
          ...(eventsThrough ? { eventsThrough } : {}),
        };
        // Not failures to retry: a duplicate is handled below; a batch conflict (a control
        // number used before, edi_counters lowered by hand) needs a person, so it stops us.
        const conflict = await trace.step("commit", () =>
          d.resilience.run(() => this.reserveGroup.submit(record), d.signal, "reserve"),
        );
        if (conflict === undefined) {
          out.push(record);
          break;
        }
        if (!(conflict instanceof DuplicateClaimsError)) throw conflict;
        this.lastConflictAt = d.clock.now().getTime();
        await this.billRepeats(conflict.duplicates);
        const dup = new Set(conflict.duplicates.map(keyOf));
        const before = claims.length;
        claims = claims.filter(
          (c) => !dup.has(keyOf({ claim_number: c.claim.claim_number, version: c.claim.version })),
        );
        // A ledger that reports no claim of this batch as the duplicate would loop for ever.
        if (claims.length === before) throw conflict;
        d.metrics.claimsDuplicate.inc(before - claims.length);
        log.info({ duplicates: before - claims.length }, "claims reserved concurrently; re-rendering");
        // The rest goes under a fresh control number (SPEC section 4; gaps are allowed).
        controlNumber = undefined;
      }
    }
    return { batches: out, renderFailed, skipped };
  }

  /**
   * Claims a reservation found taken, whose batch is written already: a crash between the file
   * and the billed mark, seen here because their lookup was skipped. Finish the mark, as the
   * lookup's repeat path does; a batch still reserved is billed by whoever finishes it.
   */
  private async billRepeats(duplicates: readonly ClaimVersionRef[]): Promise<void> {
    const d = this.deps;
    if (!d.markBilled || duplicates.length === 0) return;
    const emitted = await d.resilience.run(
      () => d.ledger.findEmitted(duplicates),
      d.signal,
      "history_lookup",
    );
    if (emitted.length > 0)
      await d.resilience.run(() => d.claims.markBilled(emitted), d.signal, "mark_billed");
  }

  /** Dead-letters claims the renderer failed on; returns how many. */
  private async renderFailure(claims: readonly JoinedClaim[], err: unknown, log: Logger): Promise<number> {
    const d = this.deps;
    log.error(
      { err: errorSummary(err), claims: claims.length },
      "renderer failed; claims sent to dead_letters",
    );
    const issue = { path: "", message: `renderer failed (${err instanceof Error ? err.name : "error"})` };
    await d.resilience.run(
      () =>
        d.deadLetters.record(
          claims.map((c) => deadLetterOf(c.claim, "not_renderable", [issue])),
          d.clock.now(),
        ),
      d.signal,
    );
    d.metrics.claimsDeadLettered.inc({ reason: "not_renderable" }, claims.length);
    return claims.length;
  }

  /** File, then written/emitted, then the billed mark and the audit row. Idempotent. */
  async finish(batch: BatchRecord, trace: BatchTrace = NOOP_BATCH_TRACE): Promise<void> {
    const d = this.deps;
    if (batch.contentError) throw batch.contentError;
    if (batch.content === null) throw new ContentIntegrityError(batch.batchId);
    if (sha256(batch.content) !== batch.sha256) throw new ContentIntegrityError(batch.batchId);
    const content = batch.content;
    await trace.step("write", () =>
      d.resilience.run(async () => {
        const failed = await this.writeGroup.submit({ path: batch.path, content });
        if (failed !== undefined) throw failed;
      }, d.signal),
    );
    // Written, billed and audited as one step of the group (see afterFiles); each part is
    // idempotent, so a retry after a failure in any of them runs the whole step again.
    const writtenAt = await d.resilience.run(() => this.afterFileGroup.submit(batch), d.signal);
    d.metrics.lastFileTimestamp.set(writtenAt.getTime() / 1000);
  }

  /**
   * After the files of a group are on disk, three writes for the whole group, one after the
   * other: the batches `written` (from here on their claims are emitted), the `billed` mark of
   * all their claims, and one audit row per file. One step, not three: the three used to group
   * apart, the audit insert (quick) in smaller groups than the billed transaction beside it, and
   * together they cost ~620 of ~1,600 round trips per 20,000 claims. Failures count on
   * claimflow_mongo_errors_total under the write that failed (once per group attempt); an audit
   * row the server refuses for good is logged and the files stand (as before).
   */
  private async afterFiles(batches: readonly BatchRecord[]): Promise<Date[]> {
    const d = this.deps;
    const counted = async <T>(operation: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        d.resilience.countFailure(operation, err);
        throw err;
      }
    };
    const at = d.clock.now();
    await counted("mark_written", () =>
      d.ledger.markWrittenMany(
        batches.map((b) => b.batchId),
        at,
      ),
    );
    if (d.markBilled)
      await counted("mark_billed", () => d.claims.markBilled(batches.flatMap((b) => b.claims)));
    const actor = currentActor();
    await counted("audit", () =>
      d.audit.appendMany(
        batches.map((b) => ({
          action: "file_emitted",
          actor,
          at,
          streamName: d.streamName,
          batchId: b.batchId,
          claimNumbers: b.claims.map((c) => c.claim_number),
          details: { path: b.path, claims: b.claimCount, isa13: b.isaControlNumber },
        })),
      ),
    ).catch((err: unknown) => {
      // Transient: the step runs again (written and billed are no-ops the second time).
      if (classifyFault(err).kind === "transient") throw err;
      d.logger.warn(
        { err: errorSummary(err), batches: batches.map((b) => b.batchId) },
        "audit rows not written",
      );
    });
    return batches.map(() => at);
  }

  /** Startup recovery: every batch of this stream still `reserved` is written from its stored content. */
  async recoverReserved(): Promise<number> {
    const d = this.deps;
    const reserved = await d.resilience.run(() => d.ledger.findReserved(d.streamName), d.signal, "recovery");
    await this.recover(reserved);
    return reserved.length;
  }

  /**
   * Batches of other streams left `reserved` for at least `minAgeMs` whose stream holds no live
   * lease (renamed, retired, or its processor died and nobody took over) are written here. A
   * live stream's batches are its own processor's to finish. Finishing is idempotent, so racing
   * another processor doing the same (or the owner coming back) writes the same file once.
   */
  async recoverOrphans(minAgeMs: number): Promise<number> {
    const d = this.deps;
    if (!d.leases) return 0;
    const leases = d.leases;
    const now = d.clock.now();
    const reserved = await d.resilience.run(
      () => d.ledger.findReserved(undefined, new Date(now.getTime() - minAgeMs)),
      d.signal,
    );
    const others = reserved.filter((b) => b.streamName !== d.streamName);
    if (others.length === 0) return 0;
    const live = new Map<string, boolean>();
    for (const stream of new Set(others.map((b) => b.streamName))) {
      const lease = await d.resilience.run(() => leases.current(stream), d.signal);
      // Judged by the store's clock (lease.live), as the lease keeper judges it.
      live.set(stream, lease?.live === true);
    }
    const orphans = others.filter((b) => live.get(b.streamName) === false);
    if (orphans.length > 0) {
      d.logger.warn(
        { batches: orphans.length, streams: [...new Set(orphans.map((b) => b.streamName))] },
        "finishing reserved batches of streams without a live processor",
      );
      await this.recover(orphans);
    }
    return orphans.length;
  }

  private async recover(reserved: readonly BatchRecord[]): Promise<void> {
    const d = this.deps;
    for (const batch of reserved) {
      const trace = startBatchTrace({
        batchId: batch.batchId,
        streamName: batch.streamName,
        groupId: batch.groupId,
        clientId: batch.clientId,
        claimCount: batch.claimCount,
        recovered: true,
      });
      const log = d.logger.child({ batchId: batch.batchId, ...trace.logFields });
      try {
        await trace.run(() => this.finish(batch, trace));
        d.metrics.batches.inc({ outcome: "recovered" });
        d.metrics.claimsEmitted.inc(batch.claimCount);
        log.info(
          { path: batch.path, claims: batch.claimCount, stream: batch.streamName },
          "recovered reserved batch",
        );
      } catch (err) {
        // Never a crash loop: a batch that cannot be read (corrupt, or its key is not configured)
        // stays reserved, its claims stay claimed, and `status` keeps showing it.
        if (!(err instanceof ContentIntegrityError || err instanceof ContentUnreadableError)) throw err;
        d.metrics.batches.inc({ outcome: "failed" });
        log.error(
          {
            err: err.message,
            code: err.code,
            ...(err instanceof ContentUnreadableError ? { keyId: err.keyId } : {}),
          },
          "reserved batch cannot be recovered; left in place for an operator",
        );
      }
    }
  }
}

function refOf(p: PendingClaim): ClaimVersionRef {
  return { claim_number: p.claim.claim_number, version: p.claim.version };
}

function keyOf(r: ClaimVersionRef): string {
  return `${r.claim_number}\u0000${r.version}`;
}

function deadLetterOf(claim: Claim, reason: DeadLetterReason, issues: InputIssue[]): DeadLetterEntry {
  return {
    claimNumber: claim.claim_number,
    version: claim.version,
    reason,
    issues,
    groupId: claim.group_id,
    clientId: claim.client_id,
  };
}
