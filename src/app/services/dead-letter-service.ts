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
