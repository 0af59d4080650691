// Compliance on a real replica set (issue 9): PHI sealed at rest (searched for in the raw BSON),
// files 0640 / directories 0750 whatever the umask, key rotation, a missing key reported and
// never a crash loop, retention with a controlled clock, one audit row per action and file, and
// batch spans without PHI. The least-privilege role run is in least-privilege.test.ts.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { type Db, MongoClient } from "mongodb";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProcessor } from "../../src/app/processor.js";
import { RetentionScheduler, runRetention } from "../../src/app/services/retention.js";
import { collectStatus } from "../../src/app/services/status-service.js";
import { loadConfig } from "../../src/config.js";
import { undecryptableBatches } from "../../src/crypto/content-inventory.js";
import { ContentKey, ContentKeyring } from "../../src/crypto/content-key.js";
import { openEnvelope, readEnvelope, sealEnvelope } from "../../src/crypto/envelope.js";
import { createContentCodec } from "../../src/crypto/envelope-codec.js";
import { ConfigError } from "../../src/domain/errors.js";
import { ensureAuditTtl, ensureIndexes } from "../../src/mongo/indexes.js";
import { MongoLedger } from "../../src/mongo/mongo-ledger.js";
import { createMongoPorts } from "../../src/mongo/mongo-ports.js";
import { Metrics } from "../../src/observability/metrics.js";
import { startTracing } from "../../src/observability/tracing.js";
import { sha256 } from "../../src/pipeline/batch-processor.js";
import { Engine, type EngineOptions } from "../../src/pipeline/engine.js";
import { type Clock, systemClock } from "../../src/ports/clock.js";
import { ContentUnreadableError, plainContentCodec } from "../../src/ports/content-codec.js";
import type { BatchRecord } from "../../src/ports/ledger.js";
import { writeSynthetic } from "../../src/seed/seed-database.js";
import { generate, makeInvalidClaims, type SyntheticData } from "../../src/seed/synthetic.js";
import { FsFileSink } from "../../src/sink/fs-file-sink.js";
import { checkExactlyOnce } from "../support/exactly-once.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";
import {
  concatFiles,
  DAY_MS,
  emittedCount,
  modeOf,
  needlesIn,
  phiNeedles,
  runCli,
  waitFor,
  walk,
} from "./support.js";

const keyA = ContentKey.generate();
const keyB = ContentKey.generate();
const b64 = (k: ContentKey) => k.material().toString("base64");

describe("content envelope", () => {
  const ring = new ContentKeyring(keyA);

  it("opens what it sealed, and the sealed value holds no plain text", () => {
    const text = "NM1*IL*1*GARCIA*MARIA****MI*M0123456789~DMG*D8*19800312*F~";
    const env = sealEnvelope(keyA, "b1", text);
    expect(env.kid).toBe(keyA.id);
    expect(Buffer.concat([env.dek, env.iv, env.data, env.tag]).includes("GARCIA")).toBe(false);
    expect(openEnvelope(ring, "b1", env)).toBe(text);
  });

  it("refuses content moved to another batch, altered bytes, and a relabelled key id", () => {
    const env = sealEnvelope(keyA, "b1", "ISA*00~");
    const reasonOf = (batchId: string, stored: unknown) => {
      try {
        openEnvelope(ring, batchId, stored);
      } catch (err) {
        expect(err).toBeInstanceOf(ContentUnreadableError);
        return (err as ContentUnreadableError).reason;
      }
      return "opened";
    };
    expect(reasonOf("b2", env)).toBe("authentication_failed");
    const flipped = Buffer.from(env.data);
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(reasonOf("b1", { ...env, data: flipped })).toBe("authentication_failed");
    const both = new ContentKeyring(keyA, [keyB]);
    expect(() => openEnvelope(both, "b1", { ...env, kid: keyB.id })).toThrow(/failed authentication/);
    expect(reasonOf("b1", { ...env, v: 2 })).toBe("malformed");
  });

  it("names the batch and the key id when the key is not configured", () => {
    const env = sealEnvelope(keyB, "b7", "ISA*00~");
    expect(() => openEnvelope(ring, "b7", env)).toThrow(
      new RegExp(`batch b7 is encrypted with key id ${keyB.id}, which is neither EDI_CONTENT_KEY`),
    );
    expect(() => openEnvelope(ContentKeyring.empty(), "b7", env)).toThrow(/EDI_CONTENT_KEY is not set/);
  });

  it("validates EDI_CONTENT_KEY and EDI_CONTENT_KEY_PREVIOUS without ever printing a key", () => {
    const short = Buffer.alloc(16, 9).toString("base64");
    let error: unknown;
    try {
      loadConfig({ EDI_CONTENT_KEY: short, EDI_CONTENT_KEY_PREVIOUS: `${b64(keyB)},not-a-key` });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/EDI_CONTENT_KEY: must be 32 random bytes, base64-encoded/);
    expect(message).toMatch(/EDI_CONTENT_KEY_PREVIOUS: entry 2 must be 32 random bytes/);
    expect(message).not.toContain(short);
    expect(message).not.toContain("not-a-key");
    const cfg = loadConfig({ EDI_CONTENT_KEY: b64(keyA), EDI_CONTENT_KEY_PREVIOUS: b64(keyB) });
    expect(cfg.contentKeys.keyIds).toEqual([keyA.id, keyB.id]);
    for (const shown of [JSON.stringify(cfg), inspect(cfg, { depth: 10 })]) {
      expect(shown).not.toContain(b64(keyA));
      expect(shown).not.toContain(b64(keyB));
      expect(shown).toContain(keyA.id);
    }
  });
});

