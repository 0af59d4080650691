// PHI never reaches a log line or a dead letter, end to end: a real processor (startProcessor)
// on a real replica set, logging at `trace` into memory, bills claims of patients whose names,
// DOBs, SSNs, member ids and addresses are distinctive, and dead-letters others on every path
// that handles patient data (invalid patient, unrenderable patient, invalid client, missing
// patient, PHI in an unsafe key and in an unknown claim field). The same run pins the
// correlation ids: every line about a window carries its batch id, event lines their claim.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, type Document, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProcessor } from "../../src/app/processor.js";
import { loadConfig, maskUri } from "../../src/config.js";
import { ConfigError } from "../../src/domain/errors.js";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { createLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { writeSynthetic } from "../../src/seed/seed-database.js";
import { generate, makeClient, makeInvalidClaims, prng } from "../../src/seed/synthetic.js";
import { emittedClaimNumbers } from "../support/emitted.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";
import { waitFor } from "./scrape.js";

const mongo = await startTestMongo();

/** Log lines captured in memory, parsed; pino writes one JSON object per write. */
class CapturedLog {
  readonly raw: string[] = [];
  write(chunk: string): void {
    this.raw.push(chunk);
  }
  get lines(): Record<string, unknown>[] {
    return this.raw.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

const address = (line1: string, city: string, zip: string) => ({ line1, city, state: "OR", zip });

/** Billed: self. */
const ZEPHYRINA = {
  first_name: "Zephyrina",
  middle_name: "Odalys",
  last_name: "Quillfeather",
  dob: new Date("1937-02-11T00:00:00Z"),
  gender: "F",
  address: address("4417 Wisteriavale Ct", "Xanthorpe", "97201"),
  member_id: "MBRZQ7731904",
  relationship_code: "18",
  ssn: "987-65-4329",
};
/** Billed: a dependent, so the subscriber's PHI travels too. */
const CASSIOPEIA = {
  first_name: "Cassiopeia",
  last_name: "Wrenfield",
  dob: new Date("2011-06-17T00:00:00Z"),
  gender: "F",
  address: address("88 Glimmerfen Rd", "Umberlyn", "97202"),
  member_id: "MBRCW8120443",
  relationship_code: "19",
  ssn: "611-20-4478",
  subscriber: {
    first_name: "Barnabus",
    last_name: "Thistlewood",
    dob: new Date("1941-09-30T00:00:00Z"),
    gender: "M",
    address: address("88 Glimmerfen Rd", "Umberlyn", "97202"),
    member_id: "SUBMBR55012977",
    ssn: "522-71-9036",
  },
};
/** Fails its schema, with PHI in the very fields that fail (a date, an enum, a ZIP code). */
const PERPETUA = {
  first_name: "Perpetua",
  last_name: "Vandergloam",
  dob: "1952-13-45",
  gender: "Perpetua-F",
  address: address("12 Orrisbrook Way", "Quenhaven", "ZIP-VANDERGLOAM"),
  member_id: "MBRPV0042",
  relationship_code: "18",
  ssn: "123-45-6781",
};
/** Valid, but the last name (NM103, required) holds nothing an 837 can carry: not renderable. */
const OSTROGOTHA = {
  first_name: "Ostrogotha",
  last_name: "☃☃☃",
  dob: new Date("1966-03-08T00:00:00Z"),
  gender: "M",
  address: address("9 Brambleworth Ln", "Pellucida", "97203"),
  member_id: "MBROS3310957",
  relationship_code: "18",
  ssn: "404-55-1299",
};
/** Valid, but the claim's client document is not: the whole window is dead-lettered. */
const MIRABELLE = {
  first_name: "Mirabelle",
  last_name: "Foxgloverton",
  dob: new Date("1979-12-24T00:00:00Z"),
  gender: "F",
  address: address("301 Quincewater Blvd", "Oxenmoor", "97204"),
  member_id: "MBRMF6624018",
  relationship_code: "18",
  ssn: "733-18-2045",
};

/**
 * Dead-lettered by an enrichment failure: the upstream `patient` is a view that converts the
 * text DOB of legacy records, and this one does not parse, so MongoDB refuses the lookup,
 * quoting the value (a retry cannot fix data, so it is not retried). The corrected DOB must
 * never appear anywhere either.
 */
const IGNATIUS = {
  first_name: "Ignatius",
  last_name: "Brackenridge",
  dob_text: "1937-02-31",
  gender: "M",
  address: address("5 Larkspurrow Pl", "Vellmoor", "97205"),
  member_id: "MBRIB4470321",
  relationship_code: "18",
  ssn: "845-02-6617",
};
const IGNATIUS_FIXED_DOB = "1937-02-21";

/** Every PHI value above, in the spellings a leak could take (dates as ISO and D8, SSN without dashes). */
const PHI: string[] = [
  ...[ZEPHYRINA, CASSIOPEIA, CASSIOPEIA.subscriber, PERPETUA, OSTROGOTHA, MIRABELLE, IGNATIUS].flatMap(
    (p) => [
      p.first_name,
      p.last_name,
      ...("middle_name" in p ? [p.middle_name] : []),
      p.member_id,
      p.ssn,
      p.ssn.replaceAll("-", ""),
      p.address.line1,
      p.address.city,
      ...("dob" in p && p.dob instanceof Date
        ? [p.dob.toISOString().slice(0, 10), p.dob.toISOString().slice(0, 10).replaceAll("-", "")]
        : ["dob" in p ? p.dob : p.dob_text]),
    ],
  ),
  PERPETUA.gender,
  PERPETUA.address.zip,
  IGNATIUS_FIXED_DOB,
  IGNATIUS_FIXED_DOB.replaceAll("-", ""),
].filter((v): v is string => typeof v === "string" && v !== "☃☃☃");

const PASSWORD = "Pa55-PHI-SECRET-w0rd";

function leaks(haystack: string): string[] {
  const lower = haystack.toLowerCase();
  return PHI.filter((v) => lower.includes(v.toLowerCase()));
}

describe.skipIf(!mongo)("PHI-free logs and dead letters, end to end on a real replica set", () => {
  const m = mongo as TestMongo;
  const log = new CapturedLog();
  let client: MongoClient;
  let db: Db;
  let out: string;
  /** Claim numbers by what must happen to them. */
  const billed = ["PH-00000000", "PH-00000001", "PH-00000005"];
  const windowDead: Record<string, string> = {};
  const eventDead: Record<string, string> = {};

  beforeAll(async () => {
    client = await MongoClient.connect(m.uri, { writeConcern: { w: "majority" } });
    db = client.db(m.dbName("phi"));
    out = await mkdtemp(join(tmpdir(), "claimflow-phi-"));
    await ensureIndexes(db, { includeInputCollections: true });
    // Upstream serves `patient` as a view over its raw records: legacy ones hold the DOB as text.
    await db.collection("patient").drop();
    await db.createCollection("patient", {
      viewOn: "patient_src",
      pipeline: [
        {
          $set: {
            dob: { $cond: [{ $eq: [{ $type: "$dob" }, "missing"] }, { $toDate: "$dob_text" }, "$dob"] },
          },
        },
      ],
    });

    const data = generate({ claims: 6, groups: 1, clients: 1, seed: 23, now: new Date(), claimPrefix: "PH" });
    const people = [ZEPHYRINA, CASSIOPEIA, PERPETUA, OSTROGOTHA, MIRABELLE, { ...CASSIOPEIA }];
    const patients = [
      ...data.patients.map((p, i) => ({ patient_id: p.patient_id, ...people[i] })),
      { patient_id: "PIGNATIUS", ...IGNATIUS },
    ];
    const claims: Document[] = data.claims.map((c) => structuredClone(c));
    const secondClient = makeClient(1, prng(10));
    const badClient: Record<string, unknown> = { ...makeClient(1, prng(9)), client_id: "CLIENTBROKEN" };
    delete badClient.isa;
    (claims[4] as Document).client_id = "CLIENTBROKEN";
    const [ghost, , , unsafe] = makeInvalidClaims(claims[0] as Document, "PHX") as Document[];
    const phiKey = {
      ...unsafe,
      payer: { payer_id: "60054", name: "AETNA", "Zephyrina.Quillfeather": "x" },
    };
    const phiField = {
      ...structuredClone(claims[0] as Document),
      claim_number: "PHX-PHIFIELD",
      patient_name: "Zephyrina Quillfeather 1937-02-11",
      total_charge: "0.01",
    };
    // In a window of its own (another client): the server refuses its patient lookup (the view's
    // $toDate chokes on the DOB text), so it is dead-lettered — the only claim of its batch.
    const lookupFail = {
      ...structuredClone(claims[0] as Document),
      claim_number: "PHX-LOOKUPFAIL",
      patient_id: "PIGNATIUS",
      client_id: secondClient.client_id,
    };
    Object.assign(windowDead, {
      "PH-00000002": "patient_invalid",
      "PH-00000003": "not_renderable",
      "PH-00000004": "client_invalid",
      "PHX-NOPATIENT": "patient_missing",
      "PHX-LOOKUPFAIL": "patient_invalid",
    });
    Object.assign(eventDead, { "PHX-UNSAFEKEY": "unsafe_keys", "PHX-PHIFIELD": "invalid_claim" });
    await writeSynthetic(db, {
      ...data,
      patients: [],
      clients: [...data.clients, secondClient, badClient],
      claims: [],
    });
    await db.collection("patient_src").insertMany(patients);

    const processor = await startProcessor(
      loadConfig({
        EDI_MONGODB_URI: m.uri,
        EDI_DATABASE_NAME: db.databaseName,
        EDI_OUTPUT_DIR: out,
        EDI_METRICS_PORT: "0",
        EDI_STREAM_NAME: "phi",
        EDI_WINDOW_MS: "500",
        EDI_CHECKPOINT_INTERVAL_MS: "200",
        EDI_LOG_LEVEL: "trace",
      }),
      { logger: createLogger("trace", log), metrics: new Metrics() },
    );
    try {
      await waitFor("the processor to stream", async () => processor.engine.readiness().ready, 15_000);
      await db
        .collection("claim_detail")
        .insertMany([...claims, ghost as Document, phiKey, phiField, lookupFail]);
      const deadCount = Object.keys(windowDead).length + Object.keys(eventDead).length;
      let seen = {};
      await waitFor(
        "every claim billed or dead-lettered",
        async () => {
          const emitted = await emittedClaimNumbers(db);
          const dead = await db.collection("dead_letters").distinct("claim_number");
          seen = { emitted, dead, lastLines: log.lines.slice(-6).map((l) => l.msg) };
          return emitted.length === billed.length && dead.length === deadCount;
        },
        20_000,
        () => seen,
      );
    } finally {
      await processor.stop();
    }
    expect(await processor.exited).toBe(0);
  });

  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
    if (out) await rm(out, { recursive: true, force: true });
    await m.stop();
  });

  it("carried the PHI through the pipeline (the files hold it), so its absence elsewhere means something", async () => {
    const batches = await db.collection("edi_batches").find({}).toArray();
    const content = batches.map((b) => String(b.content)).join("\n");
    for (const v of ["QUILLFEATHER", "ZEPHYRINA", "19370211", "MBRZQ7731904", "THISTLEWOOD", "WRENFIELD"])
      expect(content, v).toContain(v);
    const emitted = await db.collection("processing_history").distinct("claim_number");
    expect(emitted.sort()).toEqual(billed);
    const dead = await db.collection("dead_letters").find({}).toArray();
    expect(Object.fromEntries(dead.map((d) => [d.claim_number, d.reason]))).toEqual({
      ...windowDead,
      ...eventDead,
    });
    expect(log.raw.length).toBeGreaterThan(10);
  });

  it("dead-letters the claim whose patient lookup MongoDB refused, naming the error without the value it quoted", async () => {
    const dead = await db.collection("dead_letters").findOne({ claim_number: "PHX-LOOKUPFAIL" });
    const issues = (dead?.issues ?? []) as { path: string; message: string }[];
    expect(issues.map((i) => i.path)).toEqual(["patient"]);
    expect(issues[0]?.message).toContain("ConversionFailure, code 241");
    expect(issues[0]?.message).toMatch(/Error parsing date string '\[redacted\]'/);
    // Not retried: a retry cannot fix a document's data.
    expect(log.lines.filter((l) => l.msg === "operation failed; retrying with backoff")).toEqual([]);
  });

  it("writes no patient name, DOB, SSN, member id or address into any log line", () => {
    const found = log.raw.flatMap((line) => leaks(line).map((v) => `${v} in ${line.trim()}`));
    expect(found).toEqual([]);
  });

  it("writes no PHI into dead_letters (paths and rules only) or audit_log", async () => {
    const dead = await db.collection("dead_letters").find({}).toArray();
    expect(leaks(JSON.stringify(dead))).toEqual([]);
    // The issues still locate the problem for a person: the failing paths are named.
    const invalid = dead.find((d) => d.claim_number === "PH-00000002");
    expect(((invalid?.issues ?? []) as { path: string }[]).map((i) => i.path).sort()).toEqual(
      ["patient.address.zip", "patient.dob", "patient.gender"].sort(),
    );
    const audit = await db.collection("audit_log").find({}).toArray();
    expect(audit.length).toBeGreaterThan(0);
    expect(leaks(JSON.stringify(audit))).toEqual([]);
  });

  it("tags every line about a window with its batch id, the same one the batch row and the written line carry", async () => {
    const lines = log.lines;
    const windowLines = lines.filter((l) => "window" in l);
    expect(windowLines.length).toBeGreaterThan(0);
    for (const l of windowLines) expect(l.batchId, JSON.stringify(l)).toMatch(/^b[0-9a-z]+$/);
    // One batch id per window flush: never two windows under one id.
    const windowOf = new Map<string, unknown>();
    for (const l of windowLines) {
      const id = l.batchId as string;
      if (windowOf.has(id)) expect(l.window).toBe(windowOf.get(id));
      windowOf.set(id, l.window);
    }

    const batches = await db.collection("edi_batches").find({}).toArray();
    const written = lines.filter((l) => l.msg === "837 file written");
    expect(written.map((l) => [l.batchId, l.path]).sort()).toEqual(
      batches.map((b) => [b.batch_id, b.path]).sort(),
    );

    // Dead letters found while enriching are logged under the batch id of their window, which
    // for the mixed window is also the id of the file its valid claims went to.
    const deadLines = lines.filter((l) => l.msg === "claims sent to dead_letters");
    const deadByBatch = deadLines.flatMap((l) =>
      (l.deadLettered as { claim: string; reason: string }[]).map((d) => ({ ...d, batchId: l.batchId })),
    );
    expect(Object.fromEntries(deadByBatch.map((d) => [d.claim, d.reason]))).toEqual(windowDead);
    const mixed = deadByBatch.find((d) => d.claim === "PH-00000002");
    const mixedFile = batches.find((b) =>
      (b.claims as { claim_number: string }[]).some((c) => c.claim_number === billed[0]),
    );
    expect(mixed?.batchId).toBe(mixedFile?.batch_id);
  });

  it("tags every dead-lettered event line with its claim number and version", () => {
    const eventLines = log.lines.filter((l) => l.msg === "claim sent to dead_letters");
    expect(Object.fromEntries(eventLines.map((l) => [l.claim, l.reason]))).toEqual(eventDead);
    for (const l of eventLines) expect(l.version).toBe(1);
  });

  it("masks the MongoDB password in the connecting line and in the error when the credentials are refused", async () => {
    const captured = new CapturedLog();
    const uri = m.uri.replace(/^(mongodb(?:\+srv)?:\/\/)(?:[^@/]*@)?/, `$1phi_auditor:${PASSWORD}@`);
    const config = loadConfig({
      EDI_MONGODB_URI: uri,
      EDI_DATABASE_NAME: "phi_auth",
      EDI_METRICS_PORT: "0",
      EDI_TIMEOUT_MS: "5000",
    });
    const err = await startProcessor(config, {
      logger: createLogger("trace", captured),
      metrics: new Metrics(),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, "a user that does not exist must not be let in").toBeInstanceOf(Error);
    const connecting = captured.lines.find((l) => l.msg === "connecting");
    expect(connecting?.uri).toBe(maskUri(uri));
    expect(String(connecting?.uri)).toContain("phi_auditor:***@");
    const everything = [...captured.raw, String(err), (err as Error).stack ?? "", JSON.stringify(err)].join(
      "\n",
    );
    expect(everything).not.toContain(PASSWORD);

    // A URI that fails validation is reported by variable name only.
    const bad = (() => {
      try {
        loadConfig({ EDI_MONGODB_URI: `http://phi_auditor:${PASSWORD}@db.example:27017` });
      } catch (e) {
        return e;
      }
    })();
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as ConfigError).message).toContain("EDI_MONGODB_URI");
    expect((bad as ConfigError).message).not.toContain(PASSWORD);
  });
});
