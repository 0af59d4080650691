// `claimflow acks import | list` through the real binary on a replica set: files answering
// batches written through the real ledger are imported and moved, a bad file gets one line and
// the others go on, the list shows rejections, and bad arguments exit 2 with one line.
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/app/services/ack-import.js";
import { render837 } from "../../src/edi/render.js";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { MongoLedger } from "../../src/mongo/mongo-ledger.js";
import type { AckRow } from "../../src/ports/acknowledgements.js";
import { plainContentCodec } from "../../src/ports/content-codec.js";
import { batchOf, claimDoc, joined } from "../edi/builders.js";
import { ack277For, ack999For, readSent, ta1For } from "../support/ack-builders.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";
import { cli, ensureBuilt, expectUsageError } from "./cli-harness.js";

const mongo: TestMongo | undefined = await startTestMongo();

describe.skipIf(!mongo)("acks import and list (real binary)", () => {
  let client: MongoClient;
  let db: Db;
  let env: Record<string, string>;
  let dir: string;
  let content: string;

  beforeAll(async () => {
    if (!mongo) return;
    await ensureBuilt();
    const dbName = mongo.dbName("ackcli");
    client = await MongoClient.connect(mongo.uri);
    db = client.db(dbName);
    await ensureIndexes(db, { includeInputCollections: true });
    dir = await mkdtemp(join(tmpdir(), "claimflow-ackcli-"));
    env = {
      EDI_MONGODB_URI: mongo.uri,
      EDI_DATABASE_NAME: dbName,
      EDI_OUTPUT_DIR: dir,
      EDI_TIMEOUT_MS: "20000",
    };
    const ledger = new MongoLedger(client, db, plainContentCodec);
    content = render837(
      batchOf(
        [
          joined({ claim: claimDoc({ claim_number: "CLI-OK" }) }),
          joined({ claim: claimDoc({ claim_number: "CLI-REJ" }) }),
        ],
        { controlNumber: 777, batchId: "b-cli" },
      ),
    );
    await ledger.reserve({
      batchId: "b-cli",
      state: "reserved",
      streamName: "claim_detail",
      groupId: "G1",
      clientId: "CLIENT001",
      senderId: "SUNRISE",
      isaControlNumber: 777,
      gsControlNumber: 777,
      path: "G1/20260314/CLIENT001-000000777.837",
      content,
      sha256: sha256Hex(new TextEncoder().encode(content)),
      claims: [
        { claim_number: "CLI-OK", version: 1 },
        { claim_number: "CLI-REJ", version: 1 },
      ],
      claimCount: 2,
      createdAt: new Date(),
    });
    await ledger.markWritten("b-cli", new Date());
  }, 240_000);

  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
    await mongo?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("imports a directory: one line per file, a bad file on stderr, exit 1, the rest recorded and moved", async () => {
    const inbound = join(dir, "inbound");
    await mkdir(inbound);
    const sent = readSent(content);
    await writeFile(join(inbound, "1.ta1"), ta1For(sent));
    await writeFile(join(inbound, "2.999"), ack999For(sent));
    await writeFile(join(inbound, "3.837"), content);
    await writeFile(
      join(inbound, "4.277"),
      ack277For(sent, [
        { claimNumber: "CLI-OK", stc: "A2:20:PR", payerClaimControlNumber: "PCN-CLI-1" },
        { claimNumber: "CLI-REJ", stc: "A7:562:85", patientName: ["ZZYZXOVA", "QUILLBERTA"] },
      ]),
    );
    const r = await cli(["acks", "import", inbound], env);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split("\n")).toEqual([
      `${join(inbound, "1.ta1")}: TA1 1 recorded, 0 unmatched, 0 rejected`,
      `${join(inbound, "2.999")}: 999 1 recorded, 0 unmatched, 0 rejected`,
      `${join(inbound, "4.277")}: 277CA 2 recorded, 0 unmatched, 1 rejected`,
    ]);
    expect(r.stderr).toBe(
      `claimflow: ${join(inbound, "3.837")}: segment 3: transaction set 837 is not a 999 or 277CA (not_an_acknowledgement)\n`,
    );
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/ZZYZXOVA|QUILLBERTA/);
    expect((await readdir(join(inbound, "processed"))).sort()).toEqual(["1.ta1", "2.999", "4.277"]);
    expect(await readdir(join(inbound, "failed"))).toEqual(["3.837"]);

    // Again, the same bytes: nothing changes.
    const again = await cli(["acks", "import", join(inbound, "processed", "2.999")], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already imported \(same sha256\), nothing changed/);
  });

  it("lists rejections only with --rejected, as JSON too", async () => {
    const all = await cli(["acks", "list", "--json"], env);
    expect(all.code).toBe(0);
    const rows = JSON.parse(all.stdout) as AckRow[];
    expect(rows.map((r) => [r.kind, r.result]).sort()).toEqual(
      expect.arrayContaining([
        ["277CA", "accepted"],
        ["277CA", "rejected"],
        ["999", "accepted"],
        ["TA1", "accepted"],
      ]),
    );
    const rejected = await cli(["acks", "list", "--rejected"], env);
    expect(rejected.code).toBe(0);
    const lines = rejected.stdout.trim().split("\n");
    expect(lines).toHaveLength(2); // header + CLI-REJ
    expect(lines[1]).toMatch(/277CA\s+rejected\s+CLI-REJ v1\s+A7:562:85\s+-/);
    const future = await cli(["acks", "list", "--since", "2999-01-01"], env);
    expect(future.stdout.trim()).toBe("no acknowledgements");
  });

  it("claims show adds what the clearinghouse and the payer said, per version and per file", async () => {
    const text = await cli(["claims", "show", "CLI-REJ"], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/1\s+277CA\s+rejected\s+A7:562:85\s+-\s+b-cli/);
    expect(text.stdout).toMatch(/1\s+999\s+accepted\s+IK5 A AK9 A\s+-\s+b-cli/);
    expect(text.stdout).toMatch(/1\s+TA1\s+accepted\s+TA105 000\s+-\s+b-cli/);
    const json = JSON.parse((await cli(["claims", "show", "CLI-OK", "--json"], env)).stdout);
    expect(json.acknowledgements.claims).toEqual([
      expect.objectContaining({
        claimNumber: "CLI-OK",
        version: 1,
        result: "accepted",
        payerClaimControlNumber: "PCN-CLI-1",
      }),
    ]);
    expect(json.acknowledgements.batches.map((b: { kind: string }) => b.kind).sort()).toEqual(["999", "TA1"]);
  });

  it("status counts written files still waiting for a 999 after EDI_ACK_EXPECTED_WITHIN_HOURS", async () => {
    // b-cli has its 999 (first test); an older file never got one.
    const ledger = new MongoLedger(client, db, plainContentCodec);
    const old = new Date(Date.now() - 2 * 86_400_000);
    await ledger.reserve({
      batchId: "b-old",
      state: "reserved",
      streamName: "claim_detail",
      groupId: "G1",
      clientId: "CLIENT001",
      senderId: "SUNRISE",
      isaControlNumber: 778,
      gsControlNumber: 778,
      path: "G1/20260312/CLIENT001-000000778.837",
      content: "ISA~",
      sha256: "0".repeat(64),
      claims: [{ claim_number: "CLI-OLD", version: 1 }],
      claimCount: 1,
      createdAt: old,
    });
    await ledger.markWritten("b-old", old);
    const r = await cli(["status", "--json"], { ...env, EDI_METRICS_PORT: "9" });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).filesAwaiting999).toBe(1);
    const text = await cli(["status"], {
      ...env,
      EDI_METRICS_PORT: "9",
      EDI_ACK_EXPECTED_WITHIN_HOURS: "720",
    });
    expect(text.stdout).toMatch(/files awaiting 999\s+0/);
  });

  it("refuses bad arguments with one line and exit 2", async () => {
    expectUsageError(await cli(["acks", "list", "--since", "yesterday"], env), /--since/);
    expectUsageError(await cli(["acks", "list", "--limit", "0"], env), /--limit/);
    expectUsageError(await cli(["acks", "import"], env), /paths/);
  });

  it("refuses a path that does not exist before importing anything (one line, exit 2)", async () => {
    expectUsageError(
      await cli(["acks", "import", join(dir, "nope")], env),
      /nope: no such file or directory/,
    );
  });
});
