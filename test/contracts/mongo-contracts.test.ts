// The port contracts against MongoDB on a real replica set (the in-memory twins run the same
// suite in memory-contracts.test.ts), plus what only MongoDB has: legacy raw-sender counters.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { COLLECTIONS } from "../../src/mongo/collections.js";
import {
  BILLED_PER_TRANSACTION,
  MongoClaimStore,
  TRANSACTION_FROM,
} from "../../src/mongo/mongo-claim-store.js";
import { MongoLedger } from "../../src/mongo/mongo-ledger.js";
import { type ClusterTime, compareClusterTime } from "../../src/ports/change-feed.js";
import { FsFileSink } from "../../src/sink/fs-file-sink.js";
import { contractBatch } from "./builders.js";
import { contractMongo } from "./contract-mongo.js";
import { portContracts } from "./port-contracts.js";

const m = await contractMongo();
const client = m?.client;
const freshDb = (opts?: { indexes?: "none" | "own" | "all" }) =>
  (m as NonNullable<typeof m>).freshDb("contract", opts);

describe.skipIf(!m)("MongoDB ports", () => {
  portContracts("mongodb", async () => {
    const db = await freshDb();
    return {
      ledger: new MongoLedger(client as MongoClient, db),
      claims: new MongoClaimStore(db, client as MongoClient),
      sink: new FsFileSink(await mkdtemp(join(tmpdir(), "cf-contract-"))),
      seedClaims: async (docs) => {
        await db.collection(COLLECTIONS.claims).insertMany(docs.map((d) => ({ ...d })));
      },
    };
  });

  it("a sender key starts above every legacy raw-sender counter that renders to it", async () => {
    const db = await freshDb();
    await db.collection<{ _id: string; seq: number }>(COLLECTIONS.counters).insertMany([
      { _id: "isa:acme pharm", seq: 41 },
      { _id: "isa:ACME PHARM", seq: 17 },
      { _id: "isa:ACME PHARMACY", seq: 900 },
    ]);
    const ledger = new MongoLedger(client as MongoClient, db);
    expect(await ledger.nextControlNumber("ZZ:ACME PHARM     ")).toBe(42);
    expect(await ledger.nextControlNumber("ZZ:ACME PHARM     ")).toBe(43);
  });

  it("reservedThrough on a stream that reserved batches before the mark existed: every event up to now", async () => {
    const db = await freshDb();
    const ledger = new MongoLedger(client as MongoClient, db);
    // Batches of stream s1 written by a version without the mark (no mark document).
    await ledger.reserve(contractBatch("old1", [{ claim_number: "A", version: 1 }], 1));
    await db.collection(COLLECTIONS.counters).deleteMany({ _id: { $regex: "^reserved-through:" } } as never);
    const now = (await db.command({ ping: 1 })).operationTime as { t: number; i: number };
    const mark = await ledger.reservedThrough("s1");
    expect(mark).not.toBeNull();
    expect(compareClusterTime(mark as ClusterTime, { t: now.t, i: now.i })).toBeGreaterThanOrEqual(0);
    // Kept from then on (the next read does not move it), and raised by reservations as usual.
    expect(await ledger.reservedThrough("s1")).toEqual(mark);
    // A stream with no batch at all starts at nothing, even with other streams' batches stored.
    expect(await ledger.reservedThrough("s9")).toBeNull();
  });

  it("bills without the claim_number input index: the refused hint is dropped, the mark still lands", async () => {
    const db = await freshDb({ indexes: "own" });
    const docs = Array.from({ length: TRANSACTION_FROM + 2 }, (_, i) => ({
      claim_number: `H${i}`,
      version: 1,
      status: "ready",
    }));
    await db.collection(COLLECTIONS.claims).insertMany(docs.map((d) => ({ ...d })));
    const store = new MongoClaimStore(db, client as MongoClient);
    const refs = docs.map((d) => ({ claim_number: d.claim_number, version: 1 }));
    // The transaction path first (the refusal aborts it; it runs again without the hint) ...
    expect(await store.markBilled(refs.slice(0, TRANSACTION_FROM))).toBe(TRANSACTION_FROM);
    // ... and the small path, now without the hint from the start.
    expect(await store.markBilled(refs.slice(TRANSACTION_FROM))).toBe(2);
    expect(await db.collection(COLLECTIONS.claims).countDocuments({ status: "billed" })).toBe(docs.length);
    const small = new MongoClaimStore(db, client as MongoClient);
    await db.collection(COLLECTIONS.claims).updateMany({}, { $set: { status: "ready" } });
    expect(await small.markBilled(refs.slice(0, 2))).toBe(2);
  });

  it("bills a mark larger than one transaction in slices, each its own transaction", async () => {
    const db = await freshDb();
    const n = BILLED_PER_TRANSACTION + TRANSACTION_FROM;
    const docs = Array.from({ length: n }, (_, i) => ({
      claim_number: `S${String(i).padStart(6, "0")}`,
      version: 1,
      status: "ready",
    }));
    await db.collection(COLLECTIONS.claims).insertMany(docs.map((d) => ({ ...d })));
    const store = new MongoClaimStore(db, client as MongoClient);
    const committed = async () =>
      Number((await db.admin().command({ serverStatus: 1 })).transactions.totalCommitted);
    const before = await committed();
    expect(await store.markBilled(docs.map((d) => ({ claim_number: d.claim_number, version: 1 })))).toBe(n);
    // Two slices, 5,000 claims and TRANSACTION_FROM claims: two transactions (one would do
    // without the slicing).
    expect((await committed()) - before).toBe(2);
    expect(await db.collection(COLLECTIONS.claims).countDocuments({ status: "billed" })).toBe(n);
  });
});
