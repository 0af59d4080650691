// Issue 12 item 6 on a real replica set, with the real binary for the operator side: `claimflow
// pause` stops a running processor's reading within EDI_CONTROL_POLL_SECONDS (it stays up and
// ready, saying it is paused, with claimflow_paused 1), survives a restart, and `claimflow
// resume` bills everything written meanwhile exactly once.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, MongoClient } from "mongodb";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProcessorHandle, startProcessor } from "../../src/app/processor.js";
import { loadConfig } from "../../src/config.js";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { Metrics } from "../../src/observability/metrics.js";
import { writeSynthetic } from "../../src/seed/seed-database.js";
import { generate } from "../../src/seed/synthetic.js";
import { cli, ensureBuilt, expectUsageError } from "../cli/cli-harness.js";
import { checkExactlyOnce } from "../support/exactly-once.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";
import { waitFor } from "../support/wait-for.js";

const mongo: TestMongo | undefined = await startTestMongo();

describe.skipIf(!mongo)("pause and resume a running processor", () => {
  const m = mongo as TestMongo;
  let client: MongoClient;
  let db: Db;
  let out: string;
  let env: Record<string, string>;
  let proc: ProcessorHandle | undefined;
  const metrics = new Metrics({ collectDefaults: false });
  const lines: string[] = [];

  const billed = () => db.collection("claim_detail").countDocuments({ status: "billed" });
  const ready = () => db.collection("claim_detail").countDocuments({ status: "ready" });
  const gauge = async () =>
    (await metrics.registry.getSingleMetric("claimflow_paused")?.get())?.values[0]?.value;
  const readyz = async () => {
    const r = await fetch(`http://127.0.0.1:${proc?.metricsPort}/readyz`);
    return { code: r.status, body: (await r.json()) as Record<string, string> };
  };
  const start = async () => {
    proc = await startProcessor(loadConfig(env), {
      logger: pino({ level: "info" }, { write: (l: string) => lines.push(l) }),
      metrics,
    });
  };
  const addClaims = async (seed: number, prefix: string) => {
    const data = generate({ claims: 30, groups: 2, clients: 2, seed, now: new Date(), claimPrefix: prefix });
    // Their patients too (clients and NPIs are the seeded ones): nothing here is a dead letter.
    await db.collection("patient").insertMany(data.patients);
    await db.collection("claim_detail").insertMany(data.claims);
  };

  beforeAll(async () => {
    await ensureBuilt();
    client = await MongoClient.connect(m.uri);
    const dbName = m.dbName("pause");
    db = client.db(dbName);
    await ensureIndexes(db, { includeInputCollections: true });
    out = await mkdtemp(join(tmpdir(), "claimflow-pause-"));
    await writeSynthetic(
      db,
      generate({ claims: 20, groups: 2, clients: 2, seed: 3, now: new Date(), claimPrefix: "PA" }),
    );
    env = {
      EDI_MONGODB_URI: m.uri,
      EDI_DATABASE_NAME: dbName,
      EDI_OUTPUT_DIR: out,
      EDI_METRICS_PORT: "0",
      EDI_WINDOW_MS: "200",
      EDI_CONTROL_POLL_SECONDS: "1",
    };
  });
  afterAll(async () => {
    await proc?.stop();
    await client?.close();
    await m.stop();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("refuses a pause without a reason, or with one that is not one line", async () => {
    expectUsageError(await cli(["pause"], env), /--reason/);
    expectUsageError(await cli(["pause", "--reason", "two\nlines"], env), /--reason must be 1-200 printable/);
    expectUsageError(await cli(["resume", "--stream", "bad stream!"], env), /--stream/);
  });

  it("stops reading within the poll interval, stays ready and paused across a restart, then bills everything once", async () => {
    await start();
    await waitFor("the seeded claims billed", async () => (await billed()) === 20);
    expect(await gauge()).toBe(0);

    const paused = await cli(["pause", "--reason", "payer outage"], env);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/state\s+paused$/m);
    await waitFor("paused", async () => (await gauge()) === 1);
    // The pull in progress finishes first (at most the stream's await time).
    await waitFor("the source paused", async () => (await readyz()).body.reason !== undefined);
    const r = await readyz();
    expect(r.code).toBe(200);
    expect(r.body.reason).toMatch(/^paused by .+@.+: payer outage$/);
    await addClaims(5, "PB");
    await new Promise((res) => setTimeout(res, 2_500));
    expect(await billed()).toBe(20);
    expect(await ready()).toBe(30);
    const status = await cli(["status", "--metrics-url", "http://127.0.0.1:1/metrics"], env);
    expect(status.stdout).toMatch(/paused\s+YES since .* by .+: payer outage \(`claimflow resume`\)$/m);

    // A restart does not undo a pause: the new processor does not read one event.
    await proc?.stop();
    expect(await proc?.exited).toBe(0);
    await start();
    expect(await gauge()).toBe(1);
    await addClaims(6, "PC");
    await new Promise((res) => setTimeout(res, 2_500));
    expect(await billed()).toBe(20);
    expect((await readyz()).body.reason).toContain("payer outage");

    const resumed = await cli(["resume", "--reason", "payer back"], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    await waitFor("everything billed", async () => (await billed()) === 80, 60_000);
    expect(await gauge()).toBe(0);
    expect((await readyz()).body).toEqual({ status: "ready", role: "active" });
    await proc?.stop();
    expect(await proc?.exited).toBe(0);
    proc = undefined;
    await checkExactlyOnce(db, out);
    const audit = await db
      .collection("audit_log")
      .find({ action: { $in: ["stream_paused", "stream_resumed"] } }, { sort: { at: 1 } })
      .toArray();
    expect(audit.map((a) => [a.action, a.details.reason])).toEqual([
      ["stream_paused", "payer outage"],
      ["stream_resumed", "payer back"],
    ]);
    expect(lines.some((l) => l.includes("stream paused by an operator"))).toBe(true);
  });
});
