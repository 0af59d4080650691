// Matches parsed acknowledgements to what we sent and turns them into rows (SPEC section 9):
//   TA1   → the batch with that ISA13 whose sender is the acknowledgement's receiver;
//   999   → the batch with that GS06 (AK102) and sender, set ST02 (AK202) = ours (0001);
//   277CA → each claim by CLM01 (TRN02): the newest emitted version, unless the 277CA's amount
//           or service dates agree only with an older one (read from the batch's own 837).
// Whatever matches nothing becomes an `unmatched` row with the reason; nothing is dropped.
import type {
  Ack277,
  Ack999,
  AckEnvelope,
  Acknowledgement,
  ClaimAck,
  Ta1Ack,
} from "../../edi/acknowledgement.js";
import { TRANSACTION_CONTROL_NUMBER } from "../../edi/render.js";
import { readSegments } from "../../edi/x12-reader.js";
import type {
  AckResult,
  AckRow,
  AckStore,
  BatchAckRow,
  EmittedVersion,
  SentBatch,
  UnmatchedAckRow,
  UnmatchedReason,
} from "../../ports/acknowledgements.js";
import type { Ledger } from "../../ports/ledger.js";

export interface MatchDeps {
  readonly store: AckStore;
  /** For the batch content (amount and dates of each emitted version). */
  readonly ledger: Pick<Ledger, "findBatch">;
}

export interface MatchContext {
  readonly sha256: string;
  readonly recordedAt: Date;
}

/**
 * Our batches store the sender as the processor keyed it: ISA06, or ISA05 and ISA06 as rendered
 * (`ZZ*SENDER1`, ledger v2). The acknowledgement's ISA07/ISA08 name it back. Every form is
 * accepted, compared without padding and case-insensitively (we render upper case).
 */
export function senderMatches(batchSender: string, env: AckEnvelope): boolean {
  const norm = (v: string) => v.replace(/\s+/g, "").toUpperCase();
  const ours = norm(batchSender);
  const id = norm(env.receiverId);
  const q = norm(env.receiverQualifier);
  return [id, `${q}${id}`, `${q}:${id}`, `${q}*${id}`].includes(ours);
}

type Found = { batch: SentBatch } | { reason: UnmatchedReason };

async function findBatch(store: AckStore, field: "isa" | "gs", n: number, env: AckEnvelope): Promise<Found> {
  const candidates = await store.batchesByControlNumber(field, n);
  if (candidates.length === 0) return { reason: "unknown_control_number" };
  const mine = candidates.filter((b) => senderMatches(b.senderId, env));
  if (mine.length === 0) return { reason: "sender_mismatch" };
  // (sender, ISA13) is unique in edi_batches; GS06 is the same number in our files.
  return { batch: mine[0] as SentBatch };
}

const TA1_RESULT: Record<string, AckResult> = { A: "accepted", E: "accepted_with_errors", R: "rejected" };

function setResult(code: string): AckResult {
  if (code === "A") return "accepted";
  if (code === "E") return "accepted_with_errors";
  if (code === "P") return "partially_accepted";
  return "rejected";
}

export async function matchAcknowledgements(
  deps: MatchDeps,
  acks: readonly Acknowledgement[],
  ctx: MatchContext,
): Promise<AckRow[]> {
  const rows: AckRow[] = [];
  for (const ack of acks) {
    if (ack.kind === "TA1") rows.push(await matchTa1(deps, ack, ctx));
    else if (ack.kind === "999") rows.push(...(await match999(deps, ack, ctx)));
    else rows.push(...(await match277(deps, ack, ctx)));
  }
  return rows;
}

function unmatched(
  ctx: MatchContext,
  pos: number,
  kind: UnmatchedAckRow["kind"],
  env: AckEnvelope,
  reason: UnmatchedReason,
  fields: Partial<UnmatchedAckRow> & { result: AckResult },
): UnmatchedAckRow {
  return {
    id: `${ctx.sha256}:${pos}`,
    row: "unmatched",
    kind,
    fileSha256: ctx.sha256,
    recordedAt: ctx.recordedAt,
    reason,
    receiverId: env.receiverId,
    ...fields,
  };
}

