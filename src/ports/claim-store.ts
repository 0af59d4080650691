// Reads and the one write claimflow does on `claim_detail`: the catch-up scan of ready claims
// and the optional `billed` mark.
import type { ClaimVersionRef } from "../domain/joined-claim.js";
import type { FeedFilter } from "./change-feed.js";

export interface ScanPage {
  readonly docs: Record<string, unknown>[];
  /** Pass back to continue after this page; undefined when the scan is complete. */
  readonly next: unknown;
}

/**
 * `claimflow backfill`: the ready claims of one group (optionally one client) whose billing_date
 * is in [since, until). Narrows the stream's filter, never widens it.
 */
export interface ClaimSlice {
  readonly group: string;
  readonly client?: string | undefined;
  readonly since: Date;
  /** Exclusive; undefined: no upper bound. */
  readonly until?: Date | undefined;
}

export interface ClaimStore {
  /**
   * One page of `status: "ready"` claims (sorted by `_id`), after `after` (a previous page's
   * `next`); with a slice, only the claims of that slice.
   */
  scanReady(filter: FeedFilter, after: unknown, pageSize: number, slice?: ClaimSlice): Promise<ScanPage>;
  /** How many `ready` claims the filter (and slice) selects: a scan's total, for its progress. */
  countReady(filter: FeedFilter, slice?: ClaimSlice): Promise<number>;
  /** Marks `billed` only claims still `ready` at that exact version (a bumped version stays ready). */
  markBilled(refs: readonly ClaimVersionRef[]): Promise<number>;
  /** The current document of one claim (for `dead-letters retry`), or null. */
  findByClaimNumber(claimNumber: string): Promise<Record<string, unknown> | null>;
  /**
   * `dead-letters retry`: sets `updated_at` on a claim still `ready` at exactly this version, so
   * the change stream delivers it to the processor again. False when it no longer is (it changed
   * meanwhile, and that change is already on the stream).
   */
  requeue(ref: ClaimVersionRef, at: Date): Promise<boolean>;
}
