// `batches reissue <batch_id> --reason R`: after a clearinghouse rejected an envelope (a TA1 or a
// rejecting 999), the same claims go out again in a new file under new control numbers.
//   1. The old batch must be `written` with readable content whose sha256 matches.
//   2. A new ISA13/GS06 from the sender's counter (the sender as the stored ISA05/ISA06 say).
//   3. The stored file under a new envelope (src/edi/reissue-envelope.ts), checked by our own
//      validator before anything is recorded.
//   4. One transaction (Ledger.reissue): old batch `superseded`, new batch `reserved`, history
//      rows repointed; then the file is written and the new batch marked `written`.
//   5. An audit row with the reason, both batch ids and both ISA13s.
// A crash between 4 and the mark leaves the new batch `reserved`: running the same command again
// finishes it (as the processor's recovery would), and never takes a third control number.
import { currentActor } from "../../audit/actor.js";
import { ClaimflowError } from "../../domain/errors.js";
import { ReissueContentError, reissueEnvelope } from "../../edi/reissue-envelope.js";
import { validate837 } from "../../edi/validate.js";
import type { AuditEntry } from "../../ports/audit-log.js";
import type { PipelinePorts } from "../../ports/bundle.js";
import type { Clock } from "../../ports/clock.js";
import { BatchNotReissuableError, type BatchRecord } from "../../ports/ledger.js";
import { findStoredBatch, storedContent } from "./stored-batch.js";

export interface ReissueDeps {
  readonly ports: Pick<PipelinePorts, "ledger" | "sink" | "audit">;
  readonly clock: Clock;
  readonly actor?: () => AuditEntry["actor"];
}

export interface ReissueResult {
  readonly oldBatchId: string;
  readonly batchId: string;
  readonly oldIsaControlNumber: number;
  readonly isaControlNumber: number;
  readonly senderId: string;
  /** Relative to the output directory. */
  readonly path: string;
  readonly sha256: string;
  readonly claims: number;
  /** True when this run only finished a reissue an earlier run recorded but did not write. */
  readonly resumed: boolean;
}

/** `batches reissue` cannot proceed; the message says why and what to do. */
export class ReissueRefusedError extends ClaimflowError {
  readonly code = "REISSUE_REFUSED";
}

export async function reissueBatch(
  deps: ReissueDeps,
  batchId: string,
  reason: string,
): Promise<ReissueResult> {
  const { ports, clock } = deps;
  const { sha256, newBatchId } = await import("../../pipeline/batch-processor.js");
  const { batchPath } = await import("../../pipeline/batch-path.js");
  const old = await readable(deps, batchId);

  if (old.state === "superseded") {
    const next = old.supersededBy === undefined ? null : await readable(deps, old.supersededBy);
    // The reissue was recorded but its file not finished (a crash): finish it, nothing more.
    if (next !== null && next.state === "reserved" && next.reissueOf === old.batchId) {
      return finish(deps, old, next, reason, true);
    }
    throw new ReissueRefusedError(
      new BatchNotReissuableError(batchId, "superseded", old.supersededBy).message,
    );
  }
  if (old.state === "reserved")
    throw new ReissueRefusedError(new BatchNotReissuableError(batchId, "reserved").message);
  const content = contentOf(old);
  if (sha256(content) !== old.sha256) {
    throw new ReissueRefusedError(
      `stored content of batch ${batchId} does not match its recorded sha256; refusing to reissue it ` +
        "(the row is corrupt or was edited by hand)",
    );
  }
  const senderKey = storedSenderKey(content, batchId);
  const controlNumber = await ports.ledger.nextControlNumber(senderKey);
  const createdAt = clock.now();
  const id = newBatchId();
  let text: string;
  try {
    text = reissueEnvelope(content, old.isaControlNumber, { batchId: id, controlNumber, createdAt });
  } catch (err) {
    if (!(err instanceof ReissueContentError)) throw err;
    throw new ReissueRefusedError(`batch ${batchId}: ${err.message}; it cannot be reissued`, { cause: err });
  }
  const check = validate837(text);
  if (!check.ok) {
    const first = check.violations[0];
    throw new ReissueRefusedError(
      `the reissued file of batch ${batchId} fails validation (segment ${first?.segment} ${first?.id}: ` +
        `${first?.message}); nothing was changed`,
    );
  }
  const replacement: BatchRecord = {
    batchId: id,
    state: "reserved",
    streamName: old.streamName,
    groupId: old.groupId,
    clientId: old.clientId,
    senderId: senderKey,
    isaControlNumber: controlNumber,
    gsControlNumber: controlNumber,
    path: batchPath(old.groupId, old.clientId, senderKey, controlNumber, createdAt),
    content: text,
    sha256: sha256(text),
    claims: old.claims,
    claimCount: old.claimCount,
    totalChargeCents: old.totalChargeCents,
    createdAt,
    reissueOf: old.batchId,
  };
  try {
    await ports.ledger.reissue(old.batchId, replacement, createdAt);
  } catch (err) {
    // Another operator reissued it in between, or the processor has not finished it yet.
    if (err instanceof BatchNotReissuableError) throw new ReissueRefusedError(err.message, { cause: err });
    throw err;
  }
  return finish(deps, old, replacement, reason, false);
}

