// One window in, at most one 837 file out — exactly once per claim version:
//   dedupe → enrich ($in) → dead letters → render → reserve (one transaction: batch row with
//   content + sha256, and the processing_history rows) → atomic file write → written/emitted
//   → optional billed mark → ack.
// A crash after `reserve` leaves a `reserved` batch that `recoverReserved` writes from its
// stored content on the next start; a crash before it leaves nothing, and the unacked events
// are read again. The unique {claim_number, version} index decides every race.
import { createHash, randomBytes } from "node:crypto";
import { currentActor } from "../audit/actor.js";
import type { Claim } from "../domain/claim.js";
import { ContentIntegrityError, type DeadLetterReason, type InputIssue } from "../domain/errors.js";
import type { ClaimVersionRef, JoinedClaim } from "../domain/joined-claim.js";
import { render837 } from "../edi/render.js";
import { checkRenderable } from "../edi/renderable.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { type BatchTrace, NOOP_BATCH_TRACE, startBatchTrace } from "../observability/tracing.js";
import type { AuditLog } from "../ports/audit-log.js";
import type { ClaimStore } from "../ports/claim-store.js";
import type { Clock } from "../ports/clock.js";
import { ContentUnreadableError } from "../ports/content-codec.js";
import type { DeadLetterEntry, DeadLetterStore } from "../ports/dead-letters.js";
import type { FileSink } from "../ports/file-sink.js";
import { BatchConflictError, type BatchRecord, DuplicateClaimsError, type Ledger } from "../ports/ledger.js";
import type { Acker } from "./acker.js";
import { batchPath } from "./batch-path.js";
import type { Enricher } from "./enricher.js";
import { errorSummary, type Resilience } from "./resilience.js";
import type { Window } from "./windows.js";

/** A validated ready claim waiting in a window. */
export interface PendingClaim {
  readonly seq: number;
  readonly claim: Claim;
  /** When the claim became ready (event cluster/wall time), for the latency histogram. */
  readonly eventTimeMs: number;
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
}

export interface BatchOutcome {
  readonly batchId?: string;
  readonly path?: string;
  readonly emitted: number;
  readonly duplicates: number;
  readonly deadLettered: number;
}

const MAX_RESERVE_ATTEMPTS = 5;

