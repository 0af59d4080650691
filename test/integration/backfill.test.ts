// Issue 12 item 5 on a real replica set, with the real binary for the operator side: claims
// that are ready but that the running processor's stream will never deliver (its stored
// position is after them, as after `token reset` past them) are billed by `claimflow backfill`
// — exactly its slice (group, billing_date range), once, through the normal batch path, while
// the stream goes on — with progress in `status` and on /metrics; a second backfill bills
// nothing new; a request made while no processor runs is carried out by the next one.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, MongoClient } from "mongodb";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProcessorHandle, startProcessor } from "../../src/app/processor.js";
import { loadConfig } from "../../src/config.js";
import { ensureIndexes } from "../../src/mongo/indexes.js";
import { MongoCheckpointStore } from "../../src/mongo/mongo-checkpoint-store.js";
import { Metrics } from "../../src/observability/metrics.js";
import type { ResumeToken } from "../../src/ports/change-feed.js";
import { writeSynthetic } from "../../src/seed/seed-database.js";
import { generate } from "../../src/seed/synthetic.js";
import { type CliResult, cli, ensureBuilt, expectUsageError } from "../cli/cli-harness.js";
import { checkExactlyOnce, refKey } from "../support/exactly-once.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";
import { waitFor } from "../support/wait-for.js";

const mongo: TestMongo | undefined = await startTestMongo();

const STREAM = "backfill-e2e";
const MARCH = (i: number) => new Date(Date.UTC(2026, 2, 1 + (i % 9), 12));
const FEBRUARY = new Date("2026-02-15T12:00:00Z");
const SLICE_ARGS = ["--group", "GRP_001", "--since", "2026-03-01", "--until", "2026-03-10"];

interface BackfillJson {
  id: string;
  state: string;
  total: number;
  scanned: number;
  alreadyEmitted: number;
  queued: number;
  billed: number;
  attempts: number;
}

