// The in-memory `claim_detail` collection and its oplog, shared by the change-feed and
// claim-store twins: every write appends an event with a monotonically increasing cluster
// time, like the server does. History can be truncated (the oplog rolled over) and the
// collection dropped (the stream invalidates), so the pipeline's resume paths are testable.
import { randomBytes } from "node:crypto";
import type { ChangeEvent, ClusterTime } from "../../src/ports/change-feed.js";
import { compareClusterTime } from "../../src/ports/change-feed.js";
import { type Clock, systemClock } from "../../src/ports/clock.js";

type Doc = Record<string, unknown>;

export type LoggedOperation = Exclude<ChangeEvent["operationType"], "other"> | "other";

/** One oplog entry of the collection. */
export interface LoggedEvent {
  /** Position in the log, 1-based, never reused. */
  readonly seq: number;
  readonly clusterTime: ClusterTime;
  readonly wallTime: Date;
  readonly operationType: LoggedOperation;
  readonly documentKey: { readonly _id: unknown } | null;
  /** The document right after the write (insert/update/replace); null otherwise. */
  readonly postImage: Doc | null;
}

/** A unique-index violation, as the server reports E11000. */
export class DuplicateKeyError extends Error {
  readonly code = 11000;
  constructor(readonly index: string) {
    super(`E11000 duplicate key error on claim_detail index ${index}`);
    this.name = "DuplicateKeyError";
  }
}

/** Writes to a claim the collection does not hold. */
export class ClaimNotFoundError extends Error {
  readonly code = "CLAIM_NOT_FOUND";
  constructor(readonly claimNumber: string) {
    super(`claim ${claimNumber} is not in claim_detail`);
    this.name = "ClaimNotFoundError";
  }
}

function idKey(id: unknown): string {
  return `${typeof id}:${String(id)}`;
}