async function matchTa1(deps: MatchDeps, ack: Ta1Ack, ctx: MatchContext): Promise<AckRow> {
  const result = TA1_RESULT[ack.ackCode] as AckResult;
  const found = await findBatch(deps.store, "isa", ack.interchangeControlNumber, ack.envelope);
  if ("reason" in found)
    return unmatched(ctx, ack.pos, "TA1", ack.envelope, found.reason, {
      controlNumber: String(ack.interchangeControlNumber),
      result,
    });
  return {
    id: `${ctx.sha256}:${ack.pos}`,
    row: "batch",
    kind: "TA1",
    fileSha256: ctx.sha256,
    recordedAt: ctx.recordedAt,
    ackDate: /^\d{6}$/.test(ack.interchangeDate) ? `20${ack.interchangeDate}` : undefined,
    batchId: found.batch.batchId,
    senderId: found.batch.senderId,
    isaControlNumber: found.batch.isaControlNumber,
    result,
    noteCode: ack.noteCode || undefined,
  };
}

async function match999(deps: MatchDeps, ack: Ack999, ctx: MatchContext): Promise<AckRow[]> {
  const found = await findBatch(deps.store, "gs", ack.groupControlNumber, ack.envelope);
  const group = {
    groupCode: ack.groupAckCode,
    groupErrorCodes: ack.groupErrorCodes.length > 0 ? ack.groupErrorCodes : undefined,
  };
  // A group rejected as a whole may carry no AK2 at all: the AK9 is then the answer.
  const answers =
    ack.sets.length > 0
      ? ack.sets.map((s) => ({ pos: s.pos, st02: s.controlNumber, result: setResult(s.ackCode), set: s }))
      : [
          {
            pos: ack.pos,
            st02: TRANSACTION_CONTROL_NUMBER,
            result: setResult(ack.groupAckCode),
            set: undefined,
          },
        ];
  return answers.map((a): AckRow => {
    if ("reason" in found)
      return unmatched(ctx, a.pos, "999", ack.envelope, found.reason, {
        controlNumber: String(ack.groupControlNumber),
        result: a.result,
      });
    if (a.st02 !== TRANSACTION_CONTROL_NUMBER)
      return unmatched(ctx, a.pos, "999", ack.envelope, "unknown_transaction_set", {
        controlNumber: String(ack.groupControlNumber),
        result: a.result,
      });
    const row: BatchAckRow = {
      id: `${ctx.sha256}:${a.pos}`,
      row: "batch",
      kind: "999",
      fileSha256: ctx.sha256,
      recordedAt: ctx.recordedAt,
      batchId: found.batch.batchId,
      senderId: found.batch.senderId,
      isaControlNumber: found.batch.isaControlNumber,
      result: a.result,
      setCode: a.set?.ackCode,
      setErrorCodes: a.set && a.set.errorCodes.length > 0 ? a.set.errorCodes : undefined,
      segmentErrors:
        a.set && a.set.segmentErrors.length > 0
          ? a.set.segmentErrors.map(({ pos: _p, ...e }) => e)
          : undefined,
      ...group,
    };
    return row;
  });
}

