// The port contracts (ledger, file sink, claim store) as one suite, run against the MongoDB and
// the in-memory implementations, so the twins the fast tests rely on cannot drift from the
// real thing.
import { beforeEach, describe, expect, it } from "vitest";
import type { ClaimSlice, ClaimStore } from "../../src/ports/claim-store.js";
import { FileConflictError, type FileSink } from "../../src/ports/file-sink.js";
import {
  type BatchConflictError,
  BatchNotFoundError,
  BatchNotReissuableError,
  DuplicateClaimsError,
  type Ledger,
  MARK_LEAD_SECONDS,
} from "../../src/ports/ledger.js";
import { contractBatch } from "./builders.js";

export interface ContractWorld {
  readonly ledger: Ledger;
  readonly claims: ClaimStore;
  readonly sink: FileSink;
  /** Inserts claim_detail documents. */
  seedClaims(docs: Record<string, unknown>[]): Promise<void>;
}

const ref = (n: string, v = 1) => ({ claim_number: n, version: v });
const sortRefs = (r: { claim_number: string; version: number }[]) =>
  [...r].sort((a, b) => (a.claim_number + a.version < b.claim_number + b.version ? -1 : 1));

const batch = contractBatch;

export function portContracts(name: string, make: () => Promise<ContractWorld>): void {
  describe(`${name}: ledger contract`, () => {
    let w: ContractWorld;
    beforeEach(async () => {
      w = await make();
    });

    it("emitted means in a written batch; reserved rows collide but are not emitted", async () => {
      await w.ledger.reserve(batch("b1", [ref("A"), ref("B")], 1));
      expect(await w.ledger.findEmitted([ref("A"), ref("B"), ref("C")])).toEqual([]);
      const err = await w.ledger
        .reserve(batch("b2", [ref("B"), ref("C"), ref("D")], 2))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DuplicateClaimsError);
      expect((err as DuplicateClaimsError).duplicates).toEqual([ref("B")]);
      // Nothing of the refused batch landed: C is still free.
      await w.ledger.reserve(batch("b3", [ref("C")], 3));
      await w.ledger.markWritten("b1", new Date(1_700_000_500_000));
      await w.ledger.markWritten("b1", new Date(1_700_000_600_000));
      expect(sortRefs(await w.ledger.findEmitted([ref("A"), ref("B"), ref("C"), ref("A", 2)]))).toEqual([
        ref("A"),
        ref("B"),
      ]);
      const b1 = await w.ledger.findBatch("b1");
      expect(b1?.state).toBe("written");
      expect(b1?.writtenAt).toEqual(new Date(1_700_000_500_000));
      await expect(w.ledger.markWritten("nope", new Date())).rejects.toBeInstanceOf(BatchNotFoundError);
    });

    it("a retry of the same reservation is a no-op; other batch conflicts are typed", async () => {
      await w.ledger.reserve(batch("b1", [ref("A")], 1));
      await w.ledger.reserve(batch("b1", [ref("A")], 1));
      const sameId = await w.ledger.reserve(batch("b1", [ref("Z")], 9)).catch((e: unknown) => e);
      expect((sameId as BatchConflictError).conflict).toBe("batch_id");
      const sameIsa = await w.ledger.reserve(batch("b2", [ref("Y")], 1)).catch((e: unknown) => e);
      expect((sameIsa as BatchConflictError).conflict).toBe("control_number");
      // The same ISA13 under another sender key is another interchange.
      await w.ledger.reserve(batch("b3", [ref("Y")], 1, { senderId: "ZZ:OTHER          " }));
      const twice = await w.ledger.reserve(batch("b4", [ref("X"), ref("X")], 4)).catch((e: unknown) => e);
      expect((twice as BatchConflictError).conflict).toBe("repeated_claim");
    });

    it("reports superseded versions, whatever the newer version's state", async () => {
      await w.ledger.reserve(batch("b1", [ref("A", 3), ref("B", 1)], 1));
      const h = await w.ledger.lookupHistory([
        ref("A", 2),
        ref("A", 3),
        ref("A", 4),
        ref("B", 1),
        ref("C", 1),
      ]);
      expect(h.superseded).toEqual([ref("A", 2)]);
      expect(h.emitted).toEqual([]);
      await w.ledger.markWritten("b1", new Date());
      expect(sortRefs((await w.ledger.lookupHistory([ref("A", 3), ref("B", 1)])).emitted)).toEqual([
        ref("A", 3),
        ref("B", 1),
      ]);
    });

    it("finds reserved batches by stream and age, and the oldest one", async () => {
      expect(await w.ledger.oldestReserved()).toBeNull();
      await w.ledger.reserve(batch("old", [ref("A")], 1, { streamName: "s2" }));
      await w.ledger.reserve(batch("new", [ref("B")], 5));
      await w.ledger.reserve(batch("done", [ref("C")], 6));
      await w.ledger.markWritten("done", new Date());
      expect((await w.ledger.findReserved()).map((b) => b.batchId)).toEqual(["old", "new"]);
      expect((await w.ledger.findReserved("s1")).map((b) => b.batchId)).toEqual(["new"]);
      expect(
        (await w.ledger.findReserved(undefined, new Date(1_700_000_003_000))).map((b) => b.batchId),
      ).toEqual(["old"]);
      expect(await w.ledger.oldestReserved()).toEqual(new Date(1_700_000_001_000));
      expect(await w.ledger.countReserved()).toBe(2);
      const back = await w.ledger.findBatch("new");
      expect(back?.content).toBe("content new");
      expect(back?.claims).toEqual([ref("B")]);
    });

    it("group commit: reserves every batch of a group, and exactly the conflicting ones are refused", async () => {
      expect(
        await w.ledger.reserveMany([batch("g1", [ref("A")], 1), batch("g2", [ref("B"), ref("C")], 2)]),
      ).toEqual([undefined, undefined]);
      // A retry of the whole group after a lost reply: every batch is already in, no conflict.
      expect(
        await w.ledger.reserveMany([batch("g1", [ref("A")], 1), batch("g2", [ref("B"), ref("C")], 2)]),
      ).toEqual([undefined, undefined]);
      const out = await w.ledger.reserveMany([
        batch("g3", [ref("D")], 3),
        batch("g4", [ref("C"), ref("E")], 4),
        batch("g5", [ref("F")], 1),
        batch("g6", [ref("D"), ref("G")], 6),
      ]);
      expect(out[0]).toBeUndefined();
      expect((out[1] as DuplicateClaimsError).duplicates).toEqual([ref("C")]);
      expect((out[2] as BatchConflictError).conflict).toBe("control_number");
      // Two batches of one group listing one version: the second is the duplicate.
      expect((out[3] as DuplicateClaimsError).duplicates).toEqual([ref("D")]);
      expect((await w.ledger.findReserved()).map((b) => b.batchId).sort((a, b) => (a < b ? -1 : 1))).toEqual([
        "g1",
        "g2",
        "g3",
      ]);
      await w.ledger.markWrittenMany(["g1", "g3"], new Date(1_700_000_900_000));
      await w.ledger.markWrittenMany(["g1", "g3"], new Date(1_700_000_950_000));
      expect(sortRefs(await w.ledger.findEmitted([ref("A"), ref("B"), ref("D")]))).toEqual([
        ref("A"),
        ref("D"),
      ]);
      expect((await w.ledger.findBatch("g3"))?.writtenAt).toEqual(new Date(1_700_000_900_000));
      await expect(w.ledger.markWrittenMany(["g2", "nope"], new Date())).rejects.toBeInstanceOf(
        BatchNotFoundError,
      );
    });

    it("reservedThrough: raised before a reservation to cover its newest event (plus the lead), never lowered", async () => {
      const lead = MARK_LEAD_SECONDS;
      expect(await w.ledger.reservedThrough("s1")).toBeNull();
      await w.ledger.reserve(batch("m1", [ref("A")], 1, { eventsThrough: { t: 100, i: 2 } }));
      expect(await w.ledger.reservedThrough("s1")).toEqual({ t: 100 + lead, i: 2 });
      // Events the mark already covers write nothing: a group inside the lead leaves it as it is.
      await w.ledger.reserveMany([
        batch("m2", [ref("B")], 2, { eventsThrough: { t: 90, i: 9 } }),
        batch("m3", [ref("C")], 3, { eventsThrough: { t: 100 + lead, i: 1 } }),
      ]);
      expect(await w.ledger.reservedThrough("s1")).toEqual({ t: 100 + lead, i: 2 });
      await w.ledger.reserve(batch("m4", [ref("D")], 4, { eventsThrough: { t: 99, i: 0 } }));
      await w.ledger.reserve(batch("m5", [ref("E")], 5));
      expect(await w.ledger.reservedThrough("s1")).toEqual({ t: 100 + lead, i: 2 });
      // Past it: raised again, ahead of the newest event.
      await w.ledger.reserve(batch("m8", [ref("G")], 8, { eventsThrough: { t: 100 + lead, i: 3 } }));
      expect(await w.ledger.reservedThrough("s1")).toEqual({ t: 100 + 2 * lead, i: 3 });
      // A refused reservation raised it too (it is raised first): ahead is the safe side.
      await expect(
        w.ledger.reserve(batch("m6", [ref("A")], 6, { eventsThrough: { t: 500, i: 0 } })),
      ).rejects.toBeInstanceOf(DuplicateClaimsError);
      const after = { t: 500 + lead, i: 0 };
      expect(await w.ledger.reservedThrough("s1")).toEqual(after);
      // Each stream has its own mark.
      await w.ledger.reserve(
        batch("m7", [ref("F")], 7, { streamName: "s2", eventsThrough: { t: 700, i: 1 } }),
      );
      expect(await w.ledger.reservedThrough("s1")).toEqual(after);
      expect(await w.ledger.reservedThrough("s2")).toEqual({ t: 700 + lead, i: 1 });
      expect(await w.ledger.reservedThrough("s3")).toBeNull();
    });

    it("reissue: superseded old batch, reserved new one, history repointed; refusals are typed", async () => {
      const at = new Date(1_700_000_900_000);
      await w.ledger.reserve(batch("b1", [ref("A"), ref("B")], 1));
      const again = batch("b2", [ref("A"), ref("B")], 2, { content: "reissued" });
      // Still reserved: its file may not exist yet.
      const reserved = await w.ledger.reissue("b1", again, at).catch((e: unknown) => e);
      expect(reserved).toBeInstanceOf(BatchNotReissuableError);
      expect((reserved as BatchNotReissuableError).state).toBe("reserved");
      await expect(w.ledger.reissue("nope", again, at)).rejects.toBeInstanceOf(BatchNotFoundError);
      await w.ledger.markWritten("b1", new Date(1_700_000_500_000));
      // Another set of claims is a caller's bug, refused before anything changes.
      await expect(w.ledger.reissue("b1", batch("b2", [ref("A")], 2), at)).rejects.toThrow(/exactly its 2/);
      // Its control number is taken (by b1 itself): typed, and nothing changed.
      const usedIsa = await w.ledger
        .reissue("b1", batch("b2", [ref("A"), ref("B")], 1), at)
        .catch((e: unknown) => e);
      expect((usedIsa as BatchConflictError).conflict).toBe("control_number");
      expect((await w.ledger.findBatch("b1"))?.state).toBe("written");

      await w.ledger.reissue("b1", again, at);
      const old = await w.ledger.findBatch("b1");
      expect(old).toMatchObject({ state: "superseded", supersededBy: "b2", supersededAt: at });
      const next = await w.ledger.findBatch("b2");
      expect(next).toMatchObject({ state: "reserved", reissueOf: "b1", content: "reissued", claimCount: 2 });
      // The claims now belong to b2, which is not written yet: not emitted until it is.
      expect(await w.ledger.findEmitted([ref("A"), ref("B")])).toEqual([]);
      expect((await w.ledger.findReserved()).map((b) => b.batchId)).toEqual(["b2"]);
      // A retry after a lost reply is a no-op; a second, different reissue is refused.
      await w.ledger.reissue("b1", again, at);
      const twice = await w.ledger
        .reissue("b1", batch("b3", [ref("A"), ref("B")], 3), at)
        .catch((e: unknown) => e);
      expect(twice).toMatchObject({ state: "superseded", supersededBy: "b2" });
      expect(twice).toBeInstanceOf(BatchNotReissuableError);
      await w.ledger.markWritten("b2", at);
      expect(sortRefs(await w.ledger.findEmitted([ref("A"), ref("B")]))).toEqual([ref("A"), ref("B")]);
      // A claim of a reissued batch is still one version in one batch: reserving it again collides.
      await expect(w.ledger.reserve(batch("b4", [ref("A")], 4))).rejects.toBeInstanceOf(DuplicateClaimsError);
      // The reissue can itself be reissued.
      await w.ledger.reissue("b2", batch("b5", [ref("B"), ref("A")], 5), at);
      expect((await w.ledger.findBatch("b2"))?.state).toBe("superseded");
    });

    it("counts control numbers per sender key, never repeating one", async () => {
      const a = [
        await w.ledger.nextControlNumber("ZZ:A              "),
        await w.ledger.nextControlNumber("ZZ:A              "),
      ];
      const b = await w.ledger.nextControlNumber("ZZ:B              ");
      expect(a[1]).toBeGreaterThan(a[0] as number);
      expect(b).toBe(1);
    });
  });

  describe(`${name}: claim store contract`, () => {
    let w: ContractWorld;
    beforeEach(async () => {
      w = await make();
    });
    const doc = (n: string, status: string, version = 1, group = "GRP_001") => ({
      claim_number: n,
      version,
      status,
      group_id: group,
      client_id: "CLIENT001",
    });

    it("scans ready claims in pages with the group filter, and bills only the exact version", async () => {
      await w.seedClaims([
        doc("A", "ready"),
        doc("B", "draft"),
        doc("C", "ready", 2),
        doc("D", "ready", 1, "GRP_002"),
      ]);
      const seen: string[] = [];
      let after: unknown;
      do {
        const page = await w.claims.scanReady({ groupFilter: "^GRP_001$" }, after, 1);
        seen.push(...page.docs.map((d) => d.claim_number as string));
        after = page.next;
      } while (after !== undefined);
      expect(seen.sort()).toEqual(["A", "C"]);
      expect(await w.claims.countReady({ groupFilter: "^GRP_001$" })).toBe(2);
      expect(await w.claims.countReady({})).toBe(3);
      expect(await w.claims.markBilled([ref("A"), ref("C", 1)])).toBe(1);
      expect((await w.claims.findByClaimNumber("A"))?.status).toBe("billed");
      expect((await w.claims.findByClaimNumber("C"))?.status).toBe("ready");
      expect(await w.claims.findByClaimNumber("nope")).toBeNull();
    });

    it("bills a group of many claims in one mark: each at its exact version, nothing else", async () => {
      // Enough claims for the MongoDB store's one-transaction path (TRANSACTION_FROM).
      const ready = Array.from({ length: 12 }, (_, i) => doc(`M${i}`, "ready", i < 6 ? 1 : 2));
      const noVersion = { claim_number: "NV", status: "ready", group_id: "GRP_001", client_id: "CLIENT001" };
      await w.seedClaims([...ready, noVersion, doc("DR", "draft")]);
      const refs = [
        ...ready.map((d, i) => ref(d.claim_number, i < 10 ? d.version : 1)),
        ref("NV", 1),
        ref("DR", 1),
        ref("GONE", 1),
      ];
      // M10 and M11 are at version 2: their version-1 refs must leave them ready; the draft and
      // the unknown claim change nothing.
      expect(await w.claims.markBilled(refs)).toBe(11);
      for (let i = 0; i < 12; i++)
        expect((await w.claims.findByClaimNumber(`M${i}`))?.status).toBe(i < 10 ? "billed" : "ready");
      expect((await w.claims.findByClaimNumber("NV"))?.status).toBe("billed");
      expect((await w.claims.findByClaimNumber("DR"))?.status).toBe("draft");
      // Marking again changes nothing.
      expect(await w.claims.markBilled(refs)).toBe(0);
    });

    it("narrows a scan and a count to a backfill slice: group, client, billing_date in [since, until)", async () => {
      const day = (d: number) => new Date(Date.UTC(2026, 2, d, 12));
      const dated = (n: string, d: number | null, extra: Record<string, unknown> = {}) => ({
        ...doc(n, "ready"),
        ...(d === null ? {} : { billing_date: day(d) }),
        ...extra,
      });
      await w.seedClaims([
        dated("S1", 1),
        dated("S2", 5),
        dated("S3", 9, { client_id: "CLIENT002" }),
        dated("EDGE", 10),
        dated("EARLY", 1, { billing_date: new Date(Date.UTC(2026, 2, 1, 11, 59)) }),
        dated("NODATE", null),
        dated("DRAFT", 2, { status: "draft" }),
        dated("OTHER", 2, { group_id: "GRP_002" }),
      ]);
      const slice = { group: "GRP_001", since: day(1), until: day(10) };
      const scanAll = async (filter: { groupFilter?: string }, s: ClaimSlice) => {
        const seen: string[] = [];
        let after: unknown;
        do {
          const page = await w.claims.scanReady(filter, after, 2, s);
          seen.push(...page.docs.map((d) => d.claim_number as string));
          after = page.next;
        } while (after !== undefined);
        return seen.sort();
      };
      expect(await scanAll({}, slice)).toEqual(["S1", "S2", "S3"]);
      expect(await w.claims.countReady({}, slice)).toBe(3);
      expect(await scanAll({}, { ...slice, client: "CLIENT002" })).toEqual(["S3"]);
      expect(await w.claims.countReady({}, { ...slice, client: "CLIENT002" })).toBe(1);
      // No upper bound: EDGE (March 10 12:00) is in.
      const open = { group: "GRP_001", since: day(1) };
      expect(await scanAll({}, open)).toEqual(["EDGE", "S1", "S2", "S3"]);
      expect(await w.claims.countReady({}, open)).toBe(4);
      // The stream's group filter still applies: a slice never widens it.
      expect(await w.claims.countReady({ groupFilter: "^GRP_002$" }, slice)).toBe(0);
      expect(await scanAll({ groupFilter: "^GRP_00" }, slice)).toEqual(["S1", "S2", "S3"]);
    });
  });
}

