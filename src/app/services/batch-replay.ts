// `batches replay <batch_id>`: writes a file again, byte for byte, from the content the ledger
// stored when the batch was reserved (a partner lost it, a disk was restored). The sha256 is
// checked before anything is written, with the processor's own digest, so a corrupted or
// tampered row never becomes a file. The ledger is not changed: replay re-sends a file, it does
// not bill anything again (a still-reserved batch is finished by the processor's recovery).
import { currentActor } from "../../audit/actor.js";
import type { AuditEntry } from "../../ports/audit-log.js";
import type { PipelinePorts } from "../../ports/bundle.js";
import type { Clock } from "../../ports/clock.js";
import type { BatchState } from "../../ports/ledger.js";
import { ReplayRefusedError } from "./operator-errors.js";
import { findStoredBatch, storedContent } from "./stored-batch.js";

export interface ReplayDeps {
  readonly ports: Pick<PipelinePorts, "ledger" | "sink" | "audit">;
  readonly clock: Clock;
  readonly actor?: () => AuditEntry["actor"];
}

export interface ReplayResult {
  readonly batchId: string;
  /** Relative to the output directory. */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly claims: number;
  readonly state: BatchState;
}

export async function replayBatch(deps: ReplayDeps, batchId: string): Promise<ReplayResult> {
  const { ports, clock } = deps;
  const batch = await findStoredBatch(ports.ledger, batchId, ReplayRefusedError);
  const content = storedContent(
    batch,
    "replayed",
    ReplayRefusedError,
    ", its sha256 and control numbers remain in edi_batches",
  );
  // The processor's own digest function; loaded here so other commands do not pull in the engine.
  const { sha256 } = await import("../../pipeline/batch-processor.js");
  const digest = sha256(content);
  if (digest !== batch.sha256) {
    throw new ReplayRefusedError(
      `stored content of batch ${batchId} does not match its recorded sha256; refusing to write it ` +
        "(the row is corrupt or was edited by hand)",
    );
  }
  await ports.sink.write(batch.path, content);
  const now = clock.now();
  const bytes = Buffer.byteLength(content, "utf8");
  await ports.audit.append({
    action: "batch_replay",
    actor: (deps.actor ?? currentActor)(),
    at: now,
    streamName: batch.streamName,
    batchId,
    claimNumbers: batch.claims.map((c) => c.claim_number),
    details: { path: batch.path, sha256: digest, bytes, state: batch.state },
  });
  return { batchId, path: batch.path, sha256: digest, bytes, claims: batch.claimCount, state: batch.state };
}
