// Every port over one shared in-memory "database", for the fast pipeline tests and anything
// else that needs claimflow without MongoDB. `connect()` hands out more connections to the
// same data (a second processor, or the restart after a simulated kill -9), each with its own
// fault injection.

import type { AuditEntry, AuditLog } from "../../src/ports/audit-log.js";
import type { PipelinePorts } from "../../src/ports/bundle.js";
import type { ChangeFeed } from "../../src/ports/change-feed.js";
import { type Clock, systemClock } from "../../src/ports/clock.js";
import type { FileSink, FileToWrite } from "../../src/ports/file-sink.js";
import { type BatchRecord, type Ledger, reserveEach } from "../../src/ports/ledger.js";
import { MemoryClaimDetail } from "./claim-detail.js";
import { Faults, guarded } from "./faults.js";
import { MemoryAuditLog } from "./memory-audit-log.js";
import { MemoryChangeFeed, type MemoryChangeFeedOptions } from "./memory-change-feed.js";
import { MemoryCheckpointStore } from "./memory-checkpoint-store.js";
import { MemoryClaimStore } from "./memory-claim-store.js";
import { MemoryDeadLetters } from "./memory-dead-letters.js";
import { MemoryFileSink } from "./memory-file-sink.js";
import { MemoryLeaseStore } from "./memory-lease.js";
import { MemoryLedger } from "./memory-ledger.js";
import { MemoryLookups } from "./memory-lookups.js";
import { MemoryStats } from "./memory-stats.js";

export interface MemoryPortsOptions extends MemoryChangeFeedOptions {
  /** Drives cluster times, wall times and the billed mark's updated_at. */
  readonly clock?: Clock;
}

/** Reference data and claims in the shape src/seed/synthetic.ts generates. */
export interface SeedData {
  readonly clients?: readonly Record<string, unknown>[];
  readonly npis?: readonly Record<string, unknown>[];
  readonly patients?: readonly Record<string, unknown>[];
  readonly claims?: readonly Record<string, unknown>[];
}

export interface MemoryConnection {
  readonly ports: PipelinePorts;
  readonly faults: Faults;
}

/** Handles on the shared state, to seed it, inspect it and inject faults. */
export interface MemoryDb {
  readonly claims: MemoryClaimDetail;
  readonly feed: MemoryChangeFeed;
  readonly lookups: MemoryLookups;
  readonly ledger: MemoryLedger;
  readonly checkpoints: MemoryCheckpointStore;
  readonly deadLetters: MemoryDeadLetters;
  readonly files: MemoryFileSink;
  readonly leases: MemoryLeaseStore;
  readonly audit: MemoryAuditLog;
  /** Faults of the first connection (the `ports` createMemoryPorts returned). */
  readonly faults: Faults;
  /** Another connection to the same data. */
  connect(): MemoryConnection;
  /** Upserts reference documents and inserts the claims (each insert is a change event). */
  seed(data: SeedData): void;
}

/**
 * The group calls (reserveMany, markWrittenMany, writeMany, appendMany) go through the
 * fault-guarded single calls, one per item, so a fault armed on "ledger.reserve" or
 * "sink.write" hits every batch of a group as it would alone, and a kill can land between two
 * batches of one group (a finer crash than MongoDB's all-or-nothing transaction: still safe).
 */
function groupsViaSingles<T extends object>(g: T, group: (g: T) => Partial<T>): T {
  const overrides = group(g) as Record<PropertyKey, unknown>;
  return new Proxy(g, {
    get(t, prop) {
      if (prop in overrides) return overrides[prop];
      return Reflect.get(t, prop, t);
    },
  });
}

export function createMemoryPorts(opts: MemoryPortsOptions = {}): { ports: PipelinePorts; db: MemoryDb } {
  const clock = opts.clock ?? systemClock;
  const claims = new MemoryClaimDetail({ clock });
  const feed = new MemoryChangeFeed(claims, opts);
  const store = new MemoryClaimStore(claims, clock);
  const lookups = new MemoryLookups();
  const ledger = new MemoryLedger();
  const checkpoints = new MemoryCheckpointStore();
  const deadLetters = new MemoryDeadLetters();
  const files = new MemoryFileSink();
  const leases = new MemoryLeaseStore(clock);
  const audit = new MemoryAuditLog();
  const stats = new MemoryStats(claims);

  const connect = (): MemoryConnection => {
    const faults = new Faults();
    const guardedFeed: ChangeFeed = {
      currentClusterTime: async () => {
        await faults.hit("feed.currentClusterTime");
        return feed.currentClusterTime();
      },
      open: async (start, filter) => {
        await faults.hit("feed.open");
        const cursor = await feed.open(start, filter);
        return guarded(cursor, "cursor", faults, ["tryNext", "close"]);
      },
    };
    const ports: PipelinePorts = {
      feed: guardedFeed,
      claims: guarded(store, "claims", faults, ["scanReady", "markBilled", "findByClaimNumber"]),
      checkpoints: guarded(checkpoints, "checkpoints", faults, ["load", "save", "clear"]),
      ledger: groupsViaSingles<Ledger>(
        guarded(ledger, "ledger", faults, [
          "findEmitted",
          "lookupHistory",
          "nextControlNumber",
          "reserve",
          "markWritten",
          "findReserved",
          "oldestReserved",
          "findBatch",
          "countReserved",
          "reissue",
          "reservedThrough",
        ]),
        (g) => ({
          reserveMany: (batches: readonly BatchRecord[]) => reserveEach(g, batches),
          markWrittenMany: async (ids: readonly string[], at: Date) => {
            for (const id of ids) await g.markWritten(id, at);
          },
        }),
      ),
      lookups: guarded(lookups, "lookups", faults, ["patients", "clients", "npis"]),
      deadLetters: guarded(deadLetters, "deadLetters", faults, [
        "record",
        "list",
        "get",
        "remove",
        "purgeBefore",
        "count",
      ]),
      sink: groupsViaSingles<FileSink>(
        guarded(files, "sink", faults, ["write", "read", "removeStaleTemps"]),
        (g) => ({
          writeMany: (fs: readonly FileToWrite[]) =>
            Promise.all(
              fs.map((f) =>
                g.write(f.path, f.content).then(
                  () => undefined,
                  (err: unknown) => err,
                ),
              ),
            ),
        }),
      ),
      leases: guarded(leases, "leases", faults, ["tryAcquire", "release", "current"]),
      audit: groupsViaSingles<AuditLog>(guarded(audit, "audit", faults, ["append", "list"]), (g) => ({
        appendMany: async (entries: readonly AuditEntry[]) => {
          for (const e of entries) await g.append(e);
        },
      })),
      stats: guarded(stats, "stats", faults, ["oplogWindowSeconds", "readyBacklog"]),
    };
    return { ports, faults };
  };

  const first = connect();
  const db: MemoryDb = {
    claims,
    feed,
    lookups,
    ledger,
    checkpoints,
    deadLetters,
    files,
    leases,
    audit,
    faults: first.faults,
    connect,
    seed(data) {
      lookups.upsertClients(data.clients ?? []);
      lookups.upsertNpis(data.npis ?? []);
      lookups.upsertPatients(data.patients ?? []);
      claims.insertMany(data.claims ?? []);
    },
  };
  return { ports: first.ports, db };
}
