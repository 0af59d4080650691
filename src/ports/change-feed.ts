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
  /** Post-image for insert/update/replace; null when the document was deleted since. */
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
   * Throws ResumeTokenLostError when the start token is no longer in history, and
   * StreamInvalidatedError after an invalidate event.
   */
  tryNext(): Promise<ChangeEvent | null>;
  /** Resume token covering everything read so far, including filtered-out events. */
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