export function newBatchId(): string {
  return `b${Date.now().toString(36)}${randomBytes(5).toString("hex")}`;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export class BatchProcessor {
  constructor(private readonly deps: BatchProcessorDeps) {}

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
    const outcome = await trace.run(() => this.run(window, batchId, log, started, trace));
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
    // The same claim can arrive twice in one window (several updates); keep its newest version
    // so CLM01 stays unique in the file.
    const newest = new Map<string, PendingClaim>();
    let duplicates = 0;
    for (const item of window.items) {
      const prev = newest.get(item.claim.claim_number);
      if (!prev || item.claim.version > prev.claim.version) newest.set(item.claim.claim_number, item);
      if (prev) duplicates++;
    }
    let pending = [...newest.values()];

    // Two independent reads, one wait (a round trip less per batch): which claims are emitted
    // already, and the joins. Joins of claims found emitted are dropped unused, before anything
    // (a dead letter included) is decided from them.
    const enrichStart = performance.now();
    const [emitted, enrichedAll] = await Promise.all([
      d.resilience.run(() => d.ledger.findEmitted(pending.map(refOf)), d.signal),
      trace
        .step("enrich", () =>
          d.resilience.run(() => d.enricher.enrich(pending.map((p) => p.claim)), d.signal),
        )
        .then((r) => {
          d.metrics.enrichmentLatency.observe((performance.now() - enrichStart) / 1000);
          return r;
        }),
    ]);
    let enriched = enrichedAll;
    if (emitted.length > 0) {
      const seen = new Set(emitted.map(keyOf));
      const fresh = pending.map((p) => !seen.has(keyOf(refOf(p))));
      const repeats = pending.filter((_, i) => !fresh[i]);
      pending = pending.filter((_, i) => fresh[i]);
      enriched = enrichedAll.filter((_, i) => fresh[i]);
      duplicates += repeats.length;
      // A crash between the file and the billed mark leaves claims ready: finish the mark now.
      if (d.markBilled) await d.resilience.run(() => d.claims.markBilled(repeats.map(refOf)), d.signal);
    }
    d.metrics.claimsDuplicate.inc(duplicates);

    const dead: DeadLetterEntry[] = [];
    const joined: { item: PendingClaim; joined: JoinedClaim }[] = [];
    enriched.forEach((e, idx) => {
      const item = pending[idx] as PendingClaim;
      if (!e.ok) {
        dead.push(deadLetterOf(e.claim, e.reason, e.issues));
        return;
      }
      const problems = checkRenderable(e.joined);
      if (problems.length > 0) dead.push(deadLetterOf(e.joined.claim, "not_renderable", problems));
      else joined.push({ item, joined: e.joined });
    });
    if (dead.length > 0) {
      await d.resilience.run(() => d.deadLetters.record(dead, d.clock.now()), d.signal);
      for (const x of dead) d.metrics.claimsDeadLettered.inc({ reason: x.reason });
      log.warn(
        { deadLettered: dead.map((x) => ({ claim: x.claimNumber, version: x.version, reason: x.reason })) },
        "claims sent to dead_letters",
      );
    }

    if (joined.length === 0) {
      d.metrics.batches.inc({ outcome: "empty" });
      return { emitted: 0, duplicates, deadLettered: dead.length };
    }

    const batch = await this.reserve(batchId, joined, log, trace);
    if (!batch) {
      d.metrics.batches.inc({ outcome: "empty" });
      return { emitted: 0, duplicates: duplicates + joined.length, deadLettered: dead.length };
    }
    trace.set({ claimCount: batch.claimCount });
    await this.finish(batch, log, trace);
    const now = d.clock.now().getTime();
    for (const j of joined) {
      if (batch.claims.some((c) => c.claim_number === j.item.claim.claim_number)) {
        d.metrics.readyToFileLatency.observe(Math.max(0, now - j.item.eventTimeMs) / 1000);
      }
    }
    d.metrics.claimsEmitted.inc(batch.claimCount);
    d.metrics.batches.inc({ outcome: "written" });
    d.metrics.batchSize.observe(batch.claimCount);
    log.info(
      { path: batch.path, emitted: batch.claimCount, ms: now - started.getTime() },
      "837 file written",
    );
    return {
      batchId: batch.batchId,
      path: batch.path,
      emitted: batch.claimCount,
      duplicates: duplicates + (joined.length - batch.claimCount),
      deadLettered: dead.length,
    };
  }

  /**
   * Renders and reserves. On a duplicate-key conflict the conflicting claims are dropped and
   * the rest re-rendered under a fresh control number (gaps are allowed, reuse never). The
   * batch id stays: a reservation that failed on a duplicate committed nothing under it.
   */
  private async reserve(
    batchId: string,
    joined: readonly { item: PendingClaim; joined: JoinedClaim }[],
    log: Logger,
    trace: BatchTrace,
  ): Promise<BatchRecord | null> {
    const d = this.deps;
    let claims = joined.map((j) => j.joined);
    for (let attempt = 1; attempt <= MAX_RESERVE_ATTEMPTS && claims.length > 0; attempt++) {
      const first = claims[0] as JoinedClaim;
      const client = first.client;
      const senderId = client.isa.sender_id;
      const controlNumber = await d.resilience.run(() => d.ledger.nextControlNumber(senderId), d.signal);
      const createdAt = d.clock.now();
      let content: string;
      try {
        content = trace.stepSync("render", () =>
          render837({ batchId, client, claims, controlNumber, createdAt }),
        );
      } catch (err) {
        // A renderer bug must not crash-loop the processor on one batch: park it for a person.
        log.error({ err: errorSummary(err) }, "renderer failed; batch sent to dead_letters");
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
        return null;
      }
      const record: BatchRecord = {
        batchId,
        state: "reserved",
        streamName: d.streamName,
        groupId: first.claim.group_id,
        clientId: first.claim.client_id,
        senderId,
        isaControlNumber: controlNumber,
        gsControlNumber: controlNumber,
        path: batchPath(first.claim.group_id, first.claim.client_id, controlNumber, createdAt),
        content,
        sha256: sha256(content),
        claims: claims.map((c) => ({ claim_number: c.claim.claim_number, version: c.claim.version })),
        claimCount: claims.length,
        createdAt,
      };
      try {
        await trace
          .step("commit", () =>
            d.resilience.run(async () => {
              try {
                await d.ledger.reserve(record);
              } catch (err) {
                // Not failures to retry: a duplicate is handled below; a batch conflict (a control
                // number used before, edi_counters lowered by hand) needs a person, so it stops us.
                if (err instanceof DuplicateClaimsError || err instanceof BatchConflictError) return err;
                throw err;
              }
              return undefined;
            }, d.signal),
          )
          .then((dup) => {
            if (dup) throw dup;
          });
        return record;
      } catch (err) {
        if (!(err instanceof DuplicateClaimsError)) throw err;
        const dup = new Set(err.duplicates.map(keyOf));
        d.metrics.claimsDuplicate.inc(err.duplicates.length);
        log.info({ duplicates: err.duplicates.length }, "claims emitted concurrently; re-rendering");
        claims = claims.filter(
          (c) => !dup.has(keyOf({ claim_number: c.claim.claim_number, version: c.claim.version })),
        );
      }
    }
    return null;
  }

  /** File, then written/emitted, then the billed mark and the audit row. Idempotent. `log` carries the batch id. */
  async finish(batch: BatchRecord, log: Logger, trace: BatchTrace = NOOP_BATCH_TRACE): Promise<void> {
    const d = this.deps;
    if (batch.contentError) throw batch.contentError;
    if (batch.content === null) throw new ContentIntegrityError(batch.batchId);
    if (sha256(batch.content) !== batch.sha256) throw new ContentIntegrityError(batch.batchId);
    const content = batch.content;
    await trace.step("write", () => d.resilience.run(() => d.sink.write(batch.path, content), d.signal));
    const writtenAt = d.clock.now();
    await d.resilience.run(() => d.ledger.markWritten(batch.batchId, writtenAt), d.signal);
    d.metrics.lastFileTimestamp.set(writtenAt.getTime() / 1000);
    // The billed mark and the audit row do not depend on each other: one wait, not two.
    const billed = d.markBilled
      ? d.resilience.run(() => d.claims.markBilled(batch.claims), d.signal)
      : Promise.resolve(0);
    const audited = d.resilience
      .run(
        () =>
          d.audit.append({
            action: "file_emitted",
            actor: currentActor(),
            at: writtenAt,
            streamName: d.streamName,
            batchId: batch.batchId,
            claimNumbers: batch.claims.map((c) => c.claim_number),
            details: { path: batch.path, claims: batch.claimCount, isa13: batch.isaControlNumber },
          }),
        d.signal,
      )
      .catch((err) => log.warn({ err: String(err) }, "audit row not written"));
    await Promise.all([billed, audited]);
  }

  /** Startup recovery: every batch still `reserved` is written from its stored content. */
  async recoverReserved(): Promise<number> {
    const d = this.deps;
    const reserved = await d.resilience.run(() => d.ledger.findReserved(d.streamName), d.signal);
    for (const batch of reserved) {
      const trace = startBatchTrace({
        batchId: batch.batchId,
        streamName: d.streamName,
        groupId: batch.groupId,
        clientId: batch.clientId,
        claimCount: batch.claimCount,
        recovered: true,
      });
      const log = d.logger.child({ batchId: batch.batchId, ...trace.logFields });
      try {
        await trace.run(() => this.finish(batch, log, trace));
        d.metrics.batches.inc({ outcome: "recovered" });
        d.metrics.claimsEmitted.inc(batch.claimCount);
        log.info({ path: batch.path, claims: batch.claimCount }, "recovered reserved batch");
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
    return reserved.length;
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
