// The claim-store twin over the same in-memory claim_detail as the change feed, so a scan
// and the stream see one collection, and the `billed` mark appears in the stream as an
// update event exactly as it does on MongoDB.
import type { ClaimVersionRef } from "../../src/domain/joined-claim.js";
import type { FeedFilter } from "../../src/ports/change-feed.js";
import type { ClaimSlice, ClaimStore, ScanPage } from "../../src/ports/claim-store.js";
import type { Clock } from "../../src/ports/clock.js";
import { compareIds, type MemoryClaimDetail } from "./claim-detail.js";

export class MemoryClaimStore implements ClaimStore {
  constructor(
    private readonly coll: MemoryClaimDetail,
    private readonly clock: Clock,
  ) {}

  async countReady(filter: FeedFilter, slice?: ClaimSlice): Promise<number> {
    const regex = filter.groupFilter ? new RegExp(filter.groupFilter) : undefined;
    let n = 0;
    for (const d of this.coll.liveDocs()) if (selects(d, regex, slice)) n++;
    return n;
  }

  async scanReady(
    filter: FeedFilter,
    after: unknown,
    pageSize: number,
    slice?: ClaimSlice,
  ): Promise<ScanPage> {
    if (!Number.isInteger(pageSize) || pageSize < 1)
      throw new RangeError("pageSize must be a positive integer");
    const regex = filter.groupFilter ? new RegExp(filter.groupFilter) : undefined;
    const matching: Record<string, unknown>[] = [];
    for (const d of this.coll.liveDocs()) {
      if (!selects(d, regex, slice)) continue;
      if (after !== undefined && compareIds(d._id, after) <= 0) continue;
      matching.push(d);
    }
    matching.sort((a, b) => compareIds(a._id, b._id));
    const docs = matching.slice(0, pageSize).map((d) => structuredClone(d));
    const more = matching.length > pageSize;
    return { docs, next: more ? docs[docs.length - 1]?._id : undefined };
  }

  async markBilled(refs: readonly ClaimVersionRef[]): Promise<number> {
    let n = 0;
    for (const ref of refs) {
      const doc = this.coll.get(ref.claim_number);
      if (doc?.status !== "ready" || (doc.version ?? 1) !== ref.version) continue;
      this.coll.update(ref.claim_number, { status: "billed", updated_at: this.clock.now() });
      n++;
    }
    return n;
  }

  async findByClaimNumber(claimNumber: string): Promise<Record<string, unknown> | null> {
    return this.coll.get(claimNumber);
  }

  async requeue(ref: ClaimVersionRef, at: Date): Promise<boolean> {
    const doc = this.coll.get(ref.claim_number);
    if (doc?.status !== "ready" || (doc.version ?? 1) !== ref.version) return false;
    this.coll.update(ref.claim_number, { updated_at: at });
    return true;
  }
}

/** MongoDB's query in readyClaimQuery: ready, within the group filter, within the slice. */
function selects(
  d: Record<string, unknown>,
  regex: RegExp | undefined,
  slice: ClaimSlice | undefined,
): boolean {
  if (d.status !== "ready") return false;
  if (regex && !(typeof d.group_id === "string" && regex.test(d.group_id))) return false;
  if (!slice) return true;
  if (d.group_id !== slice.group) return false;
  if (slice.client !== undefined && d.client_id !== slice.client) return false;
  // A missing or non-date billing_date is outside every range, as in MongoDB's $gte on a Date.
  const at = d.billing_date;
  if (!(at instanceof Date)) return false;
  if (at.getTime() < slice.since.getTime()) return false;
  return slice.until === undefined || at.getTime() < slice.until.getTime();
}
