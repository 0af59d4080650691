// Reads and the one write claimflow does on `claim_detail`: the catch-up scan of ready claims
// and the optional `billed` mark.
import type { ClaimVersionRef } from "../domain/joined-claim.js";
import type { FeedFilter } from "./change-feed.js";

export interface ScanPage {
  readonly docs: Record<string, unknown>[];
  /** Pass back to continue after this page; undefined when the scan is complete. */
  readonly next: unknown;
}

export interface ClaimStore {
  /** One page of `status: "ready"` claims (sorted by `_id`), after `after` (a previous page's `next`). */
  scanReady(filter: FeedFilter, after: unknown, pageSize: number): Promise<ScanPage>;
  /** How many `ready` claims the filter selects (the catch-up scan's total, for its progress). */
  countReady(filter: FeedFilter): Promise<number>;
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
