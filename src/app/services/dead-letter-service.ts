// Dead-letter triage for operators (`dead-letters list|show|retry|purge`). Retry judges the
// claim with the processor's own schema (parseClaim, as the engine's classify step does) and,
// when it now passes, hands it back to the processor through the change stream rather than
// billing it here: there is exactly one path from a ready claim to a file.
import { currentActor } from "../../audit/actor.js";
import { parseClaim } from "../../domain/claim.js";
import { type DeadLetterReason, formatIssues } from "../../domain/errors.js";
import type { AuditEntry } from "../../ports/audit-log.js";
import type { PipelinePorts } from "../../ports/bundle.js";
import type { Clock } from "../../ports/clock.js";
import type { DeadLetter } from "../../ports/dead-letters.js";
import { NotFoundError, RetryRefusedError } from "./operator-errors.js";

export interface DeadLetterDeps {
  readonly ports: Pick<PipelinePorts, "deadLetters" | "claims" | "audit">;
  readonly clock: Clock;
  readonly actor?: () => AuditEntry["actor"];
}

export async function listDeadLetters(
  deps: DeadLetterDeps,
  opts: { readonly limit: number; readonly reason?: DeadLetterReason | undefined },
): Promise<DeadLetter[]> {
  return deps.ports.deadLetters.list({ limit: opts.limit, reason: opts.reason });
}

/** Every dead-lettered version of one claim, oldest version first; NotFoundError when none. */
export async function showDeadLetter(deps: DeadLetterDeps, claimNumber: string): Promise<DeadLetter[]> {
  const rows = await deps.ports.deadLetters.get(claimNumber);
  if (rows.length === 0) throw new NotFoundError(`no dead letter for claim ${claimNumber}`);
  return rows;
}

export interface RetryResult {
  readonly claimNumber: string;
  /** The claim's current version, which the processor will now see again. */
  readonly version: number;
  /** Dead-letter rows removed (every version of the claim: older ones can never be billed). */
  readonly removed: number;
  /**
   * True when the claim was touched (still ready at that version); false when it changed in
   * the meantime, in which case that change already put it back on the change stream.
   */
  readonly requeued: boolean;
}

/**
 * Re-validates the claim's current document; when it parses and is ready, removes its dead
 * letters and touches it (`updated_at`) so the change stream delivers it to the processor again.
 * Throws NotFoundError (no dead letter) or RetryRefusedError (claim gone, not ready, still
 * invalid: the issues are listed by path, never by value). Audited.
 */
export async function retryDeadLetter(deps: DeadLetterDeps, claimNumber: string): Promise<RetryResult> {
  const { ports, clock } = deps;
  const rows = await ports.deadLetters.get(claimNumber);
  if (rows.length === 0) throw new NotFoundError(`no dead letter for claim ${claimNumber}`);
  const doc = await ports.claims.findByClaimNumber(claimNumber);
  if (doc === null) {
    throw new RetryRefusedError(
      `claim ${claimNumber} is no longer in claim_detail; nothing to retry (purge its dead letter)`,
    );
  }
  const parsed = parseClaim(doc);
  if (!parsed.ok) {
    throw new RetryRefusedError(
      `claim ${claimNumber} is still invalid, fix it upstream first: ${formatIssues(parsed.issues)}`,
    );
  }
  const claim = parsed.value;
  if (claim.status !== "ready") {
    throw new RetryRefusedError(
      `claim ${claimNumber} is ${claim.status}, not ready; only ready claims are processed`,
    );
  }
  // Remove first, then touch: the processor may judge the claim within milliseconds of the
  // touch, and a dead letter it records again (references still missing) must survive.
  const removed = await ports.deadLetters.remove(claimNumber);
  const now = clock.now();
  const requeued = await ports.claims.requeue({ claim_number: claimNumber, version: claim.version }, now);
  await ports.audit.append({
    action: "dead_letter_retry",
    actor: (deps.actor ?? currentActor)(),
    at: now,
    claimNumbers: [claimNumber],
    details: {
      version: claim.version,
      removed,
      requeued,
      reasons: [...new Set(rows.map((r) => r.reason))].join(","),
    },
  });
  return { claimNumber, version: claim.version, removed, requeued };
}

/** Deletes dead letters last seen before `before`. Audited. */
export async function purgeDeadLetters(deps: DeadLetterDeps, before: Date): Promise<number> {
  const { ports, clock } = deps;
  const purged = await ports.deadLetters.purgeBefore(before);
  await ports.audit.append({
    action: "dead_letter_purge",
    actor: (deps.actor ?? currentActor)(),
    at: clock.now(),
    details: { before: before.toISOString(), purged },
  });
  return purged;
}

