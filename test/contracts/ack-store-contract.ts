// The acknowledgement-store contract, run against MongoDB (mongo-ack-store-contract.test.ts) and
// the in-memory twin (memory-ack-store-contract.test.ts). What we sent is seeded through the
// Ledger port, so both sides read batches and history the way the processor wrote them.
import { beforeEach, describe, expect, it } from "vitest";
import type {
  AckFileRow,
  AckStore,
  BatchAckRow,
  ClaimAckRow,
  UnmatchedAckRow,
} from "../../src/ports/acknowledgements.js";
import type { BatchRecord, Ledger } from "../../src/ports/ledger.js";
import { CONTRACT_SENDER, contractBatch } from "./builders.js";

export interface AckWorld {
  readonly store: AckStore;
  readonly ledger: Ledger;
  seedClaims(docs: Record<string, unknown>[]): Promise<void>;
  readClaim(claimNumber: string): Promise<Record<string, unknown> | null>;
}

const T = (s: number) => new Date(Date.UTC(2026, 5, 1, 12, 0, s));
const SENDER = CONTRACT_SENDER;

function batch(id: string, isa: number, claims: [string, number][], createdAt: Date): BatchRecord {
  const refs = claims.map(([claim_number, version]) => ({ claim_number, version }));
  return contractBatch(id, refs, isa, { gsControlNumber: isa + 1000, createdAt });
}

function file(sha: string, at: Date): AckFileRow {
  return { sha256: sha, fileName: `${sha}.999`, kinds: ["999"], recorded: 1, unmatched: 0, importedAt: at };
}

function batchRow(id: string, batchId: string, kind: "TA1" | "999", result: BatchAckRow["result"], at: Date) {
  return {
    id,
    row: "batch",
    kind,
    fileSha256: "f1",
    recordedAt: at,
    batchId,
    senderId: SENDER,
    isaControlNumber: 1,
    result,
  } satisfies BatchAckRow;
}

function claimRow(
  id: string,
  claimNumber: string,
  version: number,
  result: ClaimAckRow["result"],
  at: Date,
  extra: Partial<ClaimAckRow> = {},
): ClaimAckRow {
  return {
    id,
    row: "claim",
    kind: "277CA",
    fileSha256: "f2",
    recordedAt: at,
    claimNumber,
    version,
    batchId: "b1",
    result,
    statusCodes: result === "rejected" ? [{ category: "A7", status: "21", entity: "" }] : [],
    ...extra,
  };
}

const unmatchedRow = (id: string, at: Date): UnmatchedAckRow => ({
  id,
  row: "unmatched",
  kind: "999",
  fileSha256: "f3",
  recordedAt: at,
  reason: "unknown_control_number",
  receiverId: "SENDER1",
  controlNumber: "000000077",
  result: "accepted",
});

