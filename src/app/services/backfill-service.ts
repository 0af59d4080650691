// `claimflow backfill`: the operator's side of stream_backfills. It counts the slice (ready
// claims, and of those the ones the ledger does not hold as emitted) and, unless it is a dry
// run, records a request the stream's active processor carries out (backfill-runner.ts). Every
// request is audited; a dry run changes nothing.
import { currentActor } from "../../audit/actor.js";
import type { ClaimVersionRef } from "../../domain/joined-claim.js";
import type { AuditLog } from "../../ports/audit-log.js";
import type { FeedFilter } from "../../ports/change-feed.js";
import type { ClaimSlice, ClaimStore } from "../../ports/claim-store.js";
import type { Clock } from "../../ports/clock.js";
import type { Ledger } from "../../ports/ledger.js";
import type { BackfillStore } from "../../ports/stream-control.js";

const COUNT_PAGE = 1000;

export interface BackfillDeps {
  readonly backfills: BackfillStore;
  readonly claims: ClaimStore;
  readonly ledger: Ledger;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

export interface SliceCount {
  /** Ready claims in the slice (within the stream's group filter). */
  readonly ready: number;
  /** Of those, not yet emitted: what a backfill would bill now. */
  readonly notEmitted: number;
}

export interface BackfillOutcome extends SliceCount {
  readonly streamName: string;
  readonly slice: { group: string; client: string | null; since: string; until: string | null };
  readonly dryRun: boolean;
  /** The request id; null on a dry run. */
  readonly request: string | null;
  readonly state: "pending" | null;
}

/** Reads the slice page by page; reads identifiers only (never prints a claim). */
export async function countSlice(
  deps: Pick<BackfillDeps, "claims" | "ledger">,
  filter: FeedFilter,
  slice: ClaimSlice,
): Promise<SliceCount> {
  let ready = 0;
  let notEmitted = 0;
  let after: unknown;
  do {
    const page = await deps.claims.scanReady(filter, after, COUNT_PAGE, slice);
    after = page.next;
    ready += page.docs.length;
    const refs = page.docs.flatMap((d): ClaimVersionRef[] => {
      const v = d.version ?? 1;
      return typeof d.claim_number === "string" && typeof v === "number"
        ? [{ claim_number: d.claim_number, version: v }]
        : [];
    });
    const emitted = refs.length ? (await deps.ledger.findEmitted(refs)).length : 0;
    notEmitted += page.docs.length - emitted;
  } while (after !== undefined);
  return { ready, notEmitted };
}

export async function requestBackfill(
  deps: BackfillDeps,
  streamName: string,
  filter: FeedFilter,
  slice: ClaimSlice,
  dryRun: boolean,
): Promise<BackfillOutcome> {
  const count = await countSlice(deps, filter, slice);
  const sliceOut = {
    group: slice.group,
    client: slice.client ?? null,
    since: slice.since.toISOString(),
    until: slice.until?.toISOString() ?? null,
  };
  if (dryRun) return { streamName, slice: sliceOut, dryRun, request: null, state: null, ...count };
  const actor = currentActor();
  const at = deps.clock.now();
  const req = await deps.backfills.requestBackfill({
    streamName,
    slice,
    requestedAt: at,
    requestedBy: `${actor.user}@${actor.host}`,
  });
  await deps.audit.append({
    action: "backfill_requested",
    actor,
    at,
    streamName,
    details: {
      request: req.id,
      group: sliceOut.group,
      client: sliceOut.client,
      since: sliceOut.since,
      until: sliceOut.until,
      ready_claims: count.ready,
      not_emitted: count.notEmitted,
    },
  });
  return { streamName, slice: sliceOut, dryRun, request: req.id, state: "pending", ...count };
}

/** One line for a slice: `group G client C, billing_date from X until Y`. */
export function sliceText(s: ClaimSlice): string {
  const client = s.client === undefined ? "" : ` client ${s.client}`;
  const until = s.until === undefined ? "" : ` until ${s.until.toISOString()}`;
  return `group ${s.group}${client}, billing_date from ${s.since.toISOString()}${until}`;
}