const mongo = await startTestMongo();

const engineOptions: EngineOptions = {
  streamName: "compliance",
  batchSize: 40,
  windowMs: 200,
  maxInFlight: 2_000,
  checkpointIntervalMs: 100,
  markBilled: true,
  onTokenLost: "rescan",
  shutdownTimeoutMs: 10_000,
  leaseTtlMs: 5_000,
  statsIntervalMs: 500,
  scanPageSize: 200,
  resilience: { initialDelayMs: 20, maxDelayMs: 500 },
  holder: "compliance-test",
};

describe.skipIf(!mongo)("compliance on a real replica set", () => {
  const m = mongo as TestMongo;
  let client: MongoClient;
  const scratch: string[] = [];

  beforeAll(async () => {
    client = await MongoClient.connect(m.uri, { writeConcern: { w: "majority" } });
  });
  afterAll(async () => {
    await client?.close();
    await m.stop();
    for (const d of scratch) await rm(d, { recursive: true, force: true });
  });

  async function freshDb(prefix: string): Promise<{ db: Db; dbName: string; base: string }> {
    const dbName = m.dbName(prefix);
    const db = client.db(dbName);
    await ensureIndexes(db, { includeInputCollections: true });
    const base = await mkdtemp(join(tmpdir(), "claimflow-compliance-"));
    scratch.push(base);
    return { db, dbName, base };
  }

  function engineFor(db: Db, out: string, keyring: ContentKeyring, logger = pino({ level: "silent" })) {
    const metrics = new Metrics({ collectDefaults: false });
    const ports = createMongoPorts(client, db, {
      outputDir: out,
      streamName: engineOptions.streamName,
      codec: createContentCodec(keyring),
      maxAwaitTimeMs: 200,
    });
    const engine = new Engine(engineOptions, { ports, metrics, logger, clock: systemClock });
    return { engine, metrics, ports };
  }

  /** A reserved batch written straight through the ledger (what a crash after reserve leaves). */
  async function reserveBatch(
    db: Db,
    keyring: ContentKeyring | null,
    batchId: string,
    createdAt: Date,
  ): Promise<BatchRecord> {
    const content = `ISA*00*${batchId}*GARCIA*MARIA*M0123456789~`;
    const record: BatchRecord = {
      batchId,
      state: "reserved",
      streamName: engineOptions.streamName,
      groupId: "G1",
      clientId: "C1",
      senderId: "SENDER",
      isaControlNumber: Number.parseInt(createHash("sha256").update(batchId).digest("hex").slice(0, 6), 16),
      gsControlNumber: 1,
      path: `G1/20250101/C1-${batchId}.837`,
      content,
      sha256: sha256(content),
      claims: [{ claim_number: `X-${batchId.toUpperCase()}`, version: 1 }],
      claimCount: 1,
      createdAt,
    };
    const ledger = new MongoLedger(client, db, keyring ? createContentCodec(keyring) : plainContentCodec);
    await ledger.reserve(record);
    return record;
  }

  describe("one processor run with a content key, tracing on and a permissive umask", () => {
    let db: Db;
    let dbName: string;
    let out: string;
    let data: SyntheticData;
    let spans: ReadableSpan[];
    const logLines: Record<string, unknown>[] = [];
    const started = new Date();

    beforeAll(async () => {
      ({ db, dbName } = await freshDb("run"));
      const base = await mkdtemp(join(tmpdir(), "claimflow-compliance-"));
      scratch.push(base);
      // The output root does not exist yet: claimflow creates it (and its parent) itself.
      out = join(base, "created-by-claimflow", "837");
      data = generate({ claims: 120, groups: 3, clients: 2, seed: 9, now: new Date(), claimPrefix: "PHI" });
      await writeSynthetic(db, data);
      await db
        .collection("claim_detail")
        .insertMany(makeInvalidClaims(data.claims[0] as Record<string, unknown>, "BAD"));
      const exporter = new InMemorySpanExporter();
      const tracing = await startTracing({ exporter });
      const logger = pino(
        { level: "info" },
        { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) },
      );
      const previousUmask = process.umask(0);
      try {
        const run = engineFor(db, out, new ContentKeyring(keyA), logger);
        await run.engine.start();
        await waitFor("120 emitted", async () => (await emittedCount(db)) >= 120);
        await run.engine.stop();
      } finally {
        process.umask(previousUmask);
        await tracing.flush();
        // Read before shutdown: shutting the in-memory exporter down empties it.
        spans = exporter.getFinishedSpans();
        await tracing.shutdown();
      }
    });

    it("stores no patient name, date of birth or member id in edi_batches (raw BSON)", async () => {
      const needles = phiNeedles(data);
      // The files do carry them (so the search below could fail)...
      const files = await concatFiles(out);
      expect(needlesIn(files, needles).length).toBeGreaterThan(needles.length / 2);
      // ...the stored batches, history, dead letters and audit rows never.
      for (const name of ["edi_batches", "processing_history", "dead_letters", "audit_log"]) {
        const raw = (await db.collection(name).find({}, { raw: true }).toArray()) as unknown as Buffer[];
        expect(raw.length, name).toBeGreaterThan(0);
        expect(needlesIn(Buffer.concat(raw), needles), name).toEqual([]);
      }
    });

    it("decrypts every stored batch to the file's bytes, whose sha256 is the one recorded", async () => {
      await checkExactlyOnce(db, out);
      const codec = createContentCodec(new ContentKeyring(keyA));
      const docs = await db.collection("edi_batches").find({}).toArray();
      expect(docs.length).toBeGreaterThan(3);
      for (const d of docs) {
        expect(readEnvelope(d.content)?.kid, d.batch_id).toBe(keyA.id);
        const text = codec.decode(d.batch_id, d.content);
        expect(sha256(text)).toBe(d.sha256);
        expect(await readFile(join(out, d.path), "utf8")).toBe(text);
      }
    });

    it("creates every file 0640 and every directory it made 0750 under umask 000", async () => {
      const { files, dirs } = await walk(join(out, ".."));
      expect(files.length).toBeGreaterThan(3);
      for (const f of files) expect((await modeOf(join(out, "..", f))).toString(8), f).toBe("640");
      for (const d of dirs) expect((await modeOf(d)).toString(8), d).toBe("750");
    });

    it("writes 0640 under a restrictive umask too (077 would leave 0600)", async () => {
      const dir = join(out, "..", "..", "strict");
      const previous = process.umask(0o077);
      try {
        await new FsFileSink(dir).write("G/20250101/C-1.837", "ISA~");
      } finally {
        process.umask(previous);
      }
      expect((await modeOf(join(dir, "G/20250101/C-1.837"))).toString(8)).toBe("640");
      expect((await modeOf(join(dir, "G"))).toString(8)).toBe("750");
    });

    it("exports one span per batch with enrich, render, commit and write children and no PHI", async () => {
      const batches = await db.collection("edi_batches").find({}).toArray();
      const roots = spans.filter((s) => s.name === "claimflow.batch");
      const written = roots.filter((r) =>
        batches.some((b) => b.batch_id === r.attributes["claimflow.batch.id"]),
      );
      expect(written.length).toBe(batches.length);
      for (const root of written) {
        expect(root.attributes).toMatchObject({
          "claimflow.stream": "compliance",
          "claimflow.group_id": expect.any(String),
          "claimflow.client_id": expect.any(String),
          "claimflow.batch.claims": expect.any(Number),
        });
        const children = spans.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId);
        expect(children.map((c) => c.name).sort()).toEqual(
          ["claimflow.commit", "claimflow.enrich", "claimflow.render", "claimflow.write"].sort(),
        );
        for (const c of children) expect(c.spanContext().traceId).toBe(root.spanContext().traceId);
        // The batch's log lines carry its trace id.
        const line = logLines.find(
          (l) => l.msg === "837 file written" && l.batchId === root.attributes["claimflow.batch.id"],
        );
        expect(line?.traceId).toBe(root.spanContext().traceId);
      }
      const allowed = new Set([
        "claimflow.batch.id",
        "claimflow.stream",
        "claimflow.group_id",
        "claimflow.client_id",
        "claimflow.batch.claims",
        "claimflow.error",
        "claimflow.error.code",
      ]);
      const exported = JSON.stringify(
        spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })),
      );
      expect(needlesIn(Buffer.from(exported), phiNeedles(data))).toEqual([]);
      for (const s of spans) for (const k of Object.keys(s.attributes)) expect(allowed.has(k), k).toBe(true);
    });

    it("writes one audit row per emitted file and per operator action, listed by `audit list`", async () => {
      const env = {
        EDI_MONGODB_URI: m.uri,
        EDI_DATABASE_NAME: dbName,
        EDI_OUTPUT_DIR: out,
        EDI_STREAM_NAME: "compliance",
        EDI_METRICS_PORT: "1",
        EDI_CONTENT_KEY: b64(keyB),
        EDI_CONTENT_KEY_PREVIOUS: b64(keyA),
      };
      const batchId = String((await db.collection("edi_batches").findOne({}))?.batch_id);
      const ok = async (args: string[]) => {
        const r = await runCli(args, env);
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
        return r;
      };
      await ok(["token", "reset", "--now", "--yes", "--stream", "compliance"]);
      await ok(["dead-letters", "retry", "BAD-NOPATIENT"]);
      await ok(["dead-letters", "purge", "--before", new Date(Date.now() + DAY_MS).toISOString(), "--yes"]);
      await ok(["batches", "replay", batchId]);
      await ok(["keys", "rotate"]);
      const dry = await ok(["retention", "run", "--dry-run", "--json"]);
      expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, batchesPurged: 0, auditTtl: null });
      await ok(["retention", "run"]);

      const since = started.toISOString();
      const rows = JSON.parse(
        (await ok(["audit", "list", "--since", since, "--json", "--limit", "1000"])).stdout,
      ) as {
        action: string;
        actor: { user: string; host: string; pid: number };
        batchId?: string;
        claimNumbers?: string[];
      }[];
      const count = (action: string) => rows.filter((r) => r.action === action).length;
      const files = await db.collection("edi_batches").countDocuments();
      expect(count("file_emitted")).toBe(files);
      for (const action of [
        "token_reset",
        "dead_letter_retry",
        "dead_letter_purge",
        "batch_replay",
        "key_rotation",
        "retention_run",
      ]) {
        expect(count(action), action).toBe(1);
      }
      expect(rows.length).toBe(files + 6);
      for (const r of rows)
        expect(r.actor).toMatchObject({ user: expect.any(String), pid: expect.any(Number) });
      expect(rows.find((r) => r.action === "batch_replay")?.batchId).toBe(batchId);

      const replays = JSON.parse(
        (await ok(["audit", "list", "--since", since, "--action", "batch_replay", "--json"])).stdout,
      );
      expect(replays.map((r: { action: string }) => r.action)).toEqual(["batch_replay"]);
      const table = (await ok(["audit", "list", "--since", since, "--action", "key_rotation"])).stdout;
      expect(table.split("\n")[0]).toMatch(/^at\s+action\s+actor\s+stream\s+batch\s+claims\s+details$/);
      expect(table).toContain(`key_id=${keyB.id}`);
      const later = await ok(["audit", "list", "--since", new Date(Date.now() + DAY_MS).toISOString()]);
      expect(later.stdout).toMatch(/^no audit entries since/);

      const raw = (await db.collection("audit_log").find({}, { raw: true }).toArray()) as unknown as Buffer[];
      expect(needlesIn(Buffer.concat(raw), phiNeedles(data))).toEqual([]);
      // After the rotation every batch is under key B and still opens with B alone.
      const onlyB = createContentCodec(new ContentKeyring(keyB));
      for (const d of await db.collection("edi_batches").find({}).toArray()) {
        expect(sha256(onlyB.decode(d.batch_id, d.content))).toBe(d.sha256);
      }
    });
  });

  it("keeps every batch readable across a rotation, re-wrapping data keys and sealing plain text", async () => {
    const { db, dbName, base } = await freshDb("rotate");
    const now = new Date();
    for (let i = 0; i < 3; i++) await reserveBatch(db, null, `plain${i}`, now);
    for (let i = 0; i < 5; i++) await reserveBatch(db, new ContentKeyring(keyA), `sealed${i}`, now);
    const before = new Map(
      (await db.collection("edi_batches").find({}).toArray()).map((d) => [d.batch_id as string, d]),
    );
    const env = {
      EDI_MONGODB_URI: m.uri,
      EDI_DATABASE_NAME: dbName,
      EDI_OUTPUT_DIR: base,
      EDI_CONTENT_KEY: b64(keyB),
      EDI_CONTENT_KEY_PREVIOUS: b64(keyA),
    };
    const status = await runCli(["keys", "status", "--json"], env);
    expect(JSON.parse(status.stdout)).toMatchObject({
      plain: 3,
      byKey: [{ keyId: keyA.id, batches: 5, key: "previous" }],
    });
    const r = await runCli(["keys", "rotate", "--json"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      currentKeyId: keyB.id,
      fromKeyIds: [keyA.id],
      rewrapped: 5,
      sealed: 3,
      unreadable: 0,
    });
    const onlyB = createContentCodec(new ContentKeyring(keyB));
    for (const d of await db.collection("edi_batches").find({}).toArray()) {
      expect(readEnvelope(d.content)?.kid).toBe(keyB.id);
      expect(sha256(onlyB.decode(d.batch_id, d.content))).toBe(d.sha256);
      const old = readEnvelope(before.get(d.batch_id)?.content);
      // Only the wrapped data key changed: the ciphertext of sealed batches is untouched.
      if (old) expect(readEnvelope(d.content)?.data.equals(old.data)).toBe(true);
    }
    const again = JSON.parse((await runCli(["keys", "rotate", "--json"], env)).stdout);
    expect(again).toMatchObject({ rewrapped: 0, sealed: 0, unreadable: 0 });
    expect(await db.collection("audit_log").countDocuments({ action: "key_rotation" })).toBe(2);
    const noKey = await runCli(["keys", "rotate"], { ...env, EDI_CONTENT_KEY: undefined });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/EDI_CONTENT_KEY is not set/);
  });

  it("reports a batch sealed under an unknown key by batch and key id, recovers the rest, never crash-loops", async () => {
    const { db, dbName, base } = await freshDb("wrongkey");
    const out = join(base, "out");
    const created = new Date();
    const lost = await reserveBatch(db, new ContentKeyring(keyB), "blostkey", created);
    const fine = await reserveBatch(db, new ContentKeyring(keyA), "bfine", created);
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const run = engineFor(db, out, new ContentKeyring(keyA), logger);
    await run.engine.start();
    expect(run.engine.state).toBe("running");
    await run.engine.stop();
    const state = async (id: string) => (await db.collection("edi_batches").findOne({ batch_id: id }))?.state;
    expect(await state(fine.batchId)).toBe("written");
    expect(await readFile(join(out, fine.path), "utf8")).toBe(fine.content);
    expect(await state(lost.batchId)).toBe("reserved");
    const error = lines.find(
      (l) => l.msg === "reserved batch cannot be recovered; left in place for an operator",
    );
    expect(error).toMatchObject({ batchId: lost.batchId, keyId: keyB.id, code: "CONTENT_UNREADABLE" });
    expect(String(error?.err)).toContain(`batch ${lost.batchId} is encrypted with key id ${keyB.id}`);
    expect(await run.metrics.registry.getSingleMetricAsString("claimflow_batches_total")).toMatch(
      /outcome="failed"} 1/,
    );

    // A second start reports it again and still runs (no crash loop).
    const second = engineFor(db, out, new ContentKeyring(keyA));
    await second.engine.start();
    expect(second.engine.state).toBe("running");
    await second.engine.stop();

    const report = await collectStatus(
      {
        ports: run.ports,
        clock: systemClock,
        content: { undecryptable: () => undecryptableBatches(db, new ContentKeyring(keyA)) },
      },
      { streamName: "compliance" },
    );
    expect(report.undecryptableBatches).toEqual({ batches: 1, keyIds: [keyB.id] });
    const env = {
      EDI_MONGODB_URI: m.uri,
      EDI_DATABASE_NAME: dbName,
      EDI_OUTPUT_DIR: out,
      EDI_CONTENT_KEY: b64(keyA),
    };
    const status = await runCli(["status", "--metrics-url", "http://127.0.0.1:1/metrics"], env);
    expect(status.stdout).toMatch(
      new RegExp(`undecryptable\\s+1 batch\\(es\\) under key id\\(s\\) ${keyB.id}`),
    );
    const replay = await runCli(["batches", "replay", lost.batchId], env);
    expect(replay.code).toBe(1);
    expect(replay.stderr.trim().split("\n")).toHaveLength(1);
    expect(replay.stderr).toContain(`batch ${lost.batchId} is encrypted with key id ${keyB.id}`);
    expect(replay.stderr).toContain("it cannot be replayed");
  });

  it("removes only the content of written batches past retention, keeping rows and history (controlled clock)", async () => {
    const { db, dbName, base } = await freshDb("retention");
    const t0 = new Date("2030-06-01T00:00:00Z");
    const clock: Clock = { now: () => t0 };
    const ring = new ContentKeyring(keyA);
    const ledger = new MongoLedger(client, db, createContentCodec(ring));
    const old = await reserveBatch(db, ring, "bold", new Date(t0.getTime() - 41 * DAY_MS));
    await ledger.markWritten(old.batchId, new Date(t0.getTime() - 40 * DAY_MS));
    const recent = await reserveBatch(db, ring, "brecent", new Date(t0.getTime() - 11 * DAY_MS));
    await ledger.markWritten(recent.batchId, new Date(t0.getTime() - 10 * DAY_MS));
    const oldReserved = await reserveBatch(db, ring, "boldreserved", new Date(t0.getTime() - 50 * DAY_MS));
    // A file sent again by `batches reissue`: the old batch is superseded, its content is PHI too.
    const superseded = await reserveBatch(db, ring, "bsuperseded", new Date(t0.getTime() - 42 * DAY_MS));
    await ledger.markWritten(superseded.batchId, new Date(t0.getTime() - 41 * DAY_MS));
    await db
      .collection("edi_batches")
      .updateOne(
        { batch_id: superseded.batchId },
        { $set: { state: "superseded", superseded_by: "bnewer" } },
      );
    const deps = { db, clock, audit: createMongoPorts(client, db, { outputDir: base }).audit };
    const opts = {
      contentRetentionDays: 30,
      auditRetentionDays: 2190,
      trigger: "operator" as const,
      ensureAuditTtl: true,
    };

    const dry = await runRetention(deps, { ...opts, dryRun: true });
    expect(dry).toMatchObject({
      batchesPurged: 2,
      contentCutoff: "2030-05-02T00:00:00.000Z",
      auditTtl: null,
    });
    expect((await db.collection("edi_batches").findOne({ batch_id: old.batchId }))?.content).not.toBeNull();

    const done = await runRetention(deps, { ...opts, dryRun: false });
    expect(done).toMatchObject({ batchesPurged: 2, auditTtl: "updated" });
    const doc = async (id: string) => db.collection("edi_batches").findOne({ batch_id: id });
    expect(await doc(old.batchId)).toMatchObject({
      state: "written",
      content: null,
      content_purged_at: t0,
      sha256: old.sha256,
      isa_control_number: old.isaControlNumber,
      claims: old.claims,
    });
    expect(await doc(superseded.batchId)).toMatchObject({ state: "superseded", content: null });
    expect((await doc(recent.batchId))?.content).not.toBeNull();
    expect((await doc(oldReserved.batchId))?.content).not.toBeNull();
    expect(await db.collection("processing_history").countDocuments()).toBe(4);
    expect(await db.collection("audit_log").findOne({ action: "retention_run" })).toMatchObject({
      details: { trigger: "operator", batches_purged: 2, content_retention_days: 30, audit_ttl: "updated" },
    });
    expect((await runRetention(deps, { ...opts, dryRun: false })).batchesPurged).toBe(0);

    const env = {
      EDI_MONGODB_URI: m.uri,
      EDI_DATABASE_NAME: dbName,
      EDI_OUTPUT_DIR: base,
      EDI_CONTENT_KEY: b64(keyA),
    };
    const replay = await runCli(["batches", "replay", old.batchId], env);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(
      new RegExp(
        `batch ${old.batchId} has no stored content: it was removed by retention on 2030-06-01T00:00:00.000Z`,
      ),
    );

    // The processor's timer does the same, audited as such when it removed something.
    const later = await reserveBatch(db, ring, "blater", new Date(t0.getTime() - 45 * DAY_MS));
    await ledger.markWritten(later.batchId, new Date(t0.getTime() - 44 * DAY_MS));
    const scheduler = new RetentionScheduler(deps, {
      contentRetentionDays: 30,
      auditRetentionDays: 2190,
      intervalMs: 50,
      firstRunAfterMs: 0,
      logger: pino({ level: "silent" }),
    });
    scheduler.start();
    await waitFor("the timer's purge", async () => (await doc(later.batchId))?.content === null, 10_000);
    await scheduler.stop();
    expect(await db.collection("audit_log").countDocuments({ "details.trigger": "timer" })).toBe(1);
  });

  it("expires audit rows by a TTL index that follows EDI_AUDIT_RETENTION_DAYS", async () => {
    const { db } = await freshDb("auditttl");
    const admin = client.db("admin");
    const ttlIndex = async () =>
      (await db.collection("audit_log").listIndexes().toArray()).find((ix) => ix.name === "at_-1");
    expect(await ensureAuditTtl(db, 2190)).toBe("updated");
    expect((await ttlIndex())?.expireAfterSeconds).toBe(2190 * 86_400);
    expect(await ensureAuditTtl(db, 2190)).toBe("unchanged");
    expect(await ensureAuditTtl(db, 1)).toBe("updated");
    expect((await ttlIndex())?.expireAfterSeconds).toBe(86_400);
    const now = Date.now();
    await db.collection("audit_log").insertMany([
      { action: "old", at: new Date(now - 2 * DAY_MS) },
      { action: "new", at: new Date(now) },
    ]);
    // The TTL monitor runs every 60 s by default; one second here so the deletion is seen.
    const previous = await admin.command({ setParameter: 1, ttlMonitorSleepSecs: 1 });
    try {
      await waitFor(
        "the TTL monitor",
        async () => (await db.collection("audit_log").countDocuments({ action: "old" })) === 0,
        30_000,
      );
    } finally {
      await admin.command({ setParameter: 1, ttlMonitorSleepSecs: previous.was ?? 60 });
    }
    expect(await db.collection("audit_log").countDocuments({ action: "new" })).toBe(1);
  });

  it("warns once and exports claimflow_phi_encryption_enabled 0 when the processor runs without a key", async () => {
    for (const key of [undefined, b64(keyA)]) {
      const { dbName, base } = await freshDb("processor");
      const lines: Record<string, unknown>[] = [];
      const logger = pino({ level: "info" }, { write: (l: string) => lines.push(JSON.parse(l)) });
      const metrics = new Metrics({ collectDefaults: false });
      const config = loadConfig({
        EDI_MONGODB_URI: m.uri,
        EDI_DATABASE_NAME: dbName,
        EDI_OUTPUT_DIR: join(base, "out"),
        EDI_METRICS_PORT: "0",
        EDI_CONTENT_KEY: key,
      });
      const proc = await startProcessor(config, { logger, metrics });
      await waitFor("running", async () => proc.engine.state === "running");
      await proc.stop();
      expect(await proc.exited).toBe(0);
      const gauge = await metrics.registry.getSingleMetricAsString("claimflow_phi_encryption_enabled");
      const warnings = lines.filter((l) => String(l.msg).includes("EDI_CONTENT_KEY is not set"));
      if (key === undefined) {
        expect(gauge).toMatch(/claimflow_phi_encryption_enabled\{stream="[^"]+"\} 0$/m);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]?.level).toBe(40); // pino's warn
      } else {
        expect(gauge).toMatch(/claimflow_phi_encryption_enabled\{stream="[^"]+"\} 1$/m);
        expect(warnings).toHaveLength(0);
      }
    }
  });
});