/** The sink contract, for sinks whose files can be planted (the file-system one and the twin). */
export function sinkContract(name: string, make: () => Promise<FileSink>): void {
  describe(`${name}: file sink contract`, () => {
    it("writes atomically, accepts the same content again, never replaces different content", async () => {
      const sink = await make();
      await sink.write("G/20250101/C-ZZ_S-000000001.837", "ISA*1~");
      await sink.write("G/20250101/C-ZZ_S-000000001.837", "ISA*1~");
      await expect(sink.write("G/20250101/C-ZZ_S-000000001.837", "ISA*2~")).rejects.toBeInstanceOf(
        FileConflictError,
      );
      expect(await sink.read("G/20250101/C-ZZ_S-000000001.837")).toBe("ISA*1~");
      expect(await sink.read("G/20250101/missing.837")).toBeNull();
      await expect(sink.write("../escape.837", "x")).rejects.toThrow();
      expect(await sink.removeStaleTemps()).toBe(0);
    });

    it("writeMany writes every file and reports exactly the failing one", async () => {
      const sink = await make();
      await sink.write("G/20250101/C-ZZ_S-000000009.837", "ISA*9~");
      const out = await sink.writeMany([
        { path: "G/20250101/C-ZZ_S-000000010.837", content: "ISA*10~" },
        { path: "G/20250101/C-ZZ_S-000000009.837", content: "ISA*other~" },
        { path: "H/20250101/C-ZZ_S-000000011.837", content: "ISA*11~" },
      ]);
      expect(out[0]).toBeUndefined();
      expect(out[1]).toBeInstanceOf(FileConflictError);
      expect(out[2]).toBeUndefined();
      expect(await sink.read("G/20250101/C-ZZ_S-000000010.837")).toBe("ISA*10~");
      expect(await sink.read("G/20250101/C-ZZ_S-000000009.837")).toBe("ISA*9~");
      expect(await sink.read("H/20250101/C-ZZ_S-000000011.837")).toBe("ISA*11~");
    });
  });
}
