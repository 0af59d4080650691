import { describe, expect, it } from "vitest";
import {
  BatchConflictError,
  BatchNotFoundError,
  type BatchRecord,
  DuplicateClaimsError,
} from "../../src/ports/ledger.js";
import { createMemoryPorts } from "./memory-ports.js";

const ref = (n: string, v = 1) => ({ claim_number: n, version: v });

function batch(
  id: string,
  claims: { claim_number: string; version: number }[],
  isa: number,
  at = 0,
): BatchRecord {
  return {
    batchId: id,
    state: "reserved",
    streamName: "s1",
    groupId: "GRP_001",
    clientId: "CLIENT001",
    senderId: "SENDER1",
    isaControlNumber: isa,
    gsControlNumber: isa,
    path: `GRP_001/20250101/CLIENT001-${String(isa).padStart(9, "0")}.837`,
    content: `content ${id}`,
    sha256: `sha-${id}`,
    claims,
    claimCount: claims.length,
    createdAt: new Date(1_700_000_000_000 + at),
  };
}

describe("MemoryLedger", () => {
  it("reserves a batch with its history rows, then marks both written/emitted idempotently", async () => {
    const { ports, db } = createMemoryPorts();
    await ports.ledger.reserve(batch("b1", [ref("A"), ref("B")], 1));
    // Reserved is not emitted: only a written batch's claims are (billing them is safe).
    expect(await ports.ledger.findEmitted([ref("A"), ref("B", 2), ref("C")])).toEqual([]);
    expect(await ports.ledger.countReserved()).toBe(1);
    expect((await ports.ledger.findReserved("s1")).map((b) => b.batchId)).toEqual(["b1"]);
    expect(await ports.ledger.findReserved("other")).toEqual([]);

    const at = new Date(1_700_000_100_000);
    await ports.ledger.markWritten("b1", at);
    await ports.ledger.markWritten("b1", new Date(1_700_000_200_000));
    expect(await ports.ledger.findEmitted([ref("A"), ref("B", 2), ref("C")])).toEqual([ref("A")]);
    const stored = await ports.ledger.findBatch("b1");
    expect(stored?.state).toBe("written");
    expect(stored?.writtenAt).toEqual(at);
    expect(db.ledger.emittedRows()).toHaveLength(2);
    expect(await ports.ledger.countReserved()).toBe(0);
    await expect(ports.ledger.markWritten("nope", at)).rejects.toBeInstanceOf(BatchNotFoundError);
  });

  it("refuses a batch with already-emitted versions, naming exactly those and inserting nothing", async () => {
    const { ports, db } = createMemoryPorts();
    await ports.ledger.reserve(batch("b1", [ref("A"), ref("B")], 1));
    const err = await ports.ledger
      .reserve(batch("b2", [ref("A"), ref("B", 2), ref("C"), ref("B")], 2))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateClaimsError);
    expect((err as DuplicateClaimsError).duplicates).toEqual([ref("A"), ref("B")]);
    expect(await ports.ledger.findBatch("b2")).toBeNull();
    expect(await ports.ledger.findEmitted([ref("B", 2), ref("C")])).toEqual([]);
    expect(db.ledger.history()).toHaveLength(2);
    // The control number was not consumed by the failed reservation.
    await ports.ledger.reserve(batch("b3", [ref("C")], 2));
  });

  it("accepts a retry of the same reservation and refuses other batch conflicts", async () => {
    const { ports } = createMemoryPorts();
    const b1 = batch("b1", [ref("A")], 1);
    await ports.ledger.reserve(b1);
    await ports.ledger.reserve(b1);
    expect(await ports.ledger.countReserved()).toBe(1);

    const conflict = async (b: BatchRecord) => {
      const err = await ports.ledger.reserve(b).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BatchConflictError);
      return (err as BatchConflictError).conflict;
    };
    expect(await conflict(batch("b1", [ref("Z")], 9))).toBe("batch_id");
    expect(await conflict(batch("b2", [ref("Y"), ref("Y")], 2))).toBe("repeated_claim");
    expect(await conflict(batch("b3", [ref("X")], 1))).toBe("control_number");
    expect(await ports.ledger.findEmitted([ref("Z"), ref("Y"), ref("X")])).toEqual([]);
  });

  it("hands out increasing control numbers per sender, never reused", async () => {
    const { ports, db } = createMemoryPorts();
    expect(await ports.ledger.nextControlNumber("S1")).toBe(1);
    expect(await ports.ledger.nextControlNumber("S1")).toBe(2);
    expect(await ports.ledger.nextControlNumber("S2")).toBe(1);
    expect(db.ledger.counter("S1")).toBe(2);
    db.ledger.setCounter("S1", 10);
    expect(await ports.ledger.nextControlNumber("S1")).toBe(11);
  });

  it("lists reserved batches oldest first", async () => {
    const { ports } = createMemoryPorts();
    await ports.ledger.reserve(batch("late", [ref("A")], 1, 500));
    await ports.ledger.reserve(batch("early", [ref("B")], 2, 100));
    expect((await ports.ledger.findReserved()).map((b) => b.batchId)).toEqual(["early", "late"]);
  });

  it("keeps stored batches apart from the caller's objects", async () => {
    const { ports } = createMemoryPorts();
    const claims = [ref("A")];
    await ports.ledger.reserve(batch("b1", claims, 1));
    claims.push(ref("B"));
    const got = await ports.ledger.findBatch("b1");
    if (!got) throw new Error("batch b1 not stored");
    expect(got.claims).toEqual([ref("A")]);
    (got.claims as { claim_number: string; version: number }[]).push(ref("C"));
    expect((await ports.ledger.findBatch("b1"))?.claims).toEqual([ref("A")]);
  });
});
