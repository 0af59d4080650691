// Importing acknowledgements on a real replica set: batches reserved and written through the
// real ledger with 837s claimflow rendered, then TA1 / 999 / 277CA answers for them (and for
// things we never sent) imported, matched and recorded exactly; twice changes nothing; no name
// is ever stored.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BSON, type Db, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AckImportDeps,
  importAckBytes,
  importAckPaths,
  sha256Hex,
} from "../../src/app/services/ack-import.js";
import { render837 } from "../../src/edi/render.js";
import { COLLECTIONS } from "../../src/mongo/collections.js";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { MongoAckStore } from "../../src/mongo/mongo-ack-store.js";
import { MongoLedger } from "../../src/mongo/mongo-ledger.js";
import type { ClaimAckRow, UnmatchedAckRow } from "../../src/ports/acknowledgements.js";
import { plainContentCodec } from "../../src/ports/content-codec.js";
import type { BatchRecord } from "../../src/ports/ledger.js";
import { batchOf, claimDoc, joined, lineDoc } from "../edi/builders.js";
import { ack277For, ack999For, readSent, ta1For } from "../support/ack-builders.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";

const mongo: TestMongo | undefined = await startTestMongo();
const NOW = new Date("2026-03-15T12:00:00Z");

describe.skipIf(!mongo)("acknowledgement import on a replica set", () => {
  let client: MongoClient;
  let db: Db;
  let ledger: MongoLedger;
  let store: MongoAckStore;
  let deps: AckImportDeps;
  let scratch: string;

  /** Renders, reserves and writes one batch of our claims; returns its 837. */
  async function sendBatch(
    batchId: string,
    controlNumber: number,
    claims: { claimNumber: string; version?: number; charge?: string; serviceDate?: string }[],
  ): Promise<string> {
    const joinedClaims = claims.map((c) =>
      joined({
        claim: claimDoc({
          claim_number: c.claimNumber,
          version: c.version ?? 1,
          total_charge: c.charge ?? "100.00",
          ...(c.serviceDate ? { service_date: c.serviceDate } : {}),
          lines: [lineDoc({ charge: c.charge ?? "100.00" })],
        }),
      }),
    );
    const content = render837(batchOf(joinedClaims, { controlNumber, batchId }));
    const record: BatchRecord = {
      batchId,
      state: "reserved",
      streamName: "claim_detail",
      groupId: "G1",
      clientId: "CLIENT001",
      senderId: "SUNRISE",
      isaControlNumber: controlNumber,
      gsControlNumber: controlNumber,
      path: `G1/20260314/CLIENT001-${controlNumber}.837`,
      content,
      sha256: sha256Hex(new TextEncoder().encode(content)),
      claims: claims.map((c) => ({ claim_number: c.claimNumber, version: c.version ?? 1 })),
      claimCount: claims.length,
      createdAt: NOW,
    };
    await ledger.reserve(record);
    await ledger.markWritten(batchId, new Date(NOW.getTime() - 3 * 3_600_000));
    return content;
  }

  const enc = (s: string) => new TextEncoder().encode(s);

  beforeAll(async () => {
    if (!mongo) return;
    client = await MongoClient.connect(mongo.uri);
    db = client.db(mongo.dbName("acks"));
    await ensureIndexes(db, { includeInputCollections: true });
    ledger = new MongoLedger(client, db, plainContentCodec);
    store = new MongoAckStore(db);
    deps = { store, ledger, clock: { now: () => NOW }, writeBack: true, maxBytes: 1024 * 1024 };
    scratch = await mkdtemp(join(tmpdir(), "claimflow-acks-"));
  });

  afterAll(async () => {
    await client?.close();
    await mongo?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("records a TA1 and a 999 against the batch they answer; importing twice changes nothing", async () => {
    const sent = readSent(await sendBatch("b-ta1", 101, [{ claimNumber: "TA-1" }]));
    const ta1 = await importAckBytes(deps, enc(ta1For(sent)), "in/ack.ta1");
    expect(ta1).toMatchObject({ status: "imported", kinds: ["TA1"], recorded: 1, unmatched: 0 });
    const ak = await importAckBytes(
      deps,
      enc(ack999For(sent, { code: "E", errors: [["NM1", 12, "2010BA", "8"]] })),
      "a.999",
    );
    expect(ak.rows[0]).toMatchObject({
      row: "batch",
      kind: "999",
      batchId: "b-ta1",
      result: "accepted_with_errors",
    });
    // The same bytes again (under another name): recognised by sha256, nothing new written.
    const bytes = enc(ta1For(sent, "R", "024"));
    await importAckBytes(deps, bytes, "first.ta1");
    const count = await db.collection(COLLECTIONS.acknowledgements).countDocuments();
    const dup = await importAckBytes(deps, bytes, "second.ta1");
    expect(dup).toMatchObject({ status: "duplicate", kinds: ["TA1"], recorded: 1 });
    expect(await db.collection(COLLECTIONS.acknowledgements).countDocuments()).toBe(count);
    const rows = await store.forBatch("b-ta1");
    expect(rows.map((r) => [r.kind, r.result, r.noteCode ?? null]).sort()).toEqual([
      ["999", "accepted_with_errors", null],
      ["TA1", "accepted", "000"],
      ["TA1", "rejected", "024"],
    ]);
    expect(rows.find((r) => r.result === "accepted_with_errors")?.segmentErrors).toEqual([
      {
        segmentId: "NM1",
        position: 12,
        loop: "2010BA",
        code: "8",
        elementErrors: [{ position: "2", reference: "", code: "7" }],
      },
    ]);
  });

  it("records unknown control numbers and another sender's batch as unmatched, with why", async () => {
    const sent = readSent(await sendBatch("b-unk", 202, [{ claimNumber: "UNK-1" }]));
    const unknown = await importAckBytes(deps, enc(ta1For({ ...sent, isa13: "000009999" })), "u1");
    expect(unknown.rows).toEqual([
      expect.objectContaining({
        row: "unmatched",
        reason: "unknown_control_number",
        controlNumber: "9999",
        kind: "TA1",
      }),
    ]);
    const otherSender = await importAckBytes(
      deps,
      enc(ack999For({ ...sent, senderId: "SOMEONEELSE" })),
      "u2",
    );
    expect(otherSender.rows[0]).toMatchObject({ row: "unmatched", reason: "sender_mismatch", kind: "999" });
    const otherSet = await importAckBytes(deps, enc(ack999For(sent, { code: "A", st02: "0002" })), "u3");
    expect(otherSet.rows[0]).toMatchObject({ row: "unmatched", reason: "unknown_transaction_set" });
  });

  it("records mixed 277CA outcomes per claim version, a claim never sent as unmatched, and writes back", async () => {
    await db.collection(COLLECTIONS.claims).insertMany([
      { claim_number: "MIX-A", version: 1, status: "billed" },
      { claim_number: "MIX-B", status: "billed" },
    ]);
    const sent = readSent(
      await sendBatch("b-mix", 303, [
        { claimNumber: "MIX-A" },
        { claimNumber: "MIX-B" },
        { claimNumber: "MIX-C" },
      ]),
    );
    const file = await importAckBytes(
      deps,
      enc(
        ack277For(sent, [
          {
            claimNumber: "MIX-A",
            stc: "A2:20:PR",
            amount: "100.00",
            payerClaimControlNumber: "PCN-MIX-A",
            trace: "T1",
          },
          {
            claimNumber: "MIX-B",
            stc: "A7:562:85",
            amount: "100.00",
            patientName: ["ZZYZXOVA", "QUILLBERTA"],
          },
          { claimNumber: "MIX-C", stc: "A1:19:PR" },
          { claimNumber: "NEVER-SENT-9", stc: "A3:21:77" },
        ]),
      ),
      "mixed.277",
    );
    expect(file).toMatchObject({ recorded: 3, unmatched: 1, rejected: 2 });
    const a = (await store.forClaim("MIX-A"))[0] as ClaimAckRow;
    expect(a).toMatchObject({
      version: 1,
      batchId: "b-mix",
      result: "accepted",
      payerClaimControlNumber: "PCN-MIX-A",
      clearinghouseTraceNumber: "T1",
      amountCents: 10000,
      statusCodes: [{ category: "A2", status: "20", entity: "PR" }],
    });
    expect((await store.forClaim("MIX-B"))[0]).toMatchObject({
      result: "rejected",
      statusCodes: [{ category: "A7", status: "562", entity: "85" }],
    });
    expect((await store.forClaim("MIX-C"))[0]).toMatchObject({ result: "pended" });
    const never = file.rows.find((r) => r.row === "unmatched") as UnmatchedAckRow;
    expect(never).toMatchObject({
      reason: "claim_never_sent",
      claimNumber: "NEVER-SENT-9",
      result: "rejected",
    });
    expect(await store.payerClaimControlNumber("MIX-A")).toBe("PCN-MIX-A");
    expect(await store.payerClaimControlNumber("MIX-B")).toBeUndefined();
    // Write-back: a small `edi` sub-document, on version 1 even when upstream left `version` out.
    const docA = await db.collection(COLLECTIONS.claims).findOne({ claim_number: "MIX-A" });
    expect(docA?.edi).toEqual({
      status: "accepted",
      version: 1,
      status_codes: [{ category: "A2", status: "20", entity: "PR" }],
      payer_claim_control_number: "PCN-MIX-A",
      at: NOW,
    });
    expect((await db.collection(COLLECTIONS.claims).findOne({ claim_number: "MIX-B" }))?.edi?.status).toBe(
      "rejected",
    );
    // Names in the 277CA are nowhere in the database.
    for (const name of ["acknowledgements", "claim_detail"]) {
      const raw = (await db.collection(name).find({}).toArray())
        .map((d) => Buffer.from(BSON.serialize(d)).toString("latin1"))
        .join("");
      expect(raw).not.toMatch(/ZZYZXOVA|QUILLBERTA|JANE|M123456789/);
    }
  });

  it("matches the newest emitted version, unless the 277CA's amount says it answers an older one", async () => {
    await sendBatch("b-v1", 401, [{ claimNumber: "VER-1", version: 1, charge: "100.00" }]);
    const v2 = readSent(
      await sendBatch("b-v2", 402, [{ claimNumber: "VER-1", version: 2, charge: "250.00" }]),
    );
    const newest = await importAckBytes(
      deps,
      enc(ack277For(v2, [{ claimNumber: "VER-1", stc: "A2:20:PR", amount: "250.00" }])),
      "n",
    );
    expect(newest.rows[0]).toMatchObject({ version: 2, batchId: "b-v2" });
    const older = await importAckBytes(
      deps,
      enc(ack277For(v2, [{ claimNumber: "VER-1", stc: "A3:21:PR", amount: "100" }])),
      "o",
    );
    expect(older.rows[0]).toMatchObject({ version: 1, batchId: "b-v1" });
    const none = await importAckBytes(
      deps,
      enc(ack277For(v2, [{ claimNumber: "VER-1", stc: "A2:20:PR", amount: "7.00" }])),
      "z",
    );
    expect(none.rows[0]).toMatchObject({ version: 2, factsDisagree: true });
    // A version reserved but never written is not emitted: not a match.
    const content = render837(
      batchOf([joined({ claim: claimDoc({ claim_number: "RES-ONLY" }) })], { controlNumber: 403 }),
    );
    await ledger.reserve({
      batchId: "b-res",
      state: "reserved",
      streamName: "claim_detail",
      groupId: "G1",
      clientId: "CLIENT001",
      senderId: "SUNRISE",
      isaControlNumber: 403,
      gsControlNumber: 403,
      path: "G1/x-403.837",
      content,
      sha256: sha256Hex(new TextEncoder().encode(content)),
      claims: [{ claim_number: "RES-ONLY", version: 1 }],
      claimCount: 1,
      createdAt: NOW,
    });
    const res = await importAckBytes(
      deps,
      enc(ack277For(readSent(content), [{ claimNumber: "RES-ONLY", stc: "A2:20" }])),
      "r",
    );
    expect(res.rows[0]).toMatchObject({ row: "unmatched", reason: "claim_never_sent" });
  });

  it("matches a 277CA answering 1,200 claims of two files (chunked lookups, one parse per file)", async () => {
    const numbers = Array.from({ length: 1200 }, (_, i) => `BIG-${String(i).padStart(5, "0")}`);
    const first = readSent(
      await sendBatch(
        "b-big1",
        701,
        numbers.slice(0, 600).map((claimNumber) => ({ claimNumber })),
      ),
    );
    const second = readSent(
      await sendBatch(
        "b-big2",
        702,
        numbers.slice(600).map((claimNumber) => ({ claimNumber })),
      ),
    );
    const answers = [...first.claims, ...second.claims].map((c) => ({
      claimNumber: c.claimNumber,
      stc: "A2:20:PR",
      amount: c.amount,
      payerClaimControlNumber: `P${c.claimNumber}`,
    }));
    const file = await importAckBytes(deps, enc(ack277For(first, answers)), "big.277");
    expect(file).toMatchObject({ recorded: 1200, unmatched: 0, rejected: 0 });
    const rows = file.rows.filter((r) => r.row === "claim") as ClaimAckRow[];
    expect(rows.filter((r) => r.factsDisagree)).toEqual([]);
    expect(new Set(rows.slice(0, 600).map((r) => r.batchId))).toEqual(new Set(["b-big1"]));
    expect(new Set(rows.slice(600).map((r) => r.batchId))).toEqual(new Set(["b-big2"]));
  });

  it("counts written batches still waiting for a 999", async () => {
    const cut = new Date(NOW.getTime() + 3_600_000);
    const floor = new Date(NOW.getTime() - 86_400_000);
    const waitingBefore = await store.countAwaiting999(cut, floor);
    const sent = readSent(await sendBatch("b-wait", 501, [{ claimNumber: "WAIT-1" }]));
    expect(await store.countAwaiting999(cut, floor)).toBe(waitingBefore + 1);
    // Outside the window (created before the floor): not counted.
    expect(await store.countAwaiting999(cut, new Date(NOW.getTime() + 1))).toBe(0);
    await importAckBytes(deps, enc(ack999For(sent)), "w");
    expect(await store.countAwaiting999(cut, floor)).toBe(waitingBefore);
  });

  it("imports a directory: good files to processed/, bad ones to failed/ with one line each, the rest go on", async () => {
    const dir = join(scratch, "inbound");
    await mkdir(dir, { recursive: true });
    const ours = await sendBatch("b-dir", 601, [{ claimNumber: "DIR-1" }]);
    const sent = readSent(ours);
    await writeFile(join(dir, "a.999"), ack999For(sent));
    await writeFile(join(dir, "b.837"), ours); // an 837, not an acknowledgement
    await writeFile(join(dir, "c.277"), ack277For(sent, [{ claimNumber: "DIR-1", stc: "A2:20:PR" }]));
    await writeFile(join(dir, "d.bin"), Buffer.from([0x49, 0x53, 0x41, 0, 0, 1]));
    await writeFile(join(dir, ".partial"), "ISA");
    await writeFile(join(dir, "e.big"), `ISA*${"x".repeat(2 * 1024 * 1024)}`);
    const out = await importAckPaths(deps, [dir]);
    expect(out.map((o) => [o.path.slice(dir.length + 1), o.ok])).toEqual([
      ["a.999", true],
      ["b.837", false],
      ["c.277", true],
      ["d.bin", false],
      ["e.big", false],
    ]);
    const failed = out.filter((o) => !o.ok) as { error: string }[];
    expect(failed.map((f) => f.error)).toEqual([
      "segment 3: transaction set 837 is not a 999 or 277CA (not_an_acknowledgement)",
      "the file holds NUL bytes (not_x12)",
      expect.stringMatching(/^the file has \d+ bytes, more than EDI_ACK_MAX_FILE_MB allows/),
    ]);
    expect((await readdir(join(dir, "processed"))).sort()).toEqual(["a.999", "c.277"]);
    expect((await readdir(join(dir, "failed"))).sort()).toEqual(["b.837", "d.bin", "e.big"]);
    expect((await readdir(dir)).sort()).toEqual([".partial", "failed", "processed"]);
    // The same file dropped again: recognised by its bytes, moved, nothing recorded twice.
    const count = await db.collection(COLLECTIONS.acknowledgements).countDocuments();
    await writeFile(join(dir, "a-again.999"), await readFile(join(dir, "processed", "a.999")));
    const again = await importAckPaths(deps, [dir]);
    expect(again).toEqual([
      expect.objectContaining({ ok: true, file: expect.objectContaining({ status: "duplicate" }) }),
    ]);
    expect(await db.collection(COLLECTIONS.acknowledgements).countDocuments()).toBe(count);
    // Imported again from where it lies (processed/, failed/): it stays there, never deeper.
    const fromProcessed = await importAckPaths(deps, [join(dir, "processed", "a.999")]);
    expect(fromProcessed).toEqual([
      expect.objectContaining({
        ok: true,
        movedTo: join(dir, "processed", "a.999"),
        file: expect.objectContaining({ status: "duplicate" }),
      }),
    ]);
    const fromFailed = await importAckPaths(deps, [join(dir, "failed", "b.837")]);
    expect(fromFailed).toEqual([
      expect.objectContaining({ ok: false, movedTo: join(dir, "failed", "b.837") }),
    ]);
    expect((await readdir(join(dir, "processed"))).sort()).toEqual(["a-again.999", "a.999", "c.277"]);
    expect((await readdir(join(dir, "failed"))).sort()).toEqual(["b.837", "d.bin", "e.big"]);
  });
});
