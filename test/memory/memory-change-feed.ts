// The change-feed twin: cursors over the in-memory claim_detail oplog with the token semantics
// of a MongoDB change stream — resumeAfter / startAfter / startAtOperationTime, an await-data
// wait when idle, post-batch tokens that move over filtered-out events, history lost (codes
// 280/286/260) and invalidate after a drop. The server-side filter is the one
// src/mongo/change-feed-filter.ts sends: ready claims (within the group regex), updates whose
// document is gone, and delete/drop/rename (passed through for logging).
import { ResumeTokenLostError, StreamInvalidatedError } from "../../src/domain/errors.js";
import {
  type ChangeCursor,
  type ChangeEvent,
  type ChangeFeed,
  type ClusterTime,
  compareClusterTime,
  type FeedFilter,
  type ResumeToken,
  type StartPosition,
} from "../../src/ports/change-feed.js";
import type { LoggedEvent, MemoryClaimDetail } from "./claim-detail.js";

/** Server error codes the twin reproduces. */
export const SERVER_CODES = {
  /** ChangeStreamFatalError: the resume token's event is not in the oplog. */
  tokenNotFound: 280,
  /** ChangeStreamHistoryLost: the oplog no longer reaches back to the start point. */
  historyLost: 286,
  /** InvalidResumeToken: malformed, or an invalidate token passed as resumeAfter. */
  invalidToken: 260,
} as const;

export interface MemoryChangeFeedOptions {
  /** Named in the errors the cursor throws. */
  readonly streamName?: string;
  /** How long an idle `tryNext` waits for a new event before returning null (maxAwaitTimeMS). */
  readonly awaitMs?: number;
  /**
   * `updateLookup`: an update's fullDocument is the document as it is when read (null when
   * deleted since). `whenAvailable`: the post-image stored at write time.
   */
  readonly fullDocument?: "updateLookup" | "whenAvailable";
}

/** Thrown by `tryNext` on a cursor closed before the call (like the driver's MongoAPIError). */
export class ChangeStreamClosedError extends Error {
  readonly code = "CHANGE_STREAM_CLOSED";
  constructor() {
    super("change stream is closed");
    this.name = "ChangeStreamClosedError";
  }
}

type TokenKind = "event" | "highWater" | "invalidate";
const KIND_PREFIX: Record<TokenKind, string> = { event: "82", highWater: "83", invalidate: "84" };
const TOKEN = /^(82|83|84)([0-9a-f]{8})([0-9a-f]{8})([0-9a-f]{8})([0-9a-f]{12})$/;

interface DecodedToken {
  readonly kind: TokenKind;
  readonly epoch: string;
  readonly clusterTime: ClusterTime;
  readonly seq: number;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

export function encodeToken(kind: TokenKind, epoch: string, ct: ClusterTime, seq: number): ResumeToken {
  return { _data: `${KIND_PREFIX[kind]}${epoch}${hex(ct.t, 8)}${hex(ct.i, 8)}${hex(seq, 12)}` };
}

export function decodeToken(token: unknown): DecodedToken | undefined {
  const data = (token as { _data?: unknown } | null | undefined)?._data;
  if (typeof data !== "string") return undefined;
  const m = TOKEN.exec(data);
  if (!m) return undefined;
  const kind = (Object.keys(KIND_PREFIX) as TokenKind[]).find((k) => KIND_PREFIX[k] === m[1]) as TokenKind;
  return {
    kind,
    epoch: m[2] as string,
    clusterTime: { t: Number.parseInt(m[3] as string, 16), i: Number.parseInt(m[4] as string, 16) },
    seq: Number.parseInt(m[5] as string, 16),
  };
}

export class MemoryChangeFeed implements ChangeFeed {
  private readonly streamName: string;
  private readonly awaitMs: number;
  private readonly lookup: boolean;
  private readonly openCursors = new Set<MemoryChangeCursor>();
  /** Events returned by every cursor of this feed (a backpressure test reads it). */
  delivered = 0;

  constructor(
    private readonly coll: MemoryClaimDetail,
    opts: MemoryChangeFeedOptions = {},
  ) {
    this.streamName = opts.streamName ?? "claim_detail";
    this.awaitMs = opts.awaitMs ?? 25;
    this.lookup = (opts.fullDocument ?? "updateLookup") === "updateLookup";
  }

  async currentClusterTime(): Promise<ClusterTime> {
    return this.coll.clusterTime();
  }

  async open(start: StartPosition, filter: FeedFilter): Promise<ChangeCursor> {
    const cursor = new MemoryChangeCursor(this.coll, start, filter, {
      streamName: this.streamName,
      awaitMs: this.awaitMs,
      lookup: this.lookup,
      onDeliver: () => this.delivered++,
      onClose: (c) => this.openCursors.delete(c),
    });
    this.openCursors.add(cursor);
    return cursor;
  }

  /** Cursors opened and not yet closed (a test checks restarts do not leak them). */
  get openCount(): number {
    return this.openCursors.size;
  }
}

interface CursorSettings {
  readonly streamName: string;
  readonly awaitMs: number;
  readonly lookup: boolean;
  readonly onDeliver: () => void;
  readonly onClose: (c: MemoryChangeCursor) => void;
}

export class MemoryChangeCursor implements ChangeCursor {
  private readonly regex: RegExp | undefined;
  /** Seq of the last oplog event this cursor has looked at; undefined until started. */
  private pos: number | undefined;
  private postBatch: ResumeToken | undefined;
  private invalidated: StreamInvalidatedError | undefined;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly coll: MemoryClaimDetail,
    private readonly start: StartPosition,
    filter: FeedFilter,
    private readonly s: CursorSettings,
  ) {
    this.regex = filter.groupFilter ? new RegExp(filter.groupFilter) : undefined;
  }