/** Orders `_id`s like the server for the ids we generate (hex strings) and plain numbers. */
export function compareIds(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface ClaimDetailOptions {
  /** Drives cluster times (seconds) and wall times; default the system clock. */
  readonly clock?: Clock;
}

export class MemoryClaimDetail {
  /** Distinguishes this log's tokens from any other's (a foreign token is "not found"). */
  readonly epoch = randomBytes(4).toString("hex");
  private readonly clock: Clock;
  private readonly docs = new Map<string, Doc>();
  private readonly byNumber = new Map<string, string>();
  private log: LoggedEvent[] = [];
  private nextSeq = 1;
  private nextId = 1;
  private last: ClusterTime = { t: 0, i: 0 };
  private oldest: ClusterTime = { t: 0, i: 0 };
  private truncatedThrough = 0;
  private readonly listeners = new Set<() => void>();

  constructor(opts: ClaimDetailOptions = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  // ---- writes (each appends an oplog event) ----

  /** Inserts a copy of `doc` (an `_id` is generated when absent); returns its `_id`. */
  insert(doc: Doc): unknown {
    const copy = structuredClone(doc);
    if (copy._id === undefined) copy._id = (this.nextId++).toString(16).padStart(24, "0");
    const key = idKey(copy._id);
    if (this.docs.has(key)) throw new DuplicateKeyError("_id_");
    const number = copy.claim_number;
    if (typeof number === "string" && this.byNumber.has(number))
      throw new DuplicateKeyError("claim_number_1");
    this.docs.set(key, copy);
    if (typeof number === "string") this.byNumber.set(number, key);
    this.append("insert", copy._id, copy);
    return copy._id;
  }

  insertMany(docs: readonly Doc[]): unknown[] {
    return docs.map((d) => this.insert(d));
  }

  /** `$set` of top-level fields on one claim (an `update` event). */
  update(claimNumber: string, set: Doc): Doc {
    const key = this.keyOf(claimNumber);
    const current = this.docs.get(key) as Doc;
    if ("_id" in set || ("claim_number" in set && set.claim_number !== claimNumber))
      throw new TypeError("update must not change _id or claim_number");
    const next = { ...current, ...structuredClone(set) };
    this.docs.set(key, next);
    this.append("update", next._id, next);
    return structuredClone(next);
  }

  /** A correction upstream: version + 1, status ready, plus `set` (an `update` event). */
  bumpVersion(claimNumber: string, set: Doc = {}): Doc {
    const current = this.docs.get(this.keyOf(claimNumber)) as Doc;
    const version = typeof current.version === "number" ? current.version : 1;
    return this.update(claimNumber, {
      status: "ready",
      updated_at: this.clock.now(),
      ...set,
      version: version + 1,
    });
  }

  /** Replaces the whole document, keeping `_id` (a `replace` event). */
  replace(claimNumber: string, doc: Doc): void {
    const key = this.keyOf(claimNumber);
    const current = this.docs.get(key) as Doc;
    const next: Doc = { ...structuredClone(doc), _id: current._id };
    if (next.claim_number !== claimNumber) {
      if (typeof next.claim_number === "string" && this.byNumber.has(next.claim_number))
        throw new DuplicateKeyError("claim_number_1");
      this.byNumber.delete(claimNumber);
      if (typeof next.claim_number === "string") this.byNumber.set(next.claim_number, key);
    }
    this.docs.set(key, next);
    this.append("replace", next._id, next);
  }

  /** Deletes one claim (a `delete` event). */
  delete(claimNumber: string): void {
    const key = this.keyOf(claimNumber);
    const id = (this.docs.get(key) as Doc)._id;
    this.docs.delete(key);
    this.byNumber.delete(claimNumber);
    this.append("delete", id, null);
  }

  /** Drops the collection: a `drop` event then an `invalidate` event, every document gone. */
  drop(): void {
    this.docs.clear();
    this.byNumber.clear();
    this.append("drop", null, null);
    this.append("invalidate", null, null);
  }

  /** The oplog rolled over: events before `beforeClusterTime` are gone for good. */
  truncateHistory(beforeClusterTime: ClusterTime): number {
    const keep = this.log.filter((e) => compareClusterTime(e.clusterTime, beforeClusterTime) >= 0);
    const removed = this.log.length - keep.length;
    for (const e of this.log)
      if (compareClusterTime(e.clusterTime, beforeClusterTime) < 0) this.truncatedThrough = e.seq;
    this.log = keep;
    if (compareClusterTime(beforeClusterTime, this.oldest) > 0) this.oldest = beforeClusterTime;
    return removed;
  }

  // ---- reads ----

  get(claimNumber: string): Doc | null {
    const key = this.byNumber.get(claimNumber);
    const doc = key === undefined ? undefined : this.docs.get(key);
    return doc ? structuredClone(doc) : null;
  }

  getById(id: unknown): Doc | null {
    const doc = this.docs.get(idKey(id));
    return doc ? structuredClone(doc) : null;
  }

  /** Every document, ordered by `_id` (copies). */
  all(): Doc[] {
    return [...this.docs.values()].sort((a, b) => compareIds(a._id, b._id)).map((d) => structuredClone(d));
  }

  get size(): number {
    return this.docs.size;
  }

  /** Live documents without copying, for the store's scans (callers copy what they return). */
  liveDocs(): IterableIterator<Doc> {
    return this.docs.values();
  }

  /** The retained oplog (for tests and the feed; never mutate). */
  events(): readonly LoggedEvent[] {
    return this.log;
  }

  eventBySeq(seq: number): LoggedEvent | undefined {
    const first = this.log[0];
    if (!first) return undefined;
    const e = this.log[seq - first.seq];
    return e?.seq === seq ? e : undefined;
  }

  /** Index in the retained log of the first event after `seq`. */
  indexAfter(seq: number): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.log[mid] as LoggedEvent).seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index in the retained log of the first event at or after `time`. */
  indexAtOrAfter(time: ClusterTime): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareClusterTime((this.log[mid] as LoggedEvent).clusterTime, time) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Seq of the newest event ever appended (0 before the first). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Seq of the newest event removed by `truncateHistory` (0 if none). */
  get truncatedSeq(): number {
    return this.truncatedThrough;
  }

  /** The oldest cluster time still in history. */
  get historyStart(): ClusterTime {
    return this.oldest;
  }

  /**
   * The cluster time now: the last write's, or the clock's second when that is later (the
   * server's periodic no-op writes keep the cluster time moving on an idle deployment).
   */
  clusterTime(): ClusterTime {
    const t = Math.floor(this.clock.now().getTime() / 1000);
    return t > this.last.t ? { t, i: 0 } : this.last;
  }

  /** Called on every append (the feed's await-data wakes on it); returns an unsubscribe. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private keyOf(claimNumber: string): string {
    const key = this.byNumber.get(claimNumber);
    if (key === undefined) throw new ClaimNotFoundError(claimNumber);
    return key;
  }

  private tick(): ClusterTime {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const t = Math.max(now, this.last.t);
    this.last = { t, i: t === this.last.t ? this.last.i + 1 : 1 };
    return this.last;
  }

  private append(operationType: LoggedOperation, id: unknown, postImage: Doc | null): void {
    this.log.push({
      seq: this.nextSeq++,
      clusterTime: this.tick(),
      wallTime: this.clock.now(),
      operationType,
      documentKey: id === null ? null : { _id: id },
      postImage: postImage ? structuredClone(postImage) : null,
    });
    for (const l of [...this.listeners]) l();
  }
}
