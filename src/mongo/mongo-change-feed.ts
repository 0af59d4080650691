// ChangeFeed over `claim_detail.watch()`: a pull cursor (tryNext) so the pipeline reads only
// when it has room, server-side `$match`, and the mapping of the driver's errors onto our two
// typed ones: ResumeTokenLostError (history lost / bad token) and StreamInvalidatedError.
import {
  type ChangeStream,
  type ChangeStreamDocument,
  type ChangeStreamOptions,
  type Collection,
  type Db,
  type Document,
  MongoServerError,
  type Timestamp,
} from "mongodb";
import { ResumeTokenLostError, StreamInvalidatedError } from "../domain/errors.js";
import type {
  ChangeCursor,
  ChangeEvent,
  ChangeFeed,
  ClusterTime,
  FeedFilter,
  ResumeToken,
  StartPosition,
} from "../ports/change-feed.js";
import { changeStreamPipeline, readyClaimQuery } from "./change-feed-filter.js";
import { fromTimestamp, toTimestamp } from "./cluster-time.js";
import { COLLECTIONS } from "./collections.js";
import { ChangeStreamUnsupportedError } from "./errors.js";

/**
 * Server codes meaning "this start position will never work": 280 ChangeStreamFatalError,
 * 286 ChangeStreamHistoryLost, 260 InvalidResumeToken, 40647/40648 resume token mismatch,
 * 50811 invalidate token passed to resumeAfter.
 */
const TOKEN_LOST_CODES = new Set([280, 286, 260, 40647, 40648, 50811]);

/**
 * What the server answers to a `_data` that is not a resume token at all (a checkpoint edited by
 * hand, or copied from another tool): 9 FailedToParse (not hex), 15 Overflow (hex, but cut
 * short). Generic codes, so they mean "token lost" only on the first read of a cursor opened
 * from a token; anywhere else they stay what they are.
 */
const MALFORMED_TOKEN_CODES = new Set([9, 15]);

export interface MongoChangeFeedOptions {
  readonly streamName: string;
  /** Longest a tryNext waits on an idle stream before returning null. */
  readonly maxAwaitTimeMs?: number;
  readonly batchSize?: number;
}

export class MongoChangeFeed implements ChangeFeed {
  private fullDocumentMode: "updateLookup" | "whenAvailable" | undefined;

  constructor(
    private readonly db: Db,
    private readonly opts: MongoChangeFeedOptions,
  ) {}

  async currentClusterTime(): Promise<ClusterTime> {
    // operationTime of a majority no-op read is at or after every write acknowledged before it.
    const res = await this.db.command({ ping: 1 });
    const ts = (res.operationTime ?? res.$clusterTime?.clusterTime) as Timestamp | undefined;
    if (!ts) throw new ChangeStreamUnsupportedError();
    return fromTimestamp(ts);
  }

  async open(start: StartPosition, filter: FeedFilter): Promise<ChangeCursor> {
    this.fullDocumentMode ??= await this.detectFullDocumentMode();
    const options: ChangeStreamOptions = {
      fullDocument: this.fullDocumentMode,
      maxAwaitTimeMS: this.opts.maxAwaitTimeMs ?? 1000,
      batchSize: this.opts.batchSize ?? 1000,
    };
    if (start.kind === "resumeAfter") options.resumeAfter = start.token;
    else if (start.kind === "startAfter") options.startAfter = start.token;
    else options.startAtOperationTime = toTimestamp(start.clusterTime);
    const claims = this.db.collection(COLLECTIONS.claims);
    const stream = claims.watch(changeStreamPipeline(filter), options);
    // Only `whenAvailable` can leave a live document without a post-image (its pre-image expired
    // or was removed); with `updateLookup` the server has just looked it up, so null means gone.
    const lookup =
      this.fullDocumentMode === "whenAvailable" ? new PostImageLookup(claims, filter) : undefined;
    return new MongoChangeCursor(stream, this.opts.streamName, lookup, start.kind !== "atClusterTime");
  }

  /** `whenAvailable` reads the stored post-image (no lookup round trip) when the collection keeps them. */
  private async detectFullDocumentMode(): Promise<"updateLookup" | "whenAvailable"> {
    const [info] = await this.db
      .listCollections({ name: COLLECTIONS.claims }, { nameOnly: false })
      .toArray()
      .catch(() => [] as Document[]);
    const enabled = (info as Document | undefined)?.options?.changeStreamPreAndPostImages?.enabled === true;
    return enabled ? "whenAvailable" : "updateLookup";
  }
}

