// Least privilege on an auth-enabled replica set: ops/mongo-roles.js (run here in a vm whose
// `db` answers with the real server's state, its commands then executed through the driver, so
// the shipped script and its role file are what is proven) creates claimflowProcessor and
// claimflowOperator; `claimflow run` under a user holding only claimflowProcessor bills every
// claim (files flow, sealed content, traces exported to an OTLP/HTTP collector), the server
// refuses its writes outside the role, and the operator CLI works under claimflowOperator alone.
import * as fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createContext, runInContext } from "node:vm";
import { type Db, MongoClient, MongoServerError } from "mongodb";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProcessor } from "../../src/app/processor.js";
import { loadConfig } from "../../src/config.js";
import { ContentKey, ContentKeyring } from "../../src/crypto/content-key.js";
import { createContentCodec } from "../../src/crypto/envelope-codec.js";
import { INPUT_INDEXES } from "../../src/mongo/indexes.js";
import { Metrics } from "../../src/observability/metrics.js";
import { sha256 } from "../../src/pipeline/batch-processor.js";
import { writeSynthetic } from "../../src/seed/seed-database.js";
import { generate } from "../../src/seed/synthetic.js";
import { ack999For, readSent } from "../support/ack-builders.js";
import { checkExactlyOnce } from "../support/exactly-once.js";
import { type AuthTestMongo, type MongoUser, startAuthTestMongo } from "../support/mongo.js";
import { emittedCount, modeOf, needlesIn, phiNeedles, runCli, waitFor, walk } from "./support.js";

const ROOT = { user: "root", pwd: "root-secret-pw" };
const PROCESSOR = { user: "claimflow", pwd: "processor-secret-pw" };
const OPERATOR = { user: "operator", pwd: "operator-secret-pw" };
const SCRIPT = fs.readFileSync(path.resolve(import.meta.dirname, "../../ops/mongo-roles.js"), "utf8");

const rs = await startAuthTestMongo(ROOT, "LEAST-PRIVILEGE TESTS");
const uriFor = (who: MongoUser) => (rs as AuthTestMongo).uriFor(who);

type Command = Record<string, unknown>;

/**
 * Runs ops/mongo-roles.js for database `dbName`. The script's `db.adminCommand` answers
 * `rolesInfo` with what the server said just before; every other command is recorded and then
 * executed, in order, through the driver as root.
 */
async function applyRolesScript(
  root: MongoClient,
  dbName: string,
): Promise<{ commands: Command[]; printed: string[] }> {
  const admin = root.db("admin");
  const existing = new Set<string>();
  for (const role of ["claimflowProcessor", "claimflowOperator"]) {
    const info = await admin.command({ rolesInfo: { role, db: "admin" } });
    if ((info.roles as unknown[]).length > 0) existing.add(role);
  }
  const commands: Command[] = [];
  const printed: string[] = [];
  const context = createContext({
    db: {
      adminCommand: (cmd: Command) => {
        if ("rolesInfo" in cmd) {
          const role = (cmd.rolesInfo as { role: string }).role;
          return { ok: 1, roles: existing.has(role) ? [{ role, db: "admin" }] : [] };
        }
        commands.push(cmd);
        return { ok: 1 };
      },
    },
    print: (...args: unknown[]) => printed.push(args.join(" ")),
    require: (name: string) => {
      if (name === "node:fs") return fs;
      if (name === "node:path") return path;
      throw new Error(`unexpected require(${name})`);
    },
    process: { env: { CLAIMFLOW_DB: dbName } },
    __dirname: path.resolve(import.meta.dirname, "../../ops"),
  });
  runInContext(SCRIPT, context, { filename: "mongo-roles.js" });
  for (const cmd of commands) await admin.command(cmd);
  return { commands, printed };
}