export function ackStoreContract(name: string, make: () => Promise<AckWorld>): void {
  describe(`${name}: acknowledgement store contract`, () => {
    let w: AckWorld;
    beforeEach(async () => {
      w = await make();
    });

    async function sent(): Promise<void> {
      await w.ledger.reserve(
        batch(
          "b1",
          1,
          [
            ["A", 1],
            ["B", 1],
          ],
          T(1),
        ),
      );
      await w.ledger.markWritten("b1", T(2));
      await w.ledger.reserve(batch("b2", 2, [["A", 2]], T(3)));
      await w.ledger.markWritten("b2", T(4));
      await w.ledger.reserve(
        batch(
          "b3",
          3,
          [
            ["A", 3],
            ["C", 1],
          ],
          T(5),
        ),
      ); // still reserved
    }

    it("recording is idempotent by row id and by file; the first write of a row is kept", async () => {
      expect(await w.store.findFile("f1")).toBeNull();
      await w.store.record([batchRow("f1:3", "b1", "999", "accepted", T(10))], file("f1", T(10)));
      await w.store.record(
        [batchRow("f1:3", "b1", "999", "rejected", T(20)), batchRow("f1:9", "b2", "999", "rejected", T(20))],
        file("f1", T(20)),
      );
      expect(await w.store.findFile("f1")).toEqual(file("f1", T(10)));
      const rows = await w.store.forBatch("b1");
      expect(rows.map((r) => [r.id, r.result])).toEqual([["f1:3", "accepted"]]);
      expect((await w.store.list({ limit: 10 })).map((r) => r.id)).toEqual(["f1:9", "f1:3"]);
    });

    it("finds our batches by ISA13 or GS06, whatever their state and sender", async () => {
      await sent();
      const isa = await w.store.batchesByControlNumber("isa", 3);
      expect(isa.map((b) => [b.batchId, b.state, b.senderId, b.gsControlNumber])).toEqual([
        ["b3", "reserved", SENDER, 1003],
      ]);
      const gs = await w.store.batchesByControlNumber("gs", 1001);
      expect(gs.map((b) => [b.batchId, b.state, b.writtenAt])).toEqual([["b1", "written", T(2)]]);
      expect(await w.store.batchesByControlNumber("isa", 99)).toEqual([]);
    });

    it("emitted versions are those whose batch is written, newest first", async () => {
      await sent();
      const got = await w.store.emittedVersions(["A", "B", "C", "D", "A"]);
      expect(got.get("A")).toEqual([
        { claimNumber: "A", version: 2, batchId: "b2" },
        { claimNumber: "A", version: 1, batchId: "b1" },
      ]);
      expect(got.get("B")).toEqual([{ claimNumber: "B", version: 1, batchId: "b1" }]);
      expect(got.has("C")).toBe(false);
      expect(got.has("D")).toBe(false);
    });

    it("lists outcome rows newest first, rejected only and since a time, within the limit", async () => {
      await w.store.record(
        [
          batchRow("f1:3", "b1", "999", "accepted", T(10)),
          claimRow("f2:5", "A", 2, "rejected", T(12)),
          unmatchedRow("f3:4", T(14)),
          claimRow("f2:8", "B", 1, "accepted", T(16)),
        ],
        file("f", T(16)),
      );
      const ids = async (f: Parameters<AckStore["list"]>[0]) => (await w.store.list(f)).map((r) => r.id);
      expect(await ids({ limit: 10 })).toEqual(["f2:8", "f3:4", "f2:5", "f1:3"]);
      expect(await ids({ limit: 2 })).toEqual(["f2:8", "f3:4"]);
      expect(await ids({ limit: 10, rejectedOnly: true })).toEqual(["f2:5"]);
      expect(await ids({ limit: 10, since: T(12) })).toEqual(["f2:8", "f3:4", "f2:5"]);
      const [row] = await w.store.list({ limit: 1, since: T(14), rejectedOnly: false });
      expect(row).toEqual(claimRow("f2:8", "B", 1, "accepted", T(16)));
      expect(await w.store.forClaim("A")).toEqual([claimRow("f2:5", "A", 2, "rejected", T(12))]);
      expect(await w.store.forClaim("Z")).toEqual([]);
    });

    it("counts written batches of a time range still waiting for a 999 (a TA1 is not one)", async () => {
      await sent();
      expect(await w.store.countAwaiting999(T(60), T(0))).toBe(2);
      expect(await w.store.countAwaiting999(T(3), T(0))).toBe(1);
      await w.store.record([batchRow("f1:1", "b1", "TA1", "accepted", T(30))], file("f1", T(30)));
      expect(await w.store.countAwaiting999(T(60), T(0))).toBe(2);
      await w.store.record([batchRow("f4:1", "b1", "999", "accepted", T(31))], file("f4", T(31)));
      expect(await w.store.countAwaiting999(T(60), T(0))).toBe(1);
    });

    it("the payer claim control number comes from the newest accepted version that has one", async () => {
      await w.store.record(
        [
          claimRow("f2:1", "A", 1, "accepted", T(10), { payerClaimControlNumber: "PCN-1" }),
          claimRow("f2:2", "A", 2, "accepted", T(11), { payerClaimControlNumber: "PCN-2" }),
          claimRow("f2:3", "A", 3, "rejected", T(12), { payerClaimControlNumber: "PCN-3" }),
          claimRow("f2:4", "A", 4, "accepted", T(13)),
        ],
        file("f2", T(13)),
      );
      expect(await w.store.payerClaimControlNumber("A")).toBe("PCN-2");
      expect(await w.store.payerClaimControlNumber("B")).toBeUndefined();
    });

    it("writes back only onto the version answered (version 1 also when upstream left it out)", async () => {
      await w.seedClaims([
        { claim_number: "A", version: 2, status: "billed" },
        { claim_number: "B", status: "billed" },
      ]);
      const edi = (version: number) => ({
        status: "rejected" as const,
        version,
        statusCodes: [{ category: "A7", status: "21", entity: "" }],
        payerClaimControlNumber: "PCN-9",
        at: T(40),
      });
      const n = await w.store.writeBack([
        { claimNumber: "A", edi: edi(1) },
        { claimNumber: "A", edi: edi(2) },
        { claimNumber: "B", edi: edi(1) },
        { claimNumber: "C", edi: edi(1) },
      ]);
      expect(n).toBe(2);
      expect((await w.readClaim("A"))?.edi).toEqual({
        status: "rejected",
        version: 2,
        status_codes: [{ category: "A7", status: "21", entity: "" }],
        payer_claim_control_number: "PCN-9",
        at: T(40),
      });
      expect((await w.readClaim("B"))?.edi).toMatchObject({ version: 1 });
      expect(await w.store.writeBack([])).toBe(0);
    });

    it("summarises rows by kind and result, rejected claims by category, and unmatched answers", async () => {
      await w.store.record(
        [
          batchRow("f1:1", "b1", "999", "accepted", T(1)),
          batchRow("f1:2", "b2", "999", "accepted", T(1)),
          batchRow("f1:3", "b2", "TA1", "rejected", T(1)),
          claimRow("f2:1", "A", 1, "rejected", T(1)),
          claimRow("f2:2", "B", 1, "rejected", T(1)),
          unmatchedRow("f3:1", T(1)),
        ],
        file("f", T(1)),
      );
      const s = await w.store.summary();
      const byKind = [...s.byKindResult].sort((a, b) =>
        `${a.kind}${a.result}`.localeCompare(`${b.kind}${b.result}`),
      );
      expect(byKind).toEqual([
        { kind: "277CA", result: "rejected", count: 2 },
        { kind: "999", result: "accepted", count: 2 },
        { kind: "TA1", result: "rejected", count: 1 },
      ]);
      expect(s.rejectedByCategory).toEqual([{ category: "A7", count: 2 }]);
      expect(s.unmatched).toBe(1);
    });
  });
}
