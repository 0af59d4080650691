// The MongoDB side of every port, as one PipelinePorts value (what main.ts and the CLI use).
import type { Db, MongoClient } from "mongodb";
import type { PipelinePorts } from "../ports/bundle.js";
import { type ContentCodec, plainContentCodec } from "../ports/content-codec.js";
import { FsFileSink } from "../sink/fs-file-sink.js";
import { MongoAckStore } from "./mongo-ack-store.js";
import { MongoAuditLog } from "./mongo-audit-log.js";
import { MongoChangeFeed } from "./mongo-change-feed.js";
import { MongoCheckpointStore } from "./mongo-checkpoint-store.js";
import { MongoClaimStore } from "./mongo-claim-store.js";
import { MongoDeadLetters } from "./mongo-dead-letters.js";
import { MongoLeaseStore } from "./mongo-lease-store.js";
import { MongoLedger } from "./mongo-ledger.js";
import { MongoLookups } from "./mongo-lookups.js";
import { MongoStats } from "./mongo-stats.js";

export interface MongoPortsOptions {
  readonly outputDir: string;
  /** Checkpoint/lease name, also in ResumeTokenLostError messages. */
  readonly streamName?: string;
  readonly codec?: ContentCodec;
  readonly maxAwaitTimeMs?: number;
}

export function createMongoPorts(client: MongoClient, db: Db, opts: MongoPortsOptions): PipelinePorts {
  return {
    feed: new MongoChangeFeed(db, {
      streamName: opts.streamName ?? "claim_detail",
      ...(opts.maxAwaitTimeMs ? { maxAwaitTimeMs: opts.maxAwaitTimeMs } : {}),
    }),
    claims: new MongoClaimStore(db, client),
    checkpoints: new MongoCheckpointStore(db),
    ledger: new MongoLedger(client, db, opts.codec ?? plainContentCodec),
    lookups: new MongoLookups(db),
    deadLetters: new MongoDeadLetters(db),
    sink: new FsFileSink(opts.outputDir),
    leases: new MongoLeaseStore(db),
    audit: new MongoAuditLog(db),
    stats: new MongoStats(client, db),
    acks: new MongoAckStore(db),
  };
}
