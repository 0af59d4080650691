// `claims show` and `claims find`: where a claim went, and what a file held. The answer is a
// typed view (ClaimView / FileMatch) that the CLI prints as a table or JSON; other readers
// (acknowledgements, reissue) extend the view rather than the printing. Identifiers, states,
// control numbers and times only: never a claim's clinical or patient values.
//
// A version's state, in this order:
//   emitted      its history row names a batch that is `written` (the file exists; after a
//                `batches reissue` the row names the new batch, which names the old one)
//   reserved     its history row names a batch still `reserved` (the processor finishes it)
//   orphaned     its history row names a batch that is not in edi_batches (hand-edited ledger)
//   dead_letter  no history row; a dead_letters row says why it could not be billed
//   waiting      the current claim_detail version, ready, nothing recorded yet (in a window,
//                or the processor is behind / stopped)
//   not_ready    the current claim_detail version, status other than ready (draft, hold, ...)
import type { PipelinePorts } from "../../ports/bundle.js";
import type { DeadLetter } from "../../ports/dead-letters.js";
import type { BatchSummary, LedgerReader } from "../../ports/ledger-reader.js";
import { NotFoundError } from "./operator-errors.js";

export type VersionState = "emitted" | "reserved" | "orphaned" | "dead_letter" | "waiting" | "not_ready";

/** The batch a version went into, as operators quote it to a clearinghouse. */
export interface BatchRef {
  readonly batchId: string;
  readonly state: BatchSummary["state"];
  readonly path: string;
  readonly senderId: string;
  /** ISA13 as a number; printed zero-padded to 9 digits. */
  readonly isaControlNumber: number;
  /** GS06. */
  readonly gsControlNumber: number;
  readonly createdAt: Date;
  readonly writtenAt?: Date | undefined;
  /** Set when this batch is a `batches reissue` of another (the claim's earlier file). */
  readonly reissueOf?: string | undefined;
}

export interface DeadLetterRef {
  readonly reason: DeadLetter["reason"];
  readonly attempts: number;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  /** Issue paths with their rule, never values. */
  readonly issues: readonly string[];
}

export interface ClaimVersionView {
  readonly version: number;
  readonly state: VersionState;
  readonly batch?: BatchRef | undefined;
  /** The batch id a history row names (also when that batch is missing: `orphaned`). */
  readonly batchId?: string | undefined;
  /**
   * Earlier files of this version that `batches reissue` superseded, newest first: their TA1 /
   * 999 (often the rejection that caused the reissue) still belong to the claim's story.
   */
  readonly reissuedFrom?: readonly string[] | undefined;
  readonly reservedAt?: Date | undefined;
  readonly deadLetter?: DeadLetterRef | undefined;
  /** claim_detail status, for the current version only. */
  readonly status?: string | undefined;
}

export interface ClaimView {
  readonly claimNumber: string;
  /** What claim_detail holds now (identifiers and status only); null when the row is gone. */
  readonly current: {
    readonly version: number;
    readonly status: string;
    readonly groupId: string | null;
    readonly clientId: string | null;
  } | null;
  /** Lowest version first. */
  readonly versions: readonly ClaimVersionView[];
}

export interface ClaimTrailDeps {
  readonly ports: Pick<PipelinePorts, "deadLetters" | "claims">;
  readonly reader: LedgerReader;
}

export function batchRef(b: BatchSummary): BatchRef {
  return {
    batchId: b.batchId,
    state: b.state,
    path: b.path,
    senderId: b.senderId,
    isaControlNumber: b.isaControlNumber,
    gsControlNumber: b.gsControlNumber,
    createdAt: b.createdAt,
    writtenAt: b.writtenAt,
    reissueOf: b.reissueOf,
  };
}

/** Reissues are rare and chains short; one read per link, bounded against a hand-made cycle. */
const MAX_REISSUE_CHAIN = 50;

async function reissueChain(reader: LedgerReader, first: string): Promise<string[]> {
  const chain: string[] = [];
  let next: string | undefined = first;
  while (next !== undefined && chain.length < MAX_REISSUE_CHAIN && !chain.includes(next)) {
    chain.push(next);
    next = (await reader.batchesByIds([next]))[0]?.reissueOf;
  }
  return chain;
}