async function expectUnauthorized(what: string, op: () => Promise<unknown>): Promise<MongoServerError> {
  const err = await op().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${what} was allowed`).toBeInstanceOf(MongoServerError);
  expect((err as MongoServerError).code, what).toBe(13);
  expect((err as MongoServerError).codeName).toBe("Unauthorized");
  return err as MongoServerError;
}

describe.skipIf(!rs)("least-privilege MongoDB roles (auth-enabled replica set)", () => {
  const dbName = "claimflow_lp";
  let root: MongoClient;
  let rootDb: Db;
  let base: string;
  let collector: Server;
  let collectorUrl: string;
  const exported: Buffer[] = [];
  const processorKey = ContentKey.generate();

  beforeAll(async () => {
    root = await MongoClient.connect(uriFor(ROOT), { writeConcern: { w: "majority" } });
    rootDb = root.db(dbName);
    base = await mkdtemp(path.join(tmpdir(), "claimflow-lp-"));
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.method === "POST" && req.url === "/v1/traces") exported.push(Buffer.concat(chunks));
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    const address = collector.address();
    collectorUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await root?.close();
    await new Promise((resolve) => collector?.close(resolve));
    await rs?.stop();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it("creates both roles from the shipped script, and updates them in place when run again", async () => {
    const first = await applyRolesScript(root, dbName);
    expect(first.commands.map((c) => Object.keys(c)[0])).toEqual(["createRole", "createRole"]);
    expect(first.printed).toEqual([
      expect.stringMatching(/^created role admin\.claimflowProcessor \(\d+ privileges on claimflow_lp\)$/),
      expect.stringMatching(/^created role admin\.claimflowOperator \(\d+ privileges on claimflow_lp\)$/),
    ]);
    const again = await applyRolesScript(root, dbName);
    expect(again.commands.map((c) => Object.keys(c)[0])).toEqual(["updateRole", "updateRole"]);
    const info = await root.db("admin").command({ rolesInfo: "claimflowProcessor", showPrivileges: true });
    const privileges = info.roles[0].privileges as {
      resource: { db?: string; collection?: string; cluster?: boolean };
      actions: string[];
    }[];
    const on = (db: string, collection: string) =>
      privileges.find((p) => p.resource.db === db && p.resource.collection === collection)?.actions.sort();
    expect(on(dbName, "claim_detail")).toEqual(["changeStream", "find", "listIndexes", "update"]);
    expect(on(dbName, "patient")).toEqual(["find", "listIndexes"]);
    // No document of the oplog (every write of the cluster, PHI included): the window comes from
    // serverStatus on the cluster resource, and nothing at all is granted on the local database.
    expect(on("local", "oplog.rs")).toBeUndefined();
    expect(privileges.filter((p) => p.resource.db === "local")).toEqual([]);
    expect(privileges.find((p) => p.resource.cluster === true)?.actions).toEqual(["serverStatus"]);
    expect(on(dbName, "processing_history")).not.toContain("remove");

    const admin = root.db("admin");
    await admin.command({
      createUser: PROCESSOR.user,
      pwd: PROCESSOR.pwd,
      roles: [{ role: "claimflowProcessor", db: "admin" }],
    });
    await admin.command({
      createUser: OPERATOR.user,
      pwd: OPERATOR.pwd,
      roles: [{ role: "claimflowOperator", db: "admin" }],
    });
  });

  it("runs the processor end to end under claimflowProcessor only, and the server refuses a write to patient", async () => {
    const key = processorKey;
    const data = generate({
      claims: 150,
      groups: 3,
      clients: 2,
      seed: 21,
      now: new Date(),
      claimPrefix: "LP",
    });
    await writeSynthetic(rootDb, data);
    // Input indexes are the deployment's (root); claimflow's own are created by the processor.
    for (const ix of INPUT_INDEXES)
      await rootDb.collection(ix.collection).createIndex(ix.key, { ...ix.options, name: ix.name });

    const out = path.join(base, "out");
    const lines: string[] = [];
    const logger = pino({ level: "debug" }, { write: (l: string) => lines.push(l) });
    const metrics = new Metrics({ collectDefaults: false });
    const config = loadConfig({
      EDI_MONGODB_URI: uriFor(PROCESSOR),
      EDI_DATABASE_NAME: dbName,
      EDI_OUTPUT_DIR: out,
      EDI_METRICS_PORT: "0",
      EDI_WINDOW_MS: "200",
      EDI_BATCH_SIZE: "60",
      EDI_CONTROL_POLL_SECONDS: "1",
      EDI_CONTENT_KEY: key.material().toString("base64"),
      OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
    });
    // A backfill request waiting for it (as `claimflow backfill` leaves one): the processor reads
    // and updates stream_backfills under its role, beside the catch-up scan of the same claims.
    await rootDb.collection("stream_backfills").insertOne({
      _id: "bf-least-privilege",
      stream: config.streamName,
      group: "GRP_001",
      since: new Date("2000-01-01T00:00:00Z"),
      state: "pending",
      requested_at: new Date(),
      requested_by: "root@test",
      attempts: 0,
      total: 0,
      scanned: 0,
      already_emitted: 0,
      queued: 0,
      billed: 0,
    } as Record<string, unknown>);
    const proc = await startProcessor(config, { logger, metrics });
    await waitFor("150 emitted", async () => (await emittedCount(rootDb)) >= 150);
    await waitFor(
      "the backfill request done",
      async () => (await rootDb.collection("stream_backfills").findOne({}))?.state === "done",
    );
    // One stats refresh has read the oplog window (serverStatus, no oplog document read).
    await waitFor("the oplog window gauge", async () =>
      /claimflow_oplog_window_seconds\{stream="[^"]+"\} [1-9]/.test(
        await metrics.registry.getSingleMetricAsString("claimflow_oplog_window_seconds"),
      ),
    );
    // The role may list the input collections' indexes: the missing-index check ran, found them
    // all, and never fell back to "not listable".
    expect(await metrics.registry.getSingleMetricAsString("claimflow_input_index_missing")).toMatch(
      /claimflow_input_index_missing\{collection="patient",index="patient_id_1",stream="[^"]+"\} 0/,
    );
    await proc.stop();
    expect(await proc.exited).toBe(0);

    // Files flow: every claim in exactly one valid file (0640), each claim marked billed.
    await checkExactlyOnce(rootDb, out);
    expect(await rootDb.collection("claim_detail").countDocuments({ status: "billed" })).toBe(150);
    for (const f of (await walk(out)).files)
      expect((await modeOf(path.join(out, f))).toString(8)).toBe("640");
    const codec = createContentCodec(new ContentKeyring(key));
    for (const d of await rootDb.collection("edi_batches").find({}).toArray()) {
      expect(sha256(codec.decode(d.batch_id, d.content))).toBe(d.sha256);
    }
    // Nothing it needed was refused, and its password never reached a log line.
    const log = lines.join("");
    expect(log).not.toMatch(/Unauthorized|not authorized|cannot list the indexes/);
    expect(log).not.toContain(PROCESSOR.pwd);
    expect(await rootDb.collection("audit_log").countDocuments({ action: "file_emitted" })).toBe(
      await rootDb.collection("edi_batches").countDocuments(),
    );
    const ttl = (await rootDb.collection("audit_log").listIndexes().toArray()).find(
      (ix) => ix.name === "at_-1",
    );
    expect(ttl?.expireAfterSeconds).toBe(2190 * 86_400);

    // Spans reached the OTLP/HTTP collector, with batch ids and no PHI.
    expect(exported.length).toBeGreaterThan(0);
    const body = Buffer.concat(exported);
    for (const name of [
      "claimflow.batch",
      "claimflow.enrich",
      "claimflow.render",
      "claimflow.commit",
      "claimflow.write",
    ]) {
      expect(body.includes(name), name).toBe(true);
    }
    const someBatch = (await rootDb.collection("edi_batches").findOne({}))?.batch_id as string;
    expect(body.includes(someBatch)).toBe(true);
    expect(needlesIn(body, phiNeedles(data))).toEqual([]);

    // The same account, outside its role: refused by the server.
    const asProcessor = await MongoClient.connect(uriFor(PROCESSOR));
    try {
      const db = asProcessor.db(dbName);
      const patient = data.patients[0] as { patient_id: string };
      const refused = await expectUnauthorized("update patient", () =>
        db.collection("patient").updateOne({ patient_id: patient.patient_id }, { $set: { last_name: "X" } }),
      );
      expect(refused.message).toMatch(
        /^not authorized on claimflow_lp to execute command \{ update: "patient"/,
      );
      await expectUnauthorized("insert patient", () =>
        db.collection("patient").insertOne({ patient_id: "P-NEW" }),
      );
      await expectUnauthorized("delete processing_history", () =>
        db.collection("processing_history").deleteMany({}),
      );
      await expectUnauthorized("delete edi_batches", () => db.collection("edi_batches").deleteOne({}));
      await expectUnauthorized("read audit_log", () => db.collection("audit_log").findOne({}));
      await expectUnauthorized("delete claim_detail", () => db.collection("claim_detail").deleteOne({}));
      await expectUnauthorized("another database", () =>
        asProcessor.db("other").collection("x").insertOne({}),
      );
      // The oplog holds every write of the cluster (SSNs included): the processor cannot read it.
      const oplogRead = await expectUnauthorized("read local.oplog.rs", () =>
        asProcessor.db("local").collection("oplog.rs").findOne({}),
      );
      expect(oplogRead.message).toMatch(/not authorized on local/);
      await expectUnauthorized("aggregate local.oplog.rs", () =>
        asProcessor
          .db("local")
          .collection("oplog.rs")
          .aggregate([{ $limit: 1 }])
          .toArray(),
      );
    } finally {
      await asProcessor.close();
    }
  });

  it("runs the operator commands under claimflowOperator only, which cannot read patients", async () => {
    const newKey = ContentKey.generate();
    const b64 = (k: ContentKey) => k.material().toString("base64");
    // First without the processor's key (status and replay name the missing key id), then with it
    // as the previous key (replay and rotation work).
    const batchId = (await rootDb.collection("edi_batches").findOne({}))?.batch_id as string;
    const kid = (await rootDb.collection("edi_batches").findOne({}))?.content.kid as string;
    expect(kid).toMatch(/^[0-9a-f]{16}$/);
    const env = {
      EDI_MONGODB_URI: uriFor(OPERATOR),
      EDI_DATABASE_NAME: dbName,
      EDI_OUTPUT_DIR: path.join(base, "out"),
      EDI_CONTENT_KEY: b64(newKey),
    };
    const status = await runCli(["status", "--metrics-url", "http://127.0.0.1:1/metrics"], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(`undecryptable\\s+\\d+ batch\\(es\\) under key id\\(s\\) ${kid}`),
    );
    const replay = await runCli(["batches", "replay", batchId], env);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toContain(`key id ${kid}`);
    const withPrevious = { ...env, EDI_CONTENT_KEY_PREVIOUS: b64(processorKey) };
    for (const args of [
      ["batches", "replay", batchId],
      ["keys", "rotate"],
      ["keys", "status"],
      ["status", "--metrics-url", "http://127.0.0.1:1/metrics"],
      ["audit", "list", "--since", "2000-01-01", "--json"],
      ["dead-letters", "list"],
      ["retention", "run"],
      ["retention", "run", "--dry-run"],
      ["token", "show"],
      ["token", "reset", "--now", "--yes"],
      ["pause", "--reason", "payer outage"],
      ["resume"],
      ["backfill", "--group", "GRP_001", "--since", "2000-01-01", "--dry-run"],
      ["backfill", "--group", "GRP_001", "--since", "2000-01-01"],
    ]) {
      const r = await runCli(args, withPrevious);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      if (args[0] === "status") {
        expect(r.stdout).toMatch(/undecryptable\s+0$/m);
        expect(r.stdout).toMatch(/input indexes\s+all present$/m);
      }
    }
    // The read-side toolkit and acknowledgements: a 999 for one of the files the processor wrote
    // is imported (acknowledgements find/insert/update, history and batches read) and shown.
    const [firstFile] = (await walk(path.join(base, "out"))).files.filter((f) => f.endsWith(".837"));
    const sentText = fs.readFileSync(path.join(base, "out", firstFile as string), "utf8");
    const sent = readSent(sentText);
    const ackDir = path.join(base, "acks-in");
    fs.mkdirSync(ackDir, { recursive: true });
    fs.writeFileSync(path.join(ackDir, "answer.999"), ack999For(sent));
    const history = await rootDb.collection("processing_history").findOne({});
    for (const args of [
      ["acks", "import", path.join(ackDir, "answer.999")],
      ["acks", "list", "--json"],
      ["claims", "show", history?.claim_number as string],
      ["batches", "list"],
      ["batches", "show", batchId],
      ["report", "daily", "--date", new Date().toISOString().slice(0, 10), "--csv"],
      // Ledger writes of the reissue: new edi_batches row, history repointed, a control number.
      ["batches", "reissue", batchId, "--reason", "TA1 rejected the envelope"],
    ]) {
      const r = await runCli(args, withPrevious);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
    expect(fs.readdirSync(path.join(ackDir, "processed"))).toEqual(["answer.999"]);
    expect(await rootDb.collection("acknowledgements").countDocuments({ kind: "999", row: "batch" })).toBe(1);
    const actions = await rootDb
      .collection("audit_log")
      .distinct("action", { action: { $ne: "file_emitted" } });
    const reissued = await rootDb.collection("edi_batches").findOne({ reissue_of: batchId });
    expect(reissued?.state).toBe("written");
    expect(await rootDb.collection("edi_batches").findOne({ batch_id: batchId })).toMatchObject({
      state: "superseded",
      superseded_by: reissued?.batch_id,
    });
    expect(actions.sort()).toEqual([
      "backfill_done",
      "backfill_requested",
      "batch_reissue",
      "batch_replay",
      "key_rotation",
      "retention_run",
      "stream_paused",
      "stream_resumed",
      "token_reset",
    ]);
    const asOperator = await MongoClient.connect(uriFor(OPERATOR));
    try {
      await expectUnauthorized("operator reads patient", () =>
        asOperator.db(dbName).collection("patient").findOne({}),
      );
      await expectUnauthorized("operator inserts history", () =>
        asOperator.db(dbName).collection("processing_history").insertOne({ claim_number: "X", version: 1 }),
      );
      // Requests are the operator's to make, the processor's to carry out and record.
      await expectUnauthorized("operator updates a backfill request", () =>
        asOperator
          .db(dbName)
          .collection("stream_backfills")
          .updateOne({}, { $set: { state: "done" } }),
      );
      await expectUnauthorized("operator reads local.oplog.rs", () =>
        asOperator.db("local").collection("oplog.rs").findOne({}),
      );
    } finally {
      await asOperator.close();
    }
  });
});
