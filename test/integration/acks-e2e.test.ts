// The loop closed end to end on a replica set: a real processor (startProcessor) writes 837
// files; TA1, 999 and 277CA answers for exactly those files are dropped into EDI_ACK_DIR; the
// lease holder imports them, and `acks list` (the real binary), /metrics and the write-back on
// claim_detail reflect them exactly. A correction of an accepted claim billed as version 2 with
// frequency 7 and no payer_claim_control_number carries the one the 277CA recorded.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProcessorHandle, startProcessor } from "../../src/app/processor.js";
import { loadConfig } from "../../src/config.js";
import { COLLECTIONS } from "../../src/mongo/collections.js";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import type { AckRow } from "../../src/ports/acknowledgements.js";
import { writeSynthetic } from "../../src/seed/seed-database.js";
import { generate } from "../../src/seed/synthetic.js";
import { cli, ensureBuilt } from "../cli/cli-harness.js";
import { scrape, waitFor } from "../observability/scrape.js";
import { ack277For, ack999For, readSent, type SentFile, ta1For } from "../support/ack-builders.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";

const mongo: TestMongo | undefined = await startTestMongo();

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(".837")) out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}

describe.skipIf(!mongo)(
  "acknowledgements end to end (processor, EDI_ACK_DIR, CLI, /metrics, write-back)",
  () => {
    const m = mongo as TestMongo;
    let client: MongoClient;
    let db: Db;
    let out: string;
    let inbound: string;
    let processor: ProcessorHandle | undefined;
    let env: Record<string, string>;

    beforeAll(async () => {
      await ensureBuilt();
      client = await MongoClient.connect(m.uri, { writeConcern: { w: "majority" } });
      db = client.db(m.dbName("acke2e"));
      out = await mkdtemp(join(tmpdir(), "claimflow-acke2e-"));
      inbound = join(out, "inbound");
      await mkdir(inbound);
      await ensureIndexes(db, { includeInputCollections: true });
      env = {
        EDI_MONGODB_URI: m.uri,
        EDI_DATABASE_NAME: db.databaseName,
        EDI_OUTPUT_DIR: join(out, "837"),
        EDI_METRICS_PORT: "0",
        EDI_STREAM_NAME: "acks-e2e",
        EDI_WINDOW_MS: "500",
        EDI_CHECKPOINT_INTERVAL_MS: "200",
        EDI_TIMEOUT_MS: "20000",
        EDI_ACK_DIR: inbound,
        EDI_ACK_POLL_SECONDS: "1",
        EDI_ACK_WRITEBACK: "true",
      };
      processor = await startProcessor(loadConfig(env), {
        logger: createLogger(process.env.TEST_LOG === undefined ? "silent" : "debug"),
        metrics: new Metrics({ collectDefaults: false }),
      });
    }, 240_000);

    afterAll(async () => {
      await processor?.stop();
      await db?.dropDatabase().catch(() => undefined);
      await client?.close();
      if (out) await rm(out, { recursive: true, force: true });
      await m.stop();
    });

    it("imports answers to the files it wrote and reports them exactly; a replacement carries the 277CA's REF*1K", async () => {
      const p = processor as ProcessorHandle;
      const data = generate({
        claims: 12,
        groups: 2,
        clients: 1,
        seed: 5,
        now: new Date(),
        claimPrefix: "E2E",
      });
      await writeSynthetic(db, data);
      await waitFor(
        "12 claims billed",
        async () => (await db.collection(COLLECTIONS.history).countDocuments()) === 12,
        60_000,
      );
      await waitFor(
        "every batch written",
        async () =>
          (await db.collection(COLLECTIONS.batches).countDocuments({ state: { $ne: "written" } })) === 0,
        30_000,
      );
      const paths = await filesUnder(join(out, "837"));
      const sent: SentFile[] = await Promise.all(
        paths.map(async (f) => readSent(await readFile(f, "latin1"))),
      );
      const claims = sent.flatMap((s) => s.claims.map((c) => c.claimNumber)).sort();
      expect(claims).toHaveLength(12);
      const [accepted, rejected] = claims as [string, string];

      // Answers: a TA1 and a 999 per file; one 277CA per file, all accepted except `rejected`.
      for (const [i, s] of sent.entries()) {
        await writeFile(join(inbound, `f${i}.ta1`), ta1For(s));
        await writeFile(join(inbound, `f${i}.999`), ack999For(s));
        await writeFile(
          join(inbound, `f${i}.277`),
          ack277For(
            s,
            s.claims.map((c) => ({
              claimNumber: c.claimNumber,
              amount: c.amount,
              ...(c.claimNumber === rejected
                ? { stc: "A7:562:85", patientName: ["ZZYZXOVA", "QUILLBERTA"] as const }
                : { stc: "A2:20:PR", payerClaimControlNumber: `PCN-${c.claimNumber}`, trace: `TR-${i}` }),
            })),
          ),
        );
      }
      await writeFile(
        join(inbound, "stray.999"),
        ack999For({ ...(sent[0] as SentFile), isa13: "000000001" }, { code: "A" }, "424242"),
      );
      const expectedFiles = sent.length * 3 + 1;
      await waitFor(
        "every answer imported",
        async () => (await readdir(join(inbound, "processed")).catch(() => [])).length === expectedFiles,
        30_000,
      );
      expect(await readdir(inbound)).toEqual(["processed"]);

      // acks list (real binary): exactly one rejection, the claim we rejected.
      const rej = await cli(["acks", "list", "--rejected", "--json"], { ...env, EDI_METRICS_PORT: "9" });
      expect(rej.code, rej.stderr).toBe(0);
      const rejRows = JSON.parse(rej.stdout) as AckRow[];
      expect(rejRows.map((r) => (r.row === "claim" ? [r.claimNumber, r.version, r.result] : r.row))).toEqual([
        [rejected, 1, "rejected"],
      ]);
      const all = JSON.parse(
        (await cli(["acks", "list", "--json", "--limit", "1000"], env)).stdout,
      ) as AckRow[];
      const count = (pred: (r: AckRow) => boolean) => all.filter(pred).length;
      expect(count((r) => r.row === "batch" && r.kind === "TA1" && r.result === "accepted")).toBe(
        sent.length,
      );
      expect(count((r) => r.row === "batch" && r.kind === "999" && r.result === "accepted")).toBe(
        sent.length,
      );
      expect(count((r) => r.row === "claim" && r.result === "accepted")).toBe(11);
      expect(all.filter((r) => r.row === "unmatched")).toEqual([
        expect.objectContaining({ kind: "999", reason: "unknown_control_number", controlNumber: "424242" }),
      ]);

      // /metrics: the gauges, sampled every EDI_ACK_POLL_SECONDS.
      await waitFor(
        "gauges",
        async () =>
          (await scrape(p.metricsPort)).value("claimflow_acknowledgements", {
            kind: "277CA",
            result: "accepted",
          }) === 11,
        15_000,
      );
      const s = await scrape(p.metricsPort);
      expect(s.get("claimflow_acknowledgements", { kind: "277CA", result: "rejected" })).toBe(1);
      expect(s.get("claimflow_acknowledgements", { kind: "TA1", result: "accepted" })).toBe(sent.length);
      expect(s.get("claimflow_acknowledgements", { kind: "999", result: "accepted" })).toBe(sent.length);
      expect(s.byLabel("claimflow_ack_rejected_claims", "category")).toEqual({ A7: 1 });
      expect(s.get("claimflow_ack_unmatched")).toBe(1);
      expect(s.get("claimflow_files_unacknowledged")).toBe(0);

      // Write-back: the rejection and the acceptance are on the claims themselves.
      const byNumber = async (n: string) => db.collection(COLLECTIONS.claims).findOne({ claim_number: n });
      expect((await byNumber(rejected))?.edi).toMatchObject({
        status: "rejected",
        version: 1,
        status_codes: [{ category: "A7", status: "562", entity: "85" }],
      });
      expect((await byNumber(accepted))?.edi).toMatchObject({
        status: "accepted",
        payer_claim_control_number: `PCN-${accepted}`,
      });

      // No patient name from the 277CA anywhere in claimflow's collections.
      const raw = JSON.stringify(await db.collection(COLLECTIONS.acknowledgements).find({}).toArray());
      expect(raw).not.toMatch(/ZZYZXOVA|QUILLBERTA/);

      // The accepted claim corrected upstream: version 2, frequency 7, no payer_claim_control_number.
      const before = new Set(await filesUnder(join(out, "837")));
      await db
        .collection(COLLECTIONS.claims)
        .updateOne(
          { claim_number: accepted },
          { $set: { version: 2, frequency_code: "7", status: "ready", updated_at: new Date() } },
        );
      await waitFor(
        "version 2 billed",
        async () =>
          (await db
            .collection(COLLECTIONS.history)
            .countDocuments({ claim_number: accepted, version: 2 })) === 1,
        30_000,
      );
      await waitFor(
        "its file",
        async () => (await filesUnder(join(out, "837"))).length > before.size,
        30_000,
      );
      const fresh = (await filesUnder(join(out, "837"))).filter((f) => !before.has(f));
      const text = await readFile(fresh[0] as string, "latin1");
      expect(text).toMatch(new RegExp(`CLM\\*${accepted}\\*[^~]*:B:7\\*`));
      expect(text).toContain(`REF*F8*PCN-${accepted}~`);
      expect(await db.collection(COLLECTIONS.deadLetters).countDocuments()).toBe(0);
    }, 240_000);
  },
);