/** Writes the reissued file, marks its batch written, and audits; idempotent. */
async function finish(
  deps: ReissueDeps,
  old: BatchRecord,
  next: BatchRecord,
  reason: string,
  resumed: boolean,
): Promise<ReissueResult> {
  const { ports, clock } = deps;
  const { sha256 } = await import("../../pipeline/batch-processor.js");
  const content = contentOf(next);
  if (sha256(content) !== next.sha256) {
    throw new ReissueRefusedError(
      `stored content of batch ${next.batchId} does not match its recorded sha256`,
    );
  }
  await ports.sink.write(next.path, content);
  const now = clock.now();
  await ports.ledger.markWritten(next.batchId, now);
  await ports.audit.append({
    action: "batch_reissue",
    actor: (deps.actor ?? currentActor)(),
    at: now,
    streamName: next.streamName,
    batchId: next.batchId,
    claimNumbers: next.claims.map((c) => c.claim_number),
    details: {
      reason,
      reissue_of: old.batchId,
      old_isa13: old.isaControlNumber,
      isa13: next.isaControlNumber,
      sender: next.senderId,
      path: next.path,
      sha256: next.sha256,
      resumed,
    },
  });
  return {
    oldBatchId: old.batchId,
    batchId: next.batchId,
    oldIsaControlNumber: old.isaControlNumber,
    isaControlNumber: next.isaControlNumber,
    senderId: next.senderId,
    path: next.path,
    sha256: next.sha256,
    claims: next.claimCount,
    resumed,
  };
}

function readable(deps: ReissueDeps, batchId: string): Promise<BatchRecord> {
  return findStoredBatch(deps.ports.ledger, batchId, ReissueRefusedError);
}

function contentOf(batch: BatchRecord): string {
  return storedContent(
    batch,
    "reissued",
    ReissueRefusedError,
    " (its claims can be billed again only by a new version)",
  );
}

/**
 * The interchange sender key (`ISA05:ISA06`, as interchangeSenderKey builds it) read from the
 * stored ISA: batches written before counters were keyed by the rendered sender carry the raw
 * sender_id, and the file is what the clearinghouse saw.
 */
function storedSenderKey(content: string, batchId: string): string {
  if (!content.startsWith("ISA*") || content.length < 50) {
    throw new ReissueRefusedError(`stored content of batch ${batchId} does not start with an ISA segment`);
  }
  // ISA06 as rendered may be lower case; the counter key upper-cases it (interchangeSenderKey).
  return `${content.slice(32, 34)}:${content.slice(35, 50).toUpperCase()}`;
}
