// Issue 16 hole 5 and issue 15 item 4 on a real (auth-enabled) replica set:
// - a processor whose MongoDB user may not insert into edi_batches gets Unauthorized (13) in
//   the batch path: `claimflow run` (the real binary) exits 1 with one clear stderr line
//   instead of retrying for ever with its circuit open;
// - two `patient` rows with one patient_id make the claim a dead letter (ambiguous_patient).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, MongoClient } from "mongodb";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProcessor } from "../../src/app/processor.js";
import { loadConfig } from "../../src/config.js";
import { COLLECTIONS } from "../../src/mongo/collections.js";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { Metrics } from "../../src/observability/metrics.js";
import { writeSynthetic } from "../../src/seed/seed-database.js";
import { generate } from "../../src/seed/synthetic.js";
import { cli, ensureBuilt } from "../cli/cli-harness.js";
import { countEmitted, emittedClaimNumbers } from "../support/emitted.js";
import { type AuthTestMongo, type MongoUser, startAuthTestMongo } from "../support/mongo.js";
import { waitFor } from "../support/wait-for.js";

const ROOT_USER = { user: "root", pwd: "root-faults-pw" };
const LIMITED = { user: "nobatches", pwd: "limited-faults-pw" };

const rs = await startAuthTestMongo(ROOT_USER, "FAULT TESTS");
const uriFor = (who: MongoUser) => (rs as AuthTestMongo).uriFor(who);

describe.skipIf(!rs)("process-level and claim-level faults on a real replica set", () => {
  let root: MongoClient;
  let base: string;

  beforeAll(async () => {
    root = await MongoClient.connect(uriFor(ROOT_USER), { writeConcern: { w: "majority" } });
    base = await mkdtemp(join(tmpdir(), "claimflow-faults-"));
  });

  afterAll(async () => {
    await root?.close();
    if (base) await rm(base, { recursive: true, force: true });
    await rs?.stop();
  });

  it("exits 1 with one line when MongoDB refuses the batch path (Unauthorized), without retrying", async () => {
    const dbName = "faults_auth";
    const db = root.db(dbName);
    await ensureIndexes(db, { includeInputCollections: true });
    await writeSynthetic(db, generate({ claims: 5, groups: 1, clients: 1, seed: 5, now: new Date() }));
    // Everything the processor does, on every collection, except inserting into edi_batches.
    const all = [
      "find",
      "insert",
      "update",
      "remove",
      "createIndex",
      "listIndexes",
      "collMod",
      "changeStream",
    ];
    const privileges: { resource: { db: string; collection: string }; actions: string[] }[] = Object.values(
      COLLECTIONS,
    ).map((collection) => ({
      resource: { db: dbName, collection },
      actions: collection === COLLECTIONS.batches ? all.filter((a) => a !== "insert") : all,
    }));
    privileges.push({ resource: { db: dbName, collection: "" }, actions: ["listCollections"] });
    const admin = root.db("admin");
    await admin.command({ createRole: "claimflowNoBatches", privileges, roles: [] });
    await admin.command({
      createUser: LIMITED.user,
      pwd: LIMITED.pwd,
      roles: [{ role: "claimflowNoBatches", db: "admin" }],
    });

    await ensureBuilt();
    const started = Date.now();
    const r = await cli(
      ["run"],
      {
        EDI_MONGODB_URI: uriFor(LIMITED),
        EDI_DATABASE_NAME: dbName,
        EDI_OUTPUT_DIR: join(base, "out-auth"),
        EDI_METRICS_PORT: "0",
        EDI_WINDOW_MS: "100",
        EDI_LOG_LEVEL: "info",
      },
      { timeoutMs: 90_000 },
    );
    const lines = r.stderr.split("\n").filter((l) => l.length > 0);
    expect(r.code, r.stderr).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^claimflow: stopped: MongoDB refused an operation: not authorized \(Unauthorized, code 13\): .*ops\/roles/,
    );
    expect(r.stderr).not.toContain(LIMITED.pwd);
    // Not retried: no backoff line about it, and it stopped well before a retry loop would.
    const log = r.stdout.split("\n").filter((l) => l.startsWith("{"));
    const msgs = log.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).not.toContain("operation failed; retrying with backoff");
    expect(msgs).not.toContain("circuit breaker open: MongoDB keeps failing");
    expect(msgs).toContain(lines[0]?.replace(/^claimflow: /, ""));
    expect(Date.now() - started).toBeLessThan(90_000);
    // Nothing was reserved, written or acked past the claims.
    expect(await db.collection(COLLECTIONS.batches).countDocuments()).toBe(0);
    expect(await db.collection(COLLECTIONS.claims).countDocuments({ status: "billed" })).toBe(0);
  });

  it("dead-letters a claim whose patient_id two patient rows carry (ambiguous_patient); the others are billed", async () => {
    const db: Db = root.db("faults_ambiguous");
    await ensureIndexes(db, { includeInputCollections: true });
    const data = generate({
      claims: 6,
      groups: 1,
      clients: 1,
      seed: 31,
      now: new Date(),
      claimPrefix: "AMB",
    });
    await writeSynthetic(db, { ...data, claims: [] });
    const target = data.claims[0] as Record<string, unknown>;
    const sharing = data.claims.filter((c) => c.patient_id === target.patient_id).map((c) => c.claim_number);
    const twin = data.patients.find((p) => p.patient_id === target.patient_id) as Record<string, unknown>;
    const { _id, ...copy } = structuredClone(twin);
    await db.collection(COLLECTIONS.patients).insertOne({ ...copy, last_name: "Otherperson" });

    const out = join(base, "out-ambiguous");
    const proc = await startProcessor(
      loadConfig({
        EDI_MONGODB_URI: uriFor(ROOT_USER),
        EDI_DATABASE_NAME: db.databaseName,
        EDI_OUTPUT_DIR: out,
        EDI_METRICS_PORT: "0",
        EDI_STREAM_NAME: "ambiguous",
        EDI_WINDOW_MS: "200",
      }),
      { logger: pino({ level: "silent" }), metrics: new Metrics({ collectDefaults: false }) },
    );
    try {
      await waitFor("streaming", async () => proc.engine.readiness().ready, 30_000);
      await db.collection(COLLECTIONS.claims).insertMany(data.claims.map((c) => structuredClone(c)));
      await waitFor(
        "every claim billed or dead-lettered",
        async () =>
          (await countEmitted(db)) + (await db.collection(COLLECTIONS.deadLetters).countDocuments()) ===
          data.claims.length,
        30_000,
      );
    } finally {
      await proc.stop();
    }
    expect(await proc.exited).toBe(0);
    const dead = await db.collection(COLLECTIONS.deadLetters).find({}).toArray();
    expect(dead.map((d) => d.claim_number).sort()).toEqual([...sharing].sort());
    for (const d of dead) {
      expect(d.reason).toBe("ambiguous_patient");
      expect(JSON.stringify(d)).not.toMatch(/otherperson/i);
    }
    const emitted = await emittedClaimNumbers(db);
    expect(emitted.sort()).toEqual(
      data.claims
        .map((c) => c.claim_number as string)
        .filter((n) => !sharing.includes(n))
        .sort(),
    );
  });
});