async function match277(deps: MatchDeps, ack: Ack277, ctx: MatchContext): Promise<AckRow[]> {
  const rows: AckRow[] = [];
  const emitted = await deps.store.emittedVersions(ack.claims.map((c) => c.claimNumber));
  // One read and one parse per batch, however many of its claims the 277CA answers.
  const facts = new BatchFacts(deps.ledger);
  for (const claim of ack.claims) {
    const statusCodes = claim.statuses.flatMap((s) => s.codes);
    const versions = emitted.get(claim.claimNumber) ?? [];
    if (versions.length === 0) {
      rows.push(
        unmatched(ctx, claim.pos, "277CA", ack.envelope, "claim_never_sent", {
          claimNumber: claim.claimNumber,
          result: claim.outcome,
          statusCodes,
        }),
      );
      continue;
    }
    const chosen = await chooseVersion(facts, claim, versions);
    const amount = claim.statuses.find((s) => s.amountCents !== undefined)?.amountCents;
    const date = claim.statuses.find((s) => s.date !== undefined)?.date ?? ack.createdDate;
    rows.push({
      id: `${ctx.sha256}:${claim.pos}`,
      row: "claim",
      kind: "277CA",
      fileSha256: ctx.sha256,
      recordedAt: ctx.recordedAt,
      ackDate: date,
      claimNumber: claim.claimNumber,
      version: chosen.version.version,
      batchId: chosen.version.batchId,
      result: claim.outcome,
      statusCodes,
      payerClaimControlNumber: claim.payerClaimControlNumber,
      clearinghouseTraceNumber: claim.clearinghouseTraceNumber,
      amountCents: amount,
      serviceFrom: claim.serviceFrom,
      serviceTo: claim.serviceTo,
      factsDisagree: chosen.disagree || undefined,
    });
  }
  return rows;
}

interface SentClaimFacts {
  readonly amountCents: number;
  readonly dates: readonly string[];
}

/** CLM02 and the DTP*472 dates of every claim in one of our 837 files, by CLM01. */
export function claimFactsOf(content: string): Map<string, SentClaimFacts> {
  const out = new Map<string, { amountCents: number; dates: string[] }>();
  let current: { amountCents: number; dates: string[] } | undefined;
  for (const s of readSegments(content).segments) {
    if (s.id === "CLM") {
      const [whole = "0", frac = ""] = (s.elements[2] ?? "0").split(".");
      current = { amountCents: Number(whole) * 100 + Number(frac.padEnd(2, "0")), dates: [] };
      out.set(s.elements[1] ?? "", current);
    } else if (current && s.id === "DTP" && s.elements[1] === "472") {
      current.dates.push(...(s.elements[3] ?? "").split("-"));
    } else if (s.id === "SE") {
      current = undefined;
    }
  }
  return out;
}

/** The facts of each batch's claims, read once per batch (null: content purged or unreadable). */
class BatchFacts {
  private readonly cache = new Map<string, Promise<Map<string, SentClaimFacts> | null>>();
  constructor(private readonly ledger: Pick<Ledger, "findBatch">) {}

  of(batchId: string, claimNumber: string): Promise<SentClaimFacts | undefined> {
    let entry = this.cache.get(batchId);
    if (!entry) {
      entry = this.ledger.findBatch(batchId).then((b) => (b?.content ? claimFactsOf(b.content) : null));
      this.cache.set(batchId, entry);
    }
    return entry.then((m) => m?.get(claimNumber));
  }
}

function agrees(claim: ClaimAck, facts: SentClaimFacts): boolean {
  const amount = claim.statuses.find((s) => s.amountCents !== undefined)?.amountCents;
  if (amount !== undefined && amount !== facts.amountCents) return false;
  if (claim.serviceFrom !== undefined && facts.dates.length > 0) {
    const sorted = [...facts.dates].sort(); // CCYYMMDD: text order is date order
    const lo = sorted[0] as string;
    const hi = sorted[sorted.length - 1] as string;
    if (claim.serviceFrom < lo || (claim.serviceTo ?? claim.serviceFrom) > hi) return false;
  }
  return true;
}

/**
 * The newest emitted version, unless the 277CA's amount or dates agree only with an older one.
 * A version whose content retention removed (or that cannot be read) cannot disagree.
 */
async function chooseVersion(
  facts: BatchFacts,
  claim: ClaimAck,
  versions: readonly EmittedVersion[],
): Promise<{ version: EmittedVersion; disagree: boolean }> {
  const newest = versions[0] as EmittedVersion;
  const hasFacts = claim.serviceFrom !== undefined || claim.statuses.some((s) => s.amountCents !== undefined);
  if (!hasFacts) return { version: newest, disagree: false };
  for (const v of versions) {
    const sent = await facts.of(v.batchId, claim.claimNumber);
    if (sent === undefined || agrees(claim, sent)) return { version: v, disagree: false };
  }
  return { version: newest, disagree: true };
}
