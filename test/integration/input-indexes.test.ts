// Issue 15 item 11 on a real replica set: a processor started without the input indexes says so
// (one error naming each missing index and the command that creates it, a gauge, a note on a
// still-ready /readyz, a line in `claimflow status`), and clears it at the next check after
// `claimflow indexes ensure`.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, MongoClient } from "mongodb";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProcessorHandle, startProcessor } from "../../src/app/processor.js";
import { loadConfig } from "../../src/config.js";
import { INPUT_INDEXES } from "../../src/mongo/indexes.js";
import { Metrics } from "../../src/observability/metrics.js";
import { writeSynthetic } from "../../src/seed/seed-database.js";
import { generate } from "../../src/seed/synthetic.js";
import { cli, ensureBuilt } from "../cli/cli-harness.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";
import { waitFor } from "../support/wait-for.js";

const mongo: TestMongo | undefined = await startTestMongo();

async function missingGauge(metrics: Metrics): Promise<Map<string, number>> {
  const m = (await metrics.registry.getMetricsAsJSON()).find(
    (x) => x.name === "claimflow_input_index_missing",
  );
  return new Map((m?.values ?? []).map((v) => [`${v.labels.collection}.${v.labels.index}`, v.value]));
}

describe.skipIf(!mongo)("missing input indexes are loud", () => {
  const m = mongo as TestMongo;
  let client: MongoClient;
  let db: Db;
  let out: string;
  let proc: ProcessorHandle | undefined;
  const lines: string[] = [];
  const metrics = new Metrics({ collectDefaults: false });
  let env: Record<string, string>;

  beforeAll(async () => {
    await ensureBuilt();
    client = await MongoClient.connect(m.uri);
    const dbName = m.dbName("ix");
    db = client.db(dbName);
    out = await mkdtemp(join(tmpdir(), "claimflow-ix-"));
    // Upstream data with no index but _id (and claimflow's own indexes, which `run` creates).
    await writeSynthetic(db, generate({ claims: 40, groups: 2, clients: 2, seed: 5, now: new Date() }));
    env = {
      EDI_MONGODB_URI: m.uri,
      EDI_DATABASE_NAME: dbName,
      EDI_OUTPUT_DIR: out,
      EDI_METRICS_PORT: "0",
      EDI_WINDOW_MS: "200",
      EDI_INDEX_CHECK_SECONDS: "1",
    };
  });
  afterAll(async () => {
    await proc?.stop();
    await client?.close();
    await m.stop();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("logs, exports, notes on /readyz and in status, then clears after `indexes ensure`", async () => {
    expect(await db.collection("claim_detail").listIndexes().toArray()).toHaveLength(1);
    const logger = pino({ level: "info" }, { write: (l: string) => lines.push(l) });
    proc = await startProcessor(loadConfig(env), { logger, metrics });
    const port = proc.metricsPort;

    await waitFor("the missing-index error", async () =>
      lines.some((l) => l.includes("input indexes missing")),
    );
    const errors = lines.filter((l) => l.includes("input indexes missing")).map((l) => JSON.parse(l));
    expect(errors).toHaveLength(1);
    expect(errors[0].level).toBe(50);
    for (const ix of INPUT_INDEXES) expect(errors[0].msg).toContain(`${ix.collection}.${ix.name}`);
    expect(errors[0].msg).toContain("claimflow indexes ensure");
    const gauge = await missingGauge(metrics);
    expect([...gauge.values()]).toEqual(INPUT_INDEXES.map(() => 1));

    // Slow, not wrong: still ready (and billing), with a note saying why it will be slow.
    await waitFor("ready", async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200);
    const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as Record<string, string>;
    expect(ready.status).toBe("ready");
    expect(ready.reason).toMatch(
      new RegExp(
        `^slow: ${INPUT_INDEXES.length} input index\\(es\\) missing, run \`claimflow indexes ensure\`: claim_detail\\.group_id_1_billing_date_-1, `,
      ),
    );
    await waitFor(
      "claims billed",
      async () => (await db.collection("claim_detail").countDocuments({ status: "billed" })) > 0,
    );

    // Checked again every second, but logged once while the set of missing indexes is the same.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(lines.filter((l) => l.includes("input indexes missing"))).toHaveLength(1);

    const status = await cli(["status", "--metrics-url", "http://127.0.0.1:1/metrics"], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      /input indexes\s+MISSING claim_detail\.group_id_1_billing_date_-1, .*claimflow indexes ensure/,
    );
    const statusJson = JSON.parse(
      (await cli(["status", "--json", "--metrics-url", "http://127.0.0.1:1/metrics"], env)).stdout,
    );
    expect(statusJson.inputIndexes.missing).toHaveLength(INPUT_INDEXES.length);

    const ensured = await cli(["indexes", "ensure"], env);
    expect(ensured.code, ensured.stderr).toBe(0);
    await waitFor("the gauge cleared", async () =>
      [...(await missingGauge(metrics)).values()].every((v) => v === 0),
    );
    const after = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as Record<string, string>;
    expect(after).toEqual({ status: "ready", role: "active" });
    expect(lines.some((l) => l.includes("input indexes present again"))).toBe(true);
    expect((await cli(["status", "--metrics-url", "http://127.0.0.1:1/metrics"], env)).stdout).toMatch(
      /input indexes\s+all present$/m,
    );
    await proc.stop();
    expect(await proc.exited).toBe(0);
    proc = undefined;
  });
});