/**
 * An update whose post-image is null under `whenAvailable` is not a deletion until the document
 * is looked up: its pre-image may merely have expired (changeStreamOptions expireAfterSeconds) or
 * been removed, and skipping it as deleted would leave a draft→ready claim unbilled for good.
 * Found and ours (the same server-side query as the catch-up scan): returned with that document.
 * Found but not ours: dropped here, as the server's `$match` would have done with the image.
 * Not found: deleted after all, returned with a null document for the pipeline to count.
 */
class PostImageLookup {
  constructor(
    private readonly claims: Collection<Document>,
    private readonly filter: FeedFilter,
  ) {}

  async resolve(
    documentKey: unknown,
  ): Promise<{ kind: "ours"; doc: Document } | { kind: "not_ours" | "gone" }> {
    const ours = await this.claims.findOne({ ...readyClaimQuery(this.filter), _id: documentKey as never });
    if (ours) return { kind: "ours", doc: ours };
    const exists = await this.claims.findOne({ _id: documentKey as never }, { projection: { _id: 1 } });
    return { kind: exists ? "not_ours" : "gone" };
  }
}

class MongoChangeCursor implements ChangeCursor {
  private invalidated: StreamInvalidatedError | undefined;
  private reachedServer = false;

  constructor(
    private readonly stream: ChangeStream<Document, ChangeStreamDocument<Document>>,
    private readonly streamName: string,
    private readonly lookup: PostImageLookup | undefined,
    private readonly fromToken: boolean,
  ) {
    // The driver emits 'error' only in event mode; a listener keeps a stray one from crashing us.
    stream.on("error", () => undefined);
  }

  async tryNext(): Promise<ChangeEvent | null> {
    for (;;) {
      const ev = await this.nextFromStream();
      if (ev?.operationType !== "update" || ev.fullDocument !== null || !this.lookup) return ev;
      const found = await this.lookup.resolve(ev.documentKey);
      if (found.kind === "ours") return { ...ev, fullDocument: found.doc as Record<string, unknown> };
      if (found.kind === "gone") return ev;
      // Not ours: the resume token moves past it with the next event or post-batch token.
    }
  }

  private async nextFromStream(): Promise<ChangeEvent | null> {
    if (this.invalidated) throw this.invalidated;
    let doc: ChangeStreamDocument<Document> | null;
    try {
      doc = await this.stream.tryNext();
    } catch (err) {
      if (err instanceof MongoServerError && typeof err.code === "number") {
        const malformed = this.fromToken && !this.reachedServer && MALFORMED_TOKEN_CODES.has(err.code);
        if (malformed || TOKEN_LOST_CODES.has(err.code))
          throw new ResumeTokenLostError(this.streamName, err.code, { cause: err });
      }
      throw err;
    }
    this.reachedServer = true;
    if (doc === null) return null;
    if (doc.operationType === "invalidate") {
      this.invalidated = new StreamInvalidatedError(this.streamName, doc._id);
      throw this.invalidated;
    }
    return toEvent(doc);
  }

  postBatchToken(): ResumeToken | undefined {
    if (!this.reachedServer) return undefined;
    return (this.stream.resumeToken as ResumeToken | undefined) ?? undefined;
  }

  async close(): Promise<void> {
    await this.stream.close();
  }
}

function toEvent(doc: ChangeStreamDocument<Document>): ChangeEvent {
  const d = doc as Document;
  const op = doc.operationType;
  const operationType: ChangeEvent["operationType"] =
    op === "insert" ||
    op === "update" ||
    op === "replace" ||
    op === "delete" ||
    op === "drop" ||
    op === "rename"
      ? op
      : op === "dropDatabase"
        ? "drop"
        : "other";
  const hasImage = operationType === "insert" || operationType === "update" || operationType === "replace";
  return {
    token: doc._id as ResumeToken,
    operationType,
    clusterTime: d.clusterTime ? fromTimestamp(d.clusterTime as Timestamp) : undefined,
    fullDocument: hasImage ? ((d.fullDocument as Record<string, unknown> | null | undefined) ?? null) : null,
    documentKey: d.documentKey?._id,
    wallTime: d.wallTime instanceof Date ? d.wallTime : undefined,
  };
}