describe.skipIf(!mongo)("backfill with the processor running (real binary)", () => {
  const m = mongo as TestMongo;
  let client: MongoClient;
  let db: Db;
  let out: string;
  let env: Record<string, string>;
  let proc: ProcessorHandle | undefined;
  let metrics = new Metrics({ collectDefaults: false });
  /** GRP_001, billing_date March 1-9: what the first backfill must bill. */
  const slice = new Set<string>();
  /** GRP_001 in February. */
  const february = new Set<string>();
  const otherGroup = new Set<string>();

  const ok = async (args: string[]): Promise<CliResult> => {
    const r = await cli(args, env);
    if (r.code !== 0) throw new Error(`claimflow ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r;
  };
  const json = async <T>(args: string[]): Promise<T> =>
    JSON.parse((await ok([...args, "--json"])).stdout) as T;
  const gauge = async (name: string) =>
    (await metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value;
  const start = async () => {
    metrics = new Metrics({ collectDefaults: false });
    proc = await startProcessor(loadConfig(env), { logger: pino({ level: "silent" }), metrics });
    await waitFor("the lease", async () => (await gauge("claimflow_lease_active")) === 1);
  };
  const waitDone = async (id: string): Promise<BackfillJson> => {
    let last: BackfillJson | undefined;
    await waitFor(
      `backfill ${id} done`,
      async () => {
        const s = await json<{ backfills: BackfillJson[] }>([
          "status",
          "--metrics-url",
          "http://127.0.0.1:1/metrics",
        ]);
        last = s.backfills.find((b) => b.id === id);
        return last?.state === "done";
      },
      90_000,
    );
    return last as BackfillJson;
  };
  const stillReady = async (keys: Set<string>) =>
    db.collection("claim_detail").countDocuments({
      claim_number: { $in: [...keys].map((k) => k.split("@")[0]) },
      status: "ready",
    });

  beforeAll(async () => {
    await ensureBuilt();
    client = await MongoClient.connect(m.uri);
    const dbName = m.dbName("backfill");
    db = client.db(dbName);
    await ensureIndexes(db, { includeInputCollections: true });
    out = await mkdtemp(join(tmpdir(), "claimflow-backfill-"));
    const data = generate({ claims: 48, groups: 2, clients: 2, seed: 7, now: new Date(), claimPrefix: "BF" });
    data.claims.forEach((c, i) => {
      const march = i % 4 !== 0;
      c.billing_date = march ? MARCH(i) : FEBRUARY;
      const key = refKey(c.claim_number as string, 1);
      if (c.group_id !== "GRP_001") otherGroup.add(key);
      else (march ? slice : february).add(key);
    });
    await writeSynthetic(db, data);
    // The stream's stored position is after those inserts: the processor resumes there and never
    // sees them; only a backfill can bill them.
    const cs = db.collection("claim_detail").watch([]);
    await cs.tryNext();
    const token = cs.resumeToken as ResumeToken;
    await cs.close();
    // A post-batch resume token: the hex `_data` the server hands out with an empty batch.
    expect(token).toEqual({ _data: expect.stringMatching(/^[0-9A-F]+$/) });
    await new MongoCheckpointStore(db).save({
      streamName: STREAM,
      token,
      updatedAt: new Date(),
      source: "test",
    });
    env = {
      EDI_MONGODB_URI: m.uri,
      EDI_DATABASE_NAME: dbName,
      EDI_OUTPUT_DIR: out,
      EDI_STREAM_NAME: STREAM,
      EDI_METRICS_PORT: "0",
      EDI_WINDOW_MS: "200",
      EDI_BATCH_SIZE: "5",
      EDI_CONTROL_POLL_SECONDS: "1",
    };
  }, 120_000);

  afterAll(async () => {
    await proc?.stop();
    await client?.close();
    await m.stop();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("refuses bad input with one line and exit 2", async () => {
    expectUsageError(await cli(["backfill", "--since", "2026-03-01"], env), /--group is required/);
    expectUsageError(await cli(["backfill", "--group", "GRP_001"], env), /--since is required/);
    expectUsageError(
      await cli(["backfill", "--group", "GRP_001", "--since", "last tuesday"], env),
      /--since/,
    );
    expectUsageError(await cli(["backfill", "--group", "GRP_001", "--since", "2026-02-30"], env), /--since/);
    expectUsageError(
      await cli(["backfill", "--group", "GRP_001", "--since", "2026-03-10", "--until", "2026-03-01"], env),
      /--until must be later than --since/,
    );
    expectUsageError(await cli(["backfill", "--group", "grp 1", "--since", "2026-03-01"], env), /--group/);
    expectUsageError(await cli(["backfill", ...SLICE_ARGS, "--client", "a;b"], env), /--client/);
    expectUsageError(await cli(["backfill", ...SLICE_ARGS, "--stream", "bad name!"], env), /--stream/);
    expect(await db.collection("stream_backfills").countDocuments()).toBe(0);
  });

  it("bills exactly the slice through the batch path, once, with progress in status and on /metrics", async () => {
    expect(slice.size).toBeGreaterThan(10);
    await start();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await db.collection("edi_batches").countDocuments()).toBe(0);

    const dry = await json<{ ready: number; notEmitted: number; request: null }>([
      "backfill",
      ...SLICE_ARGS,
      "--dry-run",
    ]);
    expect(dry).toMatchObject({ ready: slice.size, notEmitted: slice.size, request: null });
    const dryText = await ok(["backfill", ...SLICE_ARGS, "--dry-run"]);
    expect(dryText.stdout).toMatch(new RegExp(`not yet emitted\\s+${slice.size}$`, "m"));
    expect(await db.collection("stream_backfills").countDocuments()).toBe(0);
    expect(await db.collection("audit_log").countDocuments({ action: /^backfill/ })).toBe(0);

    const req = await json<{ request: string; state: string }>(["backfill", ...SLICE_ARGS]);
    expect(req.state).toBe("pending");
    const done = await waitDone(req.request);
    expect(done).toMatchObject({
      total: slice.size,
      scanned: slice.size,
      alreadyEmitted: 0,
      queued: slice.size,
      billed: slice.size,
      attempts: 1,
    });
    expect(await checkExactlyOnce(db, out)).toEqual(slice);
    expect(await stillReady(february)).toBe(february.size);
    expect(await stillReady(otherGroup)).toBe(otherGroup.size);
    expect(await gauge("claimflow_backfill_total_claims")).toBe(slice.size);
    expect(await gauge("claimflow_backfill_scanned_claims")).toBe(slice.size);
    expect(await gauge("claimflow_backfill_billed_claims")).toBe(slice.size);
    expect(await gauge("claimflow_backfill_running")).toBe(0);
    const text = await ok(["status", "--metrics-url", "http://127.0.0.1:1/metrics"]);
    expect(text.stdout).toMatch(
      new RegExp(
        `^backfill\\s+${req.request} done: scanned ${slice.size}/${slice.size}, already emitted 0, queued ${slice.size}, billed ${slice.size} \\(group GRP_001, billing_date from 2026-03-01T00:00:00.000Z until 2026-03-10T00:00:00.000Z; by .+@.+\\)$`,
        "m",
      ),
    );

    // Again: nothing left to bill (EDI_MARK_BILLED: they are billed now, not ready).
    expect(await json(["backfill", ...SLICE_ARGS, "--dry-run"])).toMatchObject({ ready: 0, notEmitted: 0 });
    const again = await json<{ request: string }>(["backfill", ...SLICE_ARGS]);
    expect(await waitDone(again.request)).toMatchObject({ total: 0, scanned: 0, queued: 0, billed: 0 });
    expect(await checkExactlyOnce(db, out)).toEqual(slice);

    const audit = await db
      .collection("audit_log")
      .find({ action: /^backfill/ }, { sort: { at: 1 } })
      .toArray();
    expect(audit.map((a) => [a.action, a.details.request])).toEqual([
      ["backfill_requested", req.request],
      ["backfill_done", req.request],
      ["backfill_requested", again.request],
      ["backfill_done", again.request],
    ]);
    expect(audit[1]?.details).toMatchObject({ billed: slice.size, queued: slice.size });
  }, 180_000);

  it("a request made while no processor runs is carried out by the next one", async () => {
    await proc?.stop();
    expect(await proc?.exited).toBe(0);
    proc = undefined;
    const req = await json<{ request: string; notEmitted: number }>([
      "backfill",
      "--group",
      "GRP_001",
      "--since",
      "2026-02-01",
    ]);
    // February's claims of the group; March's are billed already.
    expect(req.notEmitted).toBe(february.size);
    await start();
    expect(await waitDone(req.request)).toMatchObject({ total: february.size, billed: february.size });
    expect(await checkExactlyOnce(db, out)).toEqual(new Set([...slice, ...february]));
    expect(await stillReady(otherGroup)).toBe(otherGroup.size);
  }, 180_000);
});