/** What a retry of one claim does (or, in a dry run, would do). */
export type RetryOutcome =
  /** Ready and valid: dead letters removed, touched for the change stream (dry run: would be). */
  | "requeued"
  /** Dead letters removed, but the claim changed meanwhile (that change is on the stream). */
  | "changed"
  /** No longer in claim_detail. */
  | "gone"
  /** Still fails the schema (fix upstream first). */
  | "invalid"
  /** Not `ready` (draft, hold, …). */
  | "not_ready";

export interface BulkRetryClaim {
  readonly claimNumber: string;
  readonly outcome: RetryOutcome;
  /** The claim's current version, when it parses. */
  readonly version?: number | undefined;
}

export interface BulkRetryResult {
  readonly reason: DeadLetterReason | "all";
  readonly dryRun: boolean;
  /** Dead-lettered claims matched (each counted once, whatever its number of versions). */
  readonly matched: number;
  /** Claims per outcome. */
  readonly outcomes: Readonly<Record<RetryOutcome, number>>;
  /** Dead-letter rows removed (0 in a dry run). */
  readonly removed: number;
  readonly claims: readonly BulkRetryClaim[];
  /** True when more dead letters matched than one run handles (run it again). */
  readonly truncated: boolean;
}

/** At most this many claims per bulk retry; the rest is left for the next run (reported). */
export const MAX_BULK_RETRY = 10_000;

/** The dead-lettered claims a bulk retry would consider, for the count shown before it runs. */
export async function countRetryable(
  deps: DeadLetterDeps,
  reason: DeadLetterReason | undefined,
): Promise<{ readonly claims: number; readonly truncated: boolean }> {
  const { numbers, truncated } = await matchingClaims(deps, reason);
  return { claims: numbers.length, truncated };
}

async function matchingClaims(
  deps: DeadLetterDeps,
  reason: DeadLetterReason | undefined,
): Promise<{ numbers: string[]; truncated: boolean }> {
  // One claim may have several dead-lettered versions: read a little more than the cap of rows.
  const rows = await deps.ports.deadLetters.list({ limit: MAX_BULK_RETRY * 2 + 1, reason });
  const numbers = [...new Set(rows.map((r) => r.claimNumber))];
  const truncated = rows.length > MAX_BULK_RETRY * 2 || numbers.length > MAX_BULK_RETRY;
  return { numbers: numbers.slice(0, MAX_BULK_RETRY), truncated };
}

/**
 * `dead-letters retry --reason R | --all`: the single retry applied to every matching claim,
 * one after another, never failing the run for one claim: each gets an outcome. Claims whose
 * `claim_number` is not a usable key (`_id:<id>` rows) are `gone` (nothing can find them).
 * A dry run reads only. One audit row for the run (outcome counts, requeued claim numbers).
 */
export async function retryDeadLetters(
  deps: DeadLetterDeps,
  opts: { readonly reason?: DeadLetterReason | undefined; readonly dryRun: boolean },
): Promise<BulkRetryResult> {
  const { ports, clock } = deps;
  const { numbers, truncated } = await matchingClaims(deps, opts.reason);
  const outcomes: Record<RetryOutcome, number> = {
    requeued: 0,
    changed: 0,
    gone: 0,
    invalid: 0,
    not_ready: 0,
  };
  const claims: BulkRetryClaim[] = [];
  let removed = 0;
  for (const claimNumber of numbers) {
    const doc = claimNumber.startsWith("_id:") ? null : await ports.claims.findByClaimNumber(claimNumber);
    let result: BulkRetryClaim;
    if (doc === null) result = { claimNumber, outcome: "gone" };
    else {
      const parsed = parseClaim(doc);
      if (!parsed.ok) result = { claimNumber, outcome: "invalid" };
      else if (parsed.value.status !== "ready") {
        result = { claimNumber, outcome: "not_ready", version: parsed.value.version };
      } else if (opts.dryRun) {
        result = { claimNumber, outcome: "requeued", version: parsed.value.version };
      } else {
        // Same order as the single retry: remove, then touch.
        removed += await ports.deadLetters.remove(claimNumber);
        const version = parsed.value.version;
        const requeued = await ports.claims.requeue({ claim_number: claimNumber, version }, clock.now());
        result = { claimNumber, outcome: requeued ? "requeued" : "changed", version };
      }
    }
    outcomes[result.outcome] += 1;
    claims.push(result);
  }
  const reason = opts.reason ?? "all";
  if (!opts.dryRun) {
    await ports.audit.append({
      action: "dead_letter_retry_bulk",
      actor: (deps.actor ?? currentActor)(),
      at: clock.now(),
      claimNumbers: claims.filter((c) => c.outcome === "requeued").map((c) => c.claimNumber),
      details: { reason, matched: numbers.length, removed, truncated, ...outcomes },
    });
  }
  return { reason, dryRun: opts.dryRun, matched: numbers.length, outcomes, removed, claims, truncated };
}
