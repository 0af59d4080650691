// The one MongoClient of a process, configured for a 24/7 processor: retryable reads and
// writes, bounded server selection, majority writes (a ledger row acknowledged by a primary
// that then loses an election would be rolled back and a claim billed twice). Which driver
// errors are worth a retry is src/mongo/errors.ts's call (mongoFaultOf).
import { type Db, MongoClient, MongoError } from "mongodb";

export interface ConnectOptions {
  readonly maxPoolSize: number;
  /** Server selection and connect timeout. */
  readonly timeoutMs: number;
  readonly appName: string;
  /** Database for `db`; defaults to the one in the URI path, else the driver's default. */
  readonly databaseName?: string | undefined;
}

export interface MongoConnection {
  readonly client: MongoClient;
  readonly db: Db;
}

export async function connectMongo(uri: string, opts: ConnectOptions): Promise<MongoConnection> {
  const client = new MongoClient(uri, {
    appName: opts.appName,
    maxPoolSize: opts.maxPoolSize,
    retryWrites: true,
    retryReads: true,
    serverSelectionTimeoutMS: opts.timeoutMs,
    connectTimeoutMS: Math.min(opts.timeoutMs, 30_000),
    // A reply that never comes (a wedged node, a half-open TCP connection) becomes a network
    // error after this long, which the retry policy handles; without it one lost reply would
    // stall a batch, and with it the watermark, forever. Change-stream getMores wait at most
    // maxAwaitTimeMS (1 s), far below it.
    socketTimeoutMS: opts.timeoutMs,
    writeConcern: { w: "majority" },
    // Reads of our own rows (ledger, checkpoint) must see what a majority acknowledged.
    readConcern: { level: "majority" },
  });
  try {
    await client.connect();
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  return { client, db: client.db(opts.databaseName) };
}

/** E11000, whether raised by a single write or inside a bulk write. */
export function isDuplicateKeyError(err: unknown): boolean {
  return err instanceof MongoError && (err.code === 11000 || err.code === 11001);
}
