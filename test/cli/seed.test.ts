// `claimflow seed` never touches real data (issue 15 item 2), on the real binary and a real
// replica set: it refuses a database holding claims, patients, clients or NPIs it did not
// create unless --force, never replaces an existing document (insert-only), and says what it
// wrote and what it left alone.
import { type Db, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate } from "../../src/seed/synthetic.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";
import { cli, ensureBuilt } from "./cli-harness.js";

const mongo: TestMongo | undefined = await startTestMongo();

describe.skipIf(!mongo)("claimflow seed", () => {
  let client: MongoClient;
  const dbs: Db[] = [];
  const envFor = (db: Db) => ({ EDI_MONGODB_URI: mongo?.uri, EDI_DATABASE_NAME: db.databaseName });

  beforeAll(async () => {
    if (!mongo) return;
    await ensureBuilt();
    client = await MongoClient.connect(mongo.uri);
  }, 180_000);

  afterAll(async () => {
    for (const db of dbs) await db.dropDatabase().catch(() => undefined);
    await client?.close();
    await mongo?.stop();
  });

  const freshDb = () => {
    const db = client.db(mongo?.dbName("seed"));
    dbs.push(db);
    return db;
  };

  it.each([
    ["claim_detail", { claim_number: "REAL-1", status: "ready" }],
    ["patient", { patient_id: "P-REAL", last_name: "REALPERSON" }],
    ["client", { client_id: "CLIENT001", name: "Real Clinic" }],
    ["npi", { npi: "1234567893", name: "Dr Real" }],
  ])(
    "refuses a database whose %s holds a document it did not create (exit 1, one line)",
    async (coll, doc) => {
      const db = freshDb();
      await db.collection(coll).insertOne({ ...doc });
      const r = await cli(["seed", "--claims", "3", "--prefix", "T"], envFor(db));
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(`${coll} already holds documents claimflow seed did not create`);
      expect(r.stderr).toContain("--force");
      expect(r.stderr).not.toContain("REALPERSON");
      for (const c of ["claim_detail", "patient", "client", "npi"]) {
        expect(await db.collection(c).countDocuments(), c).toBe(c === coll ? 1 : 0);
      }
    },
  );

  it("seeds its own database again (a new prefix), reusing its reference rows untouched", async () => {
    const db = freshDb();
    const first = await cli(["seed", "--claims", "4", "--prefix", "A", "--json"], envFor(db));
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ claims: 4, patients: 4, clients: 3, npis: 20 });
    const second = await cli(["seed", "--claims", "4", "--prefix", "B", "--json"], envFor(db));
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      claims: 4,
      patients: 4,
      clients: 0,
      npis: 0,
      kept: { patients: 0, clients: 3, npis: 20 },
    });
    expect(await db.collection("claim_detail").countDocuments()).toBe(8);
  });

  it("with --force inserts alongside real data and never replaces an existing document", async () => {
    const db = freshDb();
    // Real rows whose keys the synthetic data also uses (same seed → same client ids and NPIs).
    const synthetic = generate({
      claims: 2,
      groups: 1,
      clients: 1,
      seed: 42,
      now: new Date(),
      claimPrefix: "F",
    });
    const realClient = { ...synthetic.clients[0], name: "REAL CLINIC, KEEP ME" };
    const realNpi = { ...synthetic.npis[0], marker: "REAL NPI ROW" };
    const realPatient = { ...synthetic.patients[0], last_name: "REALPERSON" };
    await db.collection("client").insertOne(realClient);
    await db.collection("npi").insertOne(realNpi);
    await db.collection("patient").insertOne(realPatient);
    const before = await Promise.all(
      ["client", "npi", "patient"].map((c) => db.collection(c).find().toArray()),
    );

    const r = await cli(
      ["seed", "--claims", "2", "--groups", "1", "--clients", "1", "--prefix", "F", "--force"],
      envFor(db),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/claims\s+2 ready/);
    expect(r.stdout).toMatch(/patients\s+1 inserted, 1 already there \(untouched\)/);
    expect(r.stdout).toMatch(/clients\s+0 inserted, 1 already there \(untouched\)/);
    expect(r.stdout).toMatch(/npis\s+19 inserted, 1 already there \(untouched\)/);

    const [clients, npis, patients] = before;
    for (const [coll, docs] of [
      ["client", clients],
      ["npi", npis],
      ["patient", patients],
    ] as const) {
      for (const d of docs ?? []) {
        expect(await db.collection(coll).findOne({ _id: d._id }), coll).toEqual(d);
      }
    }
  });
});