/** Every known version of one claim; NotFoundError when no collection has heard of it. */
export async function showClaim(deps: ClaimTrailDeps, claimNumber: string): Promise<ClaimView> {
  const [history, deadLetters, doc] = await Promise.all([
    deps.reader.historyOf(claimNumber),
    deps.ports.deadLetters.get(claimNumber),
    deps.ports.claims.findByClaimNumber(claimNumber),
  ]);
  const current = doc === null ? null : currentOf(doc);
  if (history.length === 0 && deadLetters.length === 0 && current === null) {
    throw new NotFoundError(
      `claim ${claimNumber} is not in claim_detail, processing_history or dead_letters`,
    );
  }
  const batches = new Map(
    (await deps.reader.batchesByIds(history.map((h) => h.batchId))).map((b) => [b.batchId, b]),
  );
  const views = new Map<number, ClaimVersionView>();
  for (const h of history) {
    const b = batches.get(h.batchId);
    const reissuedFrom =
      b?.reissueOf === undefined ? undefined : await reissueChain(deps.reader, b.reissueOf);
    views.set(h.version, {
      version: h.version,
      ...(reissuedFrom === undefined ? {} : { reissuedFrom }),
      // A history row names a superseded batch only if someone edited the ledger by hand (a
      // reissue repoints rows in the same transaction); its file was written, so: emitted.
      state: b === undefined ? "orphaned" : b.state === "reserved" ? "reserved" : "emitted",
      batchId: h.batchId,
      batch: b === undefined ? undefined : batchRef(b),
      reservedAt: h.reservedAt,
    });
  }
  for (const d of deadLetters) {
    if (views.has(d.version)) continue; // billed after all (a retry that passed)
    views.set(d.version, {
      version: d.version,
      state: "dead_letter",
      deadLetter: {
        reason: d.reason,
        attempts: d.attempts,
        firstSeen: d.firstSeen,
        lastSeen: d.lastSeen,
        issues: d.issues.map((i) => `${i.path || "(root)"}: ${i.message}`),
      },
    });
  }
  if (current !== null) {
    const seen = views.get(current.version);
    if (seen === undefined) {
      views.set(current.version, {
        version: current.version,
        state: current.status === "ready" ? "waiting" : "not_ready",
        status: current.status,
      });
    } else {
      views.set(current.version, { ...seen, status: current.status });
    }
  }
  return {
    claimNumber,
    current,
    versions: [...views.values()].sort((a, b) => a.version - b.version),
  };
}

/** Identifiers and status only; a missing or odd version counts as 1, as the schema defaults it. */
function currentOf(doc: Record<string, unknown>): NonNullable<ClaimView["current"]> {
  const v = doc.version;
  const str = (x: unknown) => (typeof x === "string" ? x : null);
  return {
    version: typeof v === "number" && Number.isInteger(v) && v >= 1 ? v : 1,
    status: str(doc.status) ?? "unknown",
    groupId: str(doc.group_id),
    clientId: str(doc.client_id),
  };
}

/** A batch found by its file, with the claim versions it carried. */
export interface FileMatch {
  readonly batch: BatchRef & {
    readonly groupId: string;
    readonly clientId: string;
    readonly streamName: string;
    readonly sha256: string;
    readonly claimCount: number;
    /** A reissued batch: the batch that carries these claims now. */
    readonly supersededBy?: string | undefined;
  };
  readonly claims: readonly { readonly claimNumber: string; readonly version: number }[];
}

export type FindQuery =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "isa13"; readonly isaControlNumber: number; readonly senderId: string };

/** SPEC section 3 file names end in `-<ISA13>.837`; the number leads to the indexed query. */
const FILE_NAME = /-(\d{9})\.837$/;

/**
 * The batches behind a file path (relative to EDI_OUTPUT_DIR, or absolute under it) or an
 * ISA13 of a sender (compared trimmed and case-insensitively, as ISA06 is rendered).
 * NotFoundError when nothing matches.
 */
export async function findClaims(
  deps: Pick<ClaimTrailDeps, "reader">,
  query: FindQuery,
  outputDir: string,
): Promise<FileMatch[]> {
  let found: BatchSummary[];
  if (query.kind === "file") {
    const rel = relativePath(query.path, outputDir);
    const m = FILE_NAME.exec(rel);
    if (!m?.[1]) {
      throw new NotFoundError(
        "file name does not end in -<9-digit ISA13>.837, so no claimflow batch wrote it",
      );
    }
    const candidates = await deps.reader.batchesByControlNumber(Number(m[1]));
    found = candidates.filter((b) => b.path === rel || (!rel.includes("/") && b.path.endsWith(`/${rel}`)));
    if (found.length === 0) throw new NotFoundError(`no batch in edi_batches wrote ${rel}`);
  } else {
    const sender = query.senderId.trim().toUpperCase();
    found = (await deps.reader.batchesByControlNumber(query.isaControlNumber)).filter(
      (b) => b.senderId.trim().toUpperCase() === sender,
    );
    if (found.length === 0) {
      throw new NotFoundError(
        `no batch in edi_batches has ISA13 ${String(query.isaControlNumber).padStart(9, "0")} for sender ${query.senderId}`,
      );
    }
  }
  return found.map((b) => ({
    batch: {
      ...batchRef(b),
      groupId: b.groupId,
      clientId: b.clientId,
      streamName: b.streamName,
      sha256: b.sha256,
      claimCount: b.claimCount,
      supersededBy: b.supersededBy,
    },
    claims: b.claims.map((c) => ({ claimNumber: c.claim_number, version: c.version })),
  }));
}

/** `G1/20260314/C-000000001.837`, `/out/G1/...` under outputDir, or just the file name. */
function relativePath(path: string, outputDir: string): string {
  const dir = outputDir.replace(/\/+$/, "");
  const p = path.startsWith(`${dir}/`) ? path.slice(dir.length + 1) : path;
  return p.replace(/^\.\//, "");
}