  async tryNext(): Promise<ChangeEvent | null> {
    if (this.closed) throw new ChangeStreamClosedError();
    if (this.invalidated) throw this.invalidated;
    if (this.pos === undefined) this.pos = this.resolveStart();
    const first = this.next();
    if (first) return first;
    await this.awaitData();
    if (this.closed) return null;
    const second = this.next();
    if (second) return second;
    // Idle: everything up to the newest event has been examined.
    this.pos = this.coll.lastSeq;
    this.postBatch = encodeToken("highWater", this.coll.epoch, this.coll.clusterTime(), this.pos);
    return null;
  }

  postBatchToken(): ResumeToken | undefined {
    return this.postBatch;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    this.s.onClose(this);
  }

  /** Where reading begins (the seq of the event to read after), or why it cannot. */
  private resolveStart(): number {
    const coll = this.coll;
    const lost = (code: number) => new ResumeTokenLostError(this.s.streamName, code);
    if (this.start.kind === "atClusterTime") {
      const at = this.start.clusterTime;
      if (compareClusterTime(at, coll.historyStart) < 0) throw lost(SERVER_CODES.historyLost);
      const idx = coll.indexAtOrAfter(at);
      const log = coll.events();
      if (idx > 0) return (log[idx - 1] as LoggedEvent).seq;
      return log[0] ? log[0].seq - 1 : coll.lastSeq;
    }
    const tok = decodeToken(this.start.token);
    if (!tok) throw lost(SERVER_CODES.invalidToken);
    if (tok.kind === "invalidate" && this.start.kind === "resumeAfter") throw lost(SERVER_CODES.invalidToken);
    if (tok.epoch !== coll.epoch || tok.seq > coll.lastSeq) throw lost(SERVER_CODES.tokenNotFound);
    if (compareClusterTime(tok.clusterTime, coll.historyStart) < 0) throw lost(SERVER_CODES.historyLost);
    if (tok.kind !== "highWater") {
      const e = coll.eventBySeq(tok.seq);
      if (!e || compareClusterTime(e.clusterTime, tok.clusterTime) !== 0)
        throw lost(SERVER_CODES.tokenNotFound);
    }
    return tok.seq;
  }

  /** The next matching event after `pos`, moving `pos` over filtered-out ones. */
  private next(): ChangeEvent | null {
    const coll = this.coll;
    // A live cursor that fell behind a rolled-over oplog cannot go on (the server's 286).
    if (coll.truncatedSeq > (this.pos as number))
      throw new ResumeTokenLostError(this.s.streamName, SERVER_CODES.historyLost);
    const log = coll.events();
    for (let idx = coll.indexAfter(this.pos as number); idx < log.length; idx++) {
      const e = log[idx] as LoggedEvent;
      this.pos = e.seq;
      if (e.operationType === "invalidate") {
        this.invalidated = new StreamInvalidatedError(
          this.s.streamName,
          encodeToken("invalidate", coll.epoch, e.clusterTime, e.seq),
        );
        throw this.invalidated;
      }
      const ev = this.toEvent(e);
      if (this.matches(ev)) {
        this.postBatch = ev.token;
        this.s.onDeliver();
        return ev;
      }
    }
    return null;
  }

  private toEvent(e: LoggedEvent): ChangeEvent {
    let fullDocument: Record<string, unknown> | null = null;
    if (e.operationType === "insert" || e.operationType === "replace") {
      fullDocument = structuredClone(e.postImage);
    } else if (e.operationType === "update") {
      fullDocument = this.s.lookup
        ? this.coll.getById(e.documentKey?._id)
        : e.postImage && structuredClone(e.postImage);
    }
    return {
      token: encodeToken("event", this.coll.epoch, e.clusterTime, e.seq),
      operationType: e.operationType,
      clusterTime: e.clusterTime,
      fullDocument,
      documentKey: e.documentKey ? structuredClone(e.documentKey._id) : undefined,
      wallTime: e.wallTime,
    };
  }

  /** The pipeline's server-side `$match`. */
  private matches(ev: ChangeEvent): boolean {
    switch (ev.operationType) {
      case "insert":
      case "replace":
        return this.isOurs(ev.fullDocument);
      case "update":
        // A post-image that is gone leaves the group unknown: pass it so it is counted.
        return ev.fullDocument === null || this.isOurs(ev.fullDocument);
      case "delete":
      case "drop":
      case "rename":
        return true;
      default:
        return false;
    }
  }

  /** A ready claim within the group filter (our own billed marks never cross the wire). */
  private isOurs(doc: Record<string, unknown> | null): boolean {
    if (doc?.status !== "ready") return false;
    if (!this.regex) return true;
    return typeof doc.group_id === "string" && this.regex.test(doc.group_id);
  }

  /** The server's await-data: wait for a new event, the close, or the await time. */
  private awaitData(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.s.awaitMs);
      const unsubscribe = this.coll.onAppend(done);
      this.wake = done;
    });
  }
}
