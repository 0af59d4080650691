// Acknowledgements for operators and the processor: the import dependencies from one place (the
// processor's ports and configuration), listing, and what `claims show` / `status` report.
import type { Config } from "../../config.js";
import { ClaimflowError } from "../../domain/errors.js";
import type {
  AckListFilter,
  AckRow,
  AckStore,
  BatchAckRow,
  ClaimAckRow,
} from "../../ports/acknowledgements.js";
import type { PipelinePorts } from "../../ports/bundle.js";
import type { Clock } from "../../ports/clock.js";
import type { AckImportDeps } from "./ack-import.js";

export interface AckServiceContext {
  readonly config: Pick<Config, "ackWriteBack" | "ackMaxFileBytes" | "ackExpectedWithinHours">;
  readonly ports: Pick<PipelinePorts, "acks" | "ledger">;
  readonly clock: Clock;
}

function storeOf(ctx: { readonly ports: Pick<PipelinePorts, "acks"> }): AckStore {
  const store = ctx.ports.acks;
  if (!store) throw new AcksUnavailableError();
  return store;
}

/** The ports were built without an acknowledgement store (an in-memory bundle). */
export class AcksUnavailableError extends ClaimflowError {
  readonly code = "ACKS_UNAVAILABLE";
  constructor() {
    super("acknowledgements are not available here (no acknowledgement store in these ports)");
  }
}

export function ackDeps(ctx: AckServiceContext): AckImportDeps {
  return {
    store: storeOf(ctx),
    ledger: ctx.ports.ledger,
    clock: ctx.clock,
    writeBack: ctx.config.ackWriteBack,
    maxBytes: ctx.config.ackMaxFileBytes,
  };
}

export async function listAcks(ctx: AckServiceContext, filter: AckListFilter): Promise<AckRow[]> {
  return storeOf(ctx).list(filter);
}

/** What `claims show` adds: every 277CA outcome of the claim, newest first, and the batch answers. */
export interface ClaimAcknowledgement {
  readonly claims: readonly ClaimAckRow[];
  /** TA1 / 999 outcomes of the batches that carried the claim's versions. */
  readonly batches: readonly BatchAckRow[];
}

export async function claimAcknowledgement(
  ctx: AckServiceContext,
  claimNumber: string,
  batchIds: readonly string[],
): Promise<ClaimAcknowledgement> {
  const store = storeOf(ctx);
  const [claims, ...perBatch] = await Promise.all([
    store.forClaim(claimNumber),
    ...batchIds.map((b) => store.forBatch(b)),
  ]);
  return { claims, batches: perBatch.flat() };
}

/** Files older than this are no longer counted as waiting for a 999 (keeps the count cheap). */
export const UNACKNOWLEDGED_LOOKBACK_MS = 30 * 86_400_000;

/** Written files (last 30 days) with no 999 after EDI_ACK_EXPECTED_WITHIN_HOURS. */
export async function filesAwaiting999(ctx: {
  readonly ports: Pick<PipelinePorts, "acks">;
  readonly clock: Clock;
  readonly config: Pick<Config, "ackExpectedWithinHours">;
}): Promise<number> {
  const now = ctx.clock.now().getTime();
  return storeOf(ctx).countAwaiting999(
    new Date(now - ctx.config.ackExpectedWithinHours * 3_600_000),
    new Date(now - UNACKNOWLEDGED_LOOKBACK_MS),
  );
}
