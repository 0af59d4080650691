// `claims show|find`, `batches list|show` and bulk `dead-letters retry` through the real binary
// on a replica set. The
// ledger is arranged through the real MongoLedger (reserve, markWritten), dead letters through
// the real store; each command must report exactly what is there, refuse bad input with one
// line and exit 2, and say "not found" with exit 1.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { MongoDeadLetters } from "../../src/mongo/mongo-dead-letters.js";
import { MongoLedger } from "../../src/mongo/mongo-ledger.js";
import { plainContentCodec } from "../../src/ports/content-codec.js";
import type { BatchRecord } from "../../src/ports/ledger.js";
import { claimDoc } from "../edi/builders.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";
import { type CliResult, cli, ensureBuilt, expectUsageError } from "./cli-harness.js";

const mongo: TestMongo | undefined = await startTestMongo();

const DAY1 = new Date("2026-03-14T10:00:00Z");
const DAY2 = new Date("2026-03-15T10:00:00Z");

function batch(
  over: Partial<BatchRecord> & Pick<BatchRecord, "batchId" | "claims" | "isaControlNumber">,
): BatchRecord {
  const groupId = over.groupId ?? "G1";
  const clientId = over.clientId ?? "CLIENT001";
  const createdAt = over.createdAt ?? DAY1;
  const ymd = createdAt.toISOString().slice(0, 10).replace(/-/g, "");
  return {
    state: "reserved",
    streamName: "claim_detail",
    groupId,
    clientId,
    senderId: "SUNRISE",
    gsControlNumber: over.isaControlNumber,
    path: `${groupId}/${ymd}/${clientId}-${String(over.isaControlNumber).padStart(9, "0")}.837`,
    content: "ISA*00~",
    sha256: "0".repeat(64),
    claimCount: over.claims.length,
    createdAt,
    ...over,
  };
}

