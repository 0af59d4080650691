// The change feed: where claim events come from. The Mongo implementation wraps
// `claim_detail.watch()`; the in-memory twin replays an append-only log with the same
// token semantics (resume, start-after, token lost, invalidate).

/** Opaque resume token (the change event `_id`, e.g. `{ _data: "8263..." }`). */
export type ResumeToken = Readonly<Record<string, unknown>>;

/** A cluster time as (seconds, increment), like a BSON Timestamp. */
export interface ClusterTime {
  readonly t: number;
  readonly i: number;
}

export type StartPosition =
  | { readonly kind: "resumeAfter"; readonly token: ResumeToken }
  | { readonly kind: "startAfter"; readonly token: ResumeToken }
  | { readonly kind: "atClusterTime"; readonly clusterTime: ClusterTime };

export interface ChangeEvent {
  readonly token: ResumeToken;
  /**
   * `delete`, `drop` and `rename` are passed through for logging (nothing to bill);
   * `dropDatabase` arrives as `drop`; `invalidate` is thrown, never returned (see tryNext).
   */
  readonly operationType:
    | "insert"
    | "update"
    | "replace"
    | "delete"
    | "invalidate"
    | "drop"
    | "rename"
    | "other";
  readonly clusterTime: ClusterTime | undefined;
  /**
   * Post-image for insert/update/replace (updates: looked up at read time, or the stored
   * post-image when the collection has changeStreamPreAndPostImages). An update whose stored
   * post-image is gone (expired or removed) is looked up by documentKey before it is returned,
   * so null means the document was deleted since; null for every other operation too. Updates
   * with a null post-image pass the server filter (their group is unknown), so the pipeline can
   * count and skip them.
   */
  readonly fullDocument: Record<string, unknown> | null;
  /** `_id` of the claim document, for logs (never PHI). */
  readonly documentKey: unknown;
  readonly wallTime: Date | undefined;
}

export interface FeedFilter {
  /** Regex on group_id (EDI_GROUP_FILTER), applied server-side. */
  readonly groupFilter?: string | undefined;
}

/**
 * A pull cursor: the pipeline asks for the next event only when it has room, so memory is
 * bounded by the consumer (never an unbounded push buffer).
 */
export interface ChangeCursor {
  /**
   * The next matching event, or null when none arrived within the server's await time
   * (the stream is idle; `postBatchToken()` then says how far the stream has read).
   *
   * `open()` does not check the start position; the first `tryNext()` does. Throws
   * ResumeTokenLostError when the start position is no longer in history (server codes
   * 280/286), was never a valid token (e.g. 260, 40647), or an invalidate token is used with
   * `resumeAfter` (only `startAfter` may pass one).
   *
   * An invalidate is never returned as an event: the drop/rename that caused it is returned
   * first, then this call throws StreamInvalidatedError carrying the invalidate token (reopen
   * with `startAfter` it). Every later call throws the same error. So a checkpoint can never
   * hold an invalidate token, which `resumeAfter` would refuse.
   */
  tryNext(): Promise<ChangeEvent | null>;
  /**
   * Resume token covering every event returned so far and every filtered-out event after it
   * (the server's post-batch token); undefined until the first `tryNext()` has reached the
   * server. Save it only when nothing returned is still in flight (e.g. after a null).
   */
  postBatchToken(): ResumeToken | undefined;
  close(): Promise<void>;
}

export interface ChangeFeed {
  /** Current cluster time: the T0 of a catch-up scan. */
  currentClusterTime(): Promise<ClusterTime>;
  open(start: StartPosition, filter: FeedFilter): Promise<ChangeCursor>;
}

export function compareClusterTime(a: ClusterTime, b: ClusterTime): number {
  return a.t !== b.t ? a.t - b.t : a.i - b.i;
}

/** The later of two cluster times (either may be absent). */
export function laterOf(a: ClusterTime | undefined, b: ClusterTime | undefined): ClusterTime | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareClusterTime(b, a) > 0 ? b : a;
}