describe.skipIf(!mongo)("claims and batches queries (real binary)", () => {
  let client: MongoClient;
  let db: Db;
  let env: Record<string, string>;
  let dir: string;

  const run = (args: string[]): Promise<CliResult> => cli(args, env);
  const ok = async (args: string[]): Promise<CliResult> => {
    const r = await run(args);
    if (r.code !== 0 || r.stderr !== "")
      throw new Error(`claimflow ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r;
  };
  const json = async <T>(args: string[]): Promise<T> =>
    JSON.parse((await ok([...args, "--json"])).stdout) as T;
  const notFound = async (args: string[], pattern: RegExp): Promise<void> => {
    const r = await run(args);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  };

  beforeAll(async () => {
    if (!mongo) return;
    await ensureBuilt();
    const dbName = mongo.dbName("ledgerq");
    client = await MongoClient.connect(mongo.uri);
    db = client.db(dbName);
    await ensureIndexes(db, { includeInputCollections: true });
    dir = await mkdtemp(join(tmpdir(), "claimflow-ledgerq-"));
    env = {
      EDI_MONGODB_URI: mongo.uri,
      EDI_DATABASE_NAME: dbName,
      EDI_OUTPUT_DIR: dir,
      EDI_TIMEOUT_MS: "20000",
    };
    const ledger = new MongoLedger(client, db, plainContentCodec);
    // A v1 and B v1 in a written file; A v2 in a batch still reserved; A v3 is current and ready.
    await ledger.reserve(
      batch({
        batchId: "b-one",
        isaControlNumber: 101,
        claims: [
          { claim_number: "CLM-A", version: 1 },
          { claim_number: "CLM-B", version: 1 },
        ],
      }),
    );
    await ledger.markWritten("b-one", new Date("2026-03-14T10:00:05Z"));
    await ledger.reserve(
      batch({
        batchId: "b-two",
        isaControlNumber: 102,
        groupId: "G2",
        clientId: "CLIENT002",
        createdAt: DAY2,
        claims: [{ claim_number: "CLM-A", version: 2 }],
      }),
    );
    await db.collection("claim_detail").insertMany([
      { claim_number: "CLM-A", version: 3, status: "ready", group_id: "G1", client_id: "CLIENT001" },
      { claim_number: "CLM-W", version: 1, status: "hold", group_id: "G1", client_id: "CLIENT001" },
    ]);
    await new MongoDeadLetters(db).record(
      [
        {
          claimNumber: "CLM-D",
          version: 1,
          reason: "patient_missing",
          issues: [{ path: "patient_id", message: "no patient row" }],
          groupId: "G1",
          clientId: "CLIENT001",
        },
      ],
      DAY1,
    );
  }, 240_000);

  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
    await mongo?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe("claims show", () => {
    it("lists every version with its state, batch, control numbers and file", async () => {
      const view = await json<{
        claimNumber: string;
        current: { version: number; status: string };
        versions: {
          version: number;
          state: string;
          batch?: { batchId: string; isaControlNumber: number; writtenAt?: string; path: string };
        }[];
      }>(["claims", "show", "CLM-A"]);
      expect(view.current).toMatchObject({ version: 3, status: "ready" });
      expect(view.versions.map((v) => [v.version, v.state, v.batch?.batchId])).toEqual([
        [1, "emitted", "b-one"],
        [2, "reserved", "b-two"],
        [3, "waiting", undefined],
      ]);
      expect(view.versions[0]?.batch).toMatchObject({
        isaControlNumber: 101,
        writtenAt: "2026-03-14T10:00:05.000Z",
        path: "G1/20260314/CLIENT001-000000101.837",
      });
      expect(view.versions[1]?.batch?.writtenAt).toBeUndefined();

      const text = (await ok(["claims", "show", "CLM-A"])).stdout;
      expect(text).toMatch(/claim_detail\s+v3 ready, group G1, client CLIENT001/);
      expect(text).toMatch(
        /^1\s+emitted\s+b-one\s+000000101\s+101\s+SUNRISE\s+2026-03-14T10:00:05.000Z\s+\S+\/G1\/20260314\/CLIENT001-000000101.837$/m,
      );
      expect(text).toMatch(/^2\s+reserved\s+b-two\s+000000102\s+102\s+SUNRISE\s+-\s/m);
      expect(text).toMatch(/^3\s+waiting\s+-/m);
    });

    it("shows a dead letter with its reason and a held claim as not ready", async () => {
      const d = await json<{
        current: null;
        versions: { state: string; deadLetter: { reason: string; issues: string[] } }[];
      }>(["claims", "show", "CLM-D"]);
      expect(d.current).toBeNull();
      expect(d.versions).toHaveLength(1);
      expect(d.versions[0]).toMatchObject({
        state: "dead_letter",
        deadLetter: { reason: "patient_missing", issues: ["patient_id: no patient row"] },
      });
      expect((await ok(["claims", "show", "CLM-D"])).stdout).toMatch(
        /^1\s+dead_letter\s.*patient_missing \(1 attempt\(s\)\)$/m,
      );
      const w = await json<{ versions: { state: string; status: string }[] }>(["claims", "show", "CLM-W"]);
      expect(w.versions).toEqual([{ version: 1, state: "not_ready", status: "hold" }]);
    });

    it("says so when no collection knows the claim, and refuses a malformed number", async () => {
      await notFound(
        ["claims", "show", "CLM-NOPE"],
        /claim CLM-NOPE is not in claim_detail, processing_history or dead_letters/,
      );
      expectUsageError(await run(["claims", "show", "clm a;drop"]), /<claim_number> must be 1-50 characters/);
      expectUsageError(await run(["claims", "show"]), /missing required argument/);
    });
  });

  describe("claims find", () => {
    it("finds the claims of a file by relative path, absolute path or file name", async () => {
      const rel = "G1/20260314/CLIENT001-000000101.837";
      for (const path of [rel, `${dir}/${rel}`, "CLIENT001-000000101.837"]) {
        const found = await json<
          { batch: { batchId: string }; claims: { claimNumber: string; version: number }[] }[]
        >(["claims", "find", "--file", path]);
        expect(found.map((f) => f.batch.batchId)).toEqual(["b-one"]);
        expect(found[0]?.claims).toEqual([
          { claimNumber: "CLM-A", version: 1 },
          { claimNumber: "CLM-B", version: 1 },
        ]);
      }
      const text = (await ok(["claims", "find", "--file", rel])).stdout;
      expect(text).toMatch(/ISA13 \/ GS06\s+000000101 \/ 101 \(sender SUNRISE\)/);
      expect(text).toMatch(/^CLM-B\s+1$/m);
    });

    it("finds by ISA13 and sender (sender compared as ISA06 is rendered)", async () => {
      const found = await json<{ batch: { batchId: string; state: string } }[]>([
        "claims",
        "find",
        "--isa13",
        "102",
        "--sender",
        "sunrise",
      ]);
      expect(found.map((f) => [f.batch.batchId, f.batch.state])).toEqual([["b-two", "reserved"]]);
      await notFound(
        ["claims", "find", "--isa13", "102", "--sender", "OTHER"],
        /no batch in edi_batches has ISA13 000000102 for sender OTHER/,
      );
      await notFound(
        ["claims", "find", "--file", "G1/20260314/CLIENT001-000000999.837"],
        /no batch in edi_batches wrote/,
      );
      await notFound(["claims", "find", "--file", "notes.txt"], /does not end in -<9-digit ISA13>\.837/);
    });

    it("refuses missing, conflicting and malformed options with one line", async () => {
      expectUsageError(await run(["claims", "find"]), /needs --file <path> or --isa13 <n> --sender <id>/);
      expectUsageError(
        await run(["claims", "find", "--file", "x.837", "--isa13", "1"]),
        /--file cannot be combined/,
      );
      expectUsageError(await run(["claims", "find", "--isa13", "12"]), /--isa13 needs --sender/);
      expectUsageError(
        await run(["claims", "find", "--isa13", "twelve", "--sender", "S"]),
        /--isa13 must be a whole number/,
      );
      expectUsageError(
        await run(["claims", "find", "--isa13", "1", "--sender", "S;$x"]),
        /--sender must be 1-15/,
      );
      expectUsageError(
        await run(["claims", "find", "--file", "../etc/passwd.837"]),
        /--file must be a path without \.\./,
      );
    });
  });

  describe("batches list and show", () => {
    type Row = { batchId: string; state: string; groupId: string; claims?: unknown };
    const ids = (rows: Row[]) => rows.map((r) => r.batchId);

    it("lists newest first and filters by time, group, client, state and sender", async () => {
      const all = await json<Row[]>(["batches", "list"]);
      expect(ids(all)).toEqual(["b-two", "b-one"]);
      expect(all[0]?.claims).toBeUndefined();
      expect(ids(await json<Row[]>(["batches", "list", "--state", "written"]))).toEqual(["b-one"]);
      expect(ids(await json<Row[]>(["batches", "list", "--group", "G2"]))).toEqual(["b-two"]);
      expect(ids(await json<Row[]>(["batches", "list", "--client", "CLIENT001"]))).toEqual(["b-one"]);
      expect(ids(await json<Row[]>(["batches", "list", "--since", "2026-03-15"]))).toEqual(["b-two"]);
      expect(ids(await json<Row[]>(["batches", "list", "--until", "2026-03-15"]))).toEqual(["b-one"]);
      expect(ids(await json<Row[]>(["batches", "list", "--sender", "SUNRISE", "--limit", "1"]))).toEqual([
        "b-two",
      ]);
      expect(await json<Row[]>(["batches", "list", "--sender", "NOBODY"])).toEqual([]);
      expect((await ok(["batches", "list", "--sender", "NOBODY"])).stdout).toBe("no batches\n");
      const text = (await ok(["batches", "list"])).stdout;
      expect(text).toMatch(
        /^b-one\s+written\s+2026-03-14T10:00:00.000Z\s+G1\s+CLIENT001\s+SUNRISE\s+000000101\s+2\s+G1\/20260314\/CLIENT001-000000101.837$/m,
      );
    });

    it("shows one batch with its claim versions", async () => {
      const b = await json<Row & { isaControlNumber: number; claims: unknown[]; contentPurged: boolean }>([
        "batches",
        "show",
        "b-one",
      ]);
      expect(b).toMatchObject({
        batchId: "b-one",
        state: "written",
        isaControlNumber: 101,
        contentPurged: false,
      });
      expect(b.claims).toEqual([
        { claim_number: "CLM-A", version: 1 },
        { claim_number: "CLM-B", version: 1 },
      ]);
      const text = (await ok(["batches", "show", "b-two"])).stdout;
      expect(text).toMatch(/^state\s+reserved$/m);
      expect(text).toMatch(/^written\s+-$/m);
      expect(text).toMatch(/^CLM-A\s+2$/m);
      await notFound(["batches", "show", "b-nope"], /batch b-nope is not in edi_batches/);
    });

    it("refuses bad filters with one line", async () => {
      expectUsageError(
        await run(["batches", "list", "--since", "yesterday"]),
        /--since must be an ISO-8601 time/,
      );
      expectUsageError(await run(["batches", "list", "--until", "2026-02-30"]), /--until must be/);
      expectUsageError(
        await run(["batches", "list", "--since", "2026-03-15", "--until", "2026-03-14"]),
        /--since must be before --until/,
      );
      expectUsageError(
        await run(["batches", "list", "--state", "lost"]),
        /--state must be reserved, written or superseded/,
      );
      expectUsageError(await run(["batches", "list", "--group", "g 1"]), /--group must be/);
      expectUsageError(await run(["batches", "list", "--client", "a/b"]), /--client must be/);
      expectUsageError(await run(["batches", "list", "--limit", "0"]), /--limit must be a whole number/);
      expectUsageError(await run(["batches", "show", "b/../x"]), /<batch_id> must be/);
    });
  });

  describe("dead-letters retry in bulk", () => {
    type Bulk = {
      matched: number;
      dryRun: boolean;
      removed: number;
      outcomes: Record<string, number>;
      claims: { claimNumber: string; outcome: string }[];
    };
    const outcomeOf = (b: Bulk) => Object.fromEntries(b.claims.map((c) => [c.claimNumber, c.outcome]));

    beforeAll(async () => {
      if (!mongo) return;
      await db
        .collection("claim_detail")
        .insertMany([
          claimDoc({ claim_number: "DL-FIXED" }),
          claimDoc({ claim_number: "DL-BAD", total_charge: "0.01" }),
          claimDoc({ claim_number: "DL-HELD", status: "hold" }),
        ]);
      const dl = (claimNumber: string, reason: "patient_missing" | "client_missing") => ({
        claimNumber,
        version: 1,
        reason,
        issues: [{ path: "patient_id", message: "no row" }],
      });
      await new MongoDeadLetters(db).record(
        [dl("DL-FIXED", "patient_missing"), dl("DL-BAD", "patient_missing"), dl("DL-HELD", "client_missing")],
        DAY2,
      );
    });

    it("a dry run counts and judges each claim, changing nothing", async () => {
      const r = await run(["dead-letters", "retry", "--reason", "patient_missing", "--dry-run", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe("3 dead-lettered claim(s) match (reason patient_missing)\n");
      const b = JSON.parse(r.stdout) as Bulk;
      expect(b).toMatchObject({ matched: 3, dryRun: true, removed: 0 });
      expect(outcomeOf(b)).toEqual({ "DL-FIXED": "requeued", "DL-BAD": "invalid", "CLM-D": "gone" });
      expect(await db.collection("dead_letters").countDocuments()).toBe(4);
      expect(await db.collection("audit_log").countDocuments({ action: "dead_letter_retry_bulk" })).toBe(0);
    });

    it("retries by reason after the count; only claims that now pass leave dead_letters; audited", async () => {
      const r = await run(["dead-letters", "retry", "--reason", "patient_missing", "--yes"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe("3 dead-lettered claim(s) match (reason patient_missing)\n");
      expect(r.stdout).toMatch(/^requeued\s+1$/m);
      expect(r.stdout).toMatch(/^still invalid\s+1$/m);
      expect(r.stdout).toMatch(/^gone\s+1$/m);
      expect(r.stdout).toMatch(/^dead letters removed\s+1$/m);
      const left = await db.collection("dead_letters").find().toArray();
      expect(left.map((d) => d.claim_number).sort()).toEqual(["CLM-D", "DL-BAD", "DL-HELD"]);
      const fixed = await db.collection("claim_detail").findOne({ claim_number: "DL-FIXED" });
      expect(fixed?.updated_at).toBeInstanceOf(Date);
      const audit = await db.collection("audit_log").findOne({ action: "dead_letter_retry_bulk" });
      expect(audit?.claim_numbers).toEqual(["DL-FIXED"]);
    });

    it("--all takes every reason; nothing matching is not an error", async () => {
      const b = JSON.parse((await run(["dead-letters", "retry", "--all", "--yes", "--json"])).stdout) as Bulk;
      expect(b.matched).toBe(3);
      expect(outcomeOf(b)).toMatchObject({ "DL-HELD": "not_ready", "DL-BAD": "invalid", "CLM-D": "gone" });
      const none = await run(["dead-letters", "retry", "--reason", "npi_invalid", "--yes"]);
      expect(none.code).toBe(0);
      expect(none.stderr).toBe("0 dead-lettered claim(s) match (reason npi_invalid)\n");
      expect(none.stdout).toMatch(/^requeued\s+0$/m);
    });

    it("refuses conflicting or missing selections, and a bulk retry nobody confirmed", async () => {
      expectUsageError(await run(["dead-letters", "retry"]), /needs <claim>, --reason <reason> or --all/);
      expectUsageError(
        await run(["dead-letters", "retry", "DL-BAD", "--all"]),
        /either <claim> or --reason\/--all/,
      );
      expectUsageError(
        await run(["dead-letters", "retry", "--all", "--reason", "patient_missing"]),
        /cannot be combined/,
      );
      expectUsageError(
        await run(["dead-letters", "retry", "DL-BAD", "--dry-run"]),
        /apply to --reason\/--all only/,
      );
      expectUsageError(await run(["dead-letters", "retry", "--reason", "sad"]), /--reason must be one of/);
      expectUsageError(
        await run(["dead-letters", "retry", "--all"]),
        /needs confirmation: run it on a terminal, or pass --yes/,
      );
    });
  });
});
