// The real binary against a real replica set (one per file): every operator command succeeds
// on good input and changes exactly what it says, refuses what it must, and leaves an audit row.
// The test arranges state through the same Mongo ports the processor uses.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTimestamp } from "../../src/mongo/cluster-time.js";
import { createMongoPorts } from "../../src/mongo/mongo-ports.js";
import type { PipelinePorts } from "../../src/ports/bundle.js";
import type { BatchRecord } from "../../src/ports/ledger.js";
import { readSent, ta1For } from "../support/ack-builders.js";
import { startTestMongo, type TestMongo } from "../support/mongo.js";
import { type CliResult, cli, ensureBuilt, expectUsageError, ROOT, sh } from "./cli-harness.js";

const mongo: TestMongo | undefined = await startTestMongo();
const STREAM = "claim_detail";

describe.skipIf(!mongo)("operator commands on a replica set", () => {
  let client: MongoClient;
  let db: Db;
  let ports: PipelinePorts;
  let outputDir: string;
  let env: Record<string, string>;
  let metricsServer: Server;
  let metricsUrl: string;
  const startedAt = new Date();

  const run = (args: string[]): Promise<CliResult> => cli(args, env);
  /** Exit 0; stderr empty, or exactly the expected warning lines. */
  const ok = async (args: string[], warnings: RegExp[] = []): Promise<CliResult> => {
    const r = await run(args);
    if (r.code !== 0) throw new Error(`claimflow ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    expect(lines, r.stderr).toHaveLength(warnings.length);
    for (const [i, w] of warnings.entries()) expect(lines[i]).toMatch(w);
    return r;
  };
  const json = async <T>(args: string[]): Promise<T> =>
    JSON.parse((await ok([...args, "--json"])).stdout) as T;
  const failsWith = async (args: string[], pattern: RegExp): Promise<void> => {
    const r = await run(args);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  beforeAll(async () => {
    if (!mongo) return;
    await ensureBuilt();
    const dbName = mongo.dbName("cli");
    client = await MongoClient.connect(mongo.uri);
    db = client.db(dbName);
    outputDir = await mkdtemp(join(tmpdir(), "claimflow-cli-"));
    ports = createMongoPorts(client, db, { outputDir });
    // A stand-in for a running processor's /metrics, so `status` can be checked reading it.
    metricsServer = createServer((_req, res) => {
      res.setHeader("content-type", "text/plain; version=0.0.4");
      res.end(
        [
          "# HELP claimflow_open_windows (group_id, client_id) windows currently buffering claims",
          "# TYPE claimflow_open_windows gauge",
          // As a processor exposes them: `stream` on every series (older builds: no label).
          'claimflow_open_windows{stream="claims-main"} 3',
          "claimflow_buffered_claims 42",
          "claimflow_stream_lag_seconds 1.5",
          "claimflow_streaming 1",
          "claimflow_circuit_state 0",
          'claimflow_mongo_errors_total{operation="stats"} 7',
        ].join("\n"),
      );
    });
    await new Promise<void>((resolve) => metricsServer.listen(0, "127.0.0.1", resolve));
    metricsUrl = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`;
    env = {
      EDI_MONGODB_URI: mongo.uri,
      EDI_DATABASE_NAME: dbName,
      EDI_OUTPUT_DIR: outputDir,
      EDI_TIMEOUT_MS: "20000",
      // Nothing listens there: `status` without --metrics-url must report it, not fail.
      EDI_METRICS_PORT: "9",
    };
  }, 240_000);

  afterAll(async () => {
    if (!mongo) return;
    metricsServer?.close();
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
    await mongo.stop();
    if (outputDir) await rm(outputDir, { recursive: true, force: true });
  });

  describe("indexes ensure", () => {
    it("creates every index once and reports them as existing afterwards", async () => {
      const first = await ok(["indexes", "ensure"]);
      expect(first.stdout).toMatch(/claim_detail\.claim_number_1\s+created/);
      expect(first.stdout).toMatch(/processing_history\.claim_number_1_version_1\s+created/);
      const second = await json<{ created: string[]; existing: string[] }>(["indexes", "ensure"]);
      expect(second.created).toEqual([]);
      expect(second.existing).toContain("claim_detail.claim_number_1");
      expect(second.existing).toContain("dead_letters.claim_number_1_version_1");
      const unique = (await db.collection("processing_history").indexes()).find(
        (ix) => ix.name === "claim_number_1_version_1",
      );
      expect(unique?.unique).toBe(true);
    });
  });

  describe("seed", () => {
    it("inserts ready claims with their references, plus invalid ones on request", async () => {
      const report = await json<{ claims: number; invalid: number; patients: number; clients: number }>([
        "seed",
        "--claims",
        "12",
        "--groups",
        "2",
        "--clients",
        "2",
        "--invalid",
        "3",
        "--prefix",
        "CLI",
      ]);
      expect(report).toMatchObject({ claims: 12, invalid: 3, patients: 12, clients: 2 });
      expect(await db.collection("claim_detail").countDocuments({ claim_number: /^CLI-/ })).toBe(15);
      expect(await db.collection("claim_detail").countDocuments({ status: "ready" })).toBe(15);
      const groups = await db.collection("claim_detail").distinct("group_id");
      expect(groups.sort()).toEqual(["GRP_001", "GRP_002"]);
    });

    it("refuses to seed the same prefix twice (exit 1, one line)", async () => {
      await failsWith(["seed", "--claims", "3", "--prefix", "CLI"], /prefix CLI already exist/);
      expect(await db.collection("claim_detail").countDocuments({ claim_number: /^CLI-/ })).toBe(15);
    });
  });

  describe("token show", () => {
    it("says there is no checkpoint on a fresh stream", async () => {
      const r = await ok(["token", "show"]);
      expect(r.stdout).toMatch(/checkpoint\s+none: the processor will scan ready claims/);
      expect(r.stdout).toMatch(/lease\s+none/);
    });

    it("reads the cluster time out of a real resume token saved without one", async () => {
      const stream = db.collection("token_probe").watch([], {
        startAtOperationTime: toTimestamp(await ports.feed.currentClusterTime()),
      });
      const next = stream.next();
      await db.collection("token_probe").insertOne({ n: 1 });
      const event = await next;
      await stream.close();
      const eventTime = event.clusterTime as unknown as { t: number; i: number };
      await ports.checkpoints.save({
        streamName: STREAM,
        token: event._id as unknown as Record<string, unknown>,
        updatedAt: new Date(),
        source: "processor",
      });
      const view = await json<{ checkpoint: { clusterTime: string; clusterTimeFrom: string } }>([
        "token",
        "show",
      ]);
      expect(view.checkpoint.clusterTime).toBe(new Date(eventTime.t * 1000).toISOString());
      expect(view.checkpoint.clusterTimeFrom).toBe("token");
      const text = await ok(["token", "show"]);
      expect(text.stdout).toContain(`(increment ${eventTime.i}, read from the token)`);
    });

    it("prints the token abbreviated, its cluster time, age, source and the lease holder", async () => {
      const data = `8263${"A1".repeat(40)}0004`;
      await ports.checkpoints.save({
        streamName: STREAM,
        token: { _data: data },
        clusterTime: { t: 1_767_225_600, i: 7 },
        updatedAt: new Date(Date.now() - 90_000),
        source: "processor",
      });
      await ports.leases.tryAcquire(STREAM, "proc-host:4242", 60_000);
      const r = await ok(["token", "show"]);
      expect(r.stdout).toContain(`token         ${data.slice(0, 16)}…${data.slice(-8)}`);
      expect(r.stdout).not.toContain(data);
      expect(r.stdout).toMatch(/cluster time\s+2026-01-01T00:00:00\.000Z \(increment 7\)/);
      expect(r.stdout).toMatch(/age\s+1m 3\ds/);
      expect(r.stdout).toMatch(/source\s+processor/);
      expect(r.stdout).toMatch(/lease\s+proc-host:4242 until .* \(live\)/);

      const view = await json<{ checkpoint: { token: string; clusterTime: string }; ageSeconds: number }>([
        "token",
        "show",
      ]);
      expect(view.checkpoint.token).toBe(`${data.slice(0, 16)}…${data.slice(-8)}`);
      expect(view.ageSeconds).toBeGreaterThanOrEqual(90);
    });
  });

  describe("token reset", () => {
    it("refuses without a terminal and without --yes (exit 2), changing nothing", async () => {
      const r = await run(["token", "reset", "--clear"]);
      expectUsageError(r, /token reset needs confirmation: run it on a terminal, or pass --yes/);
      expect((await ports.checkpoints.load(STREAM))?.token).toBeDefined();
    });

    it("is refused while another processor holds a live lease", async () => {
      await failsWith(
        ["token", "reset", "--now", "--yes"],
        /refusing to reset stream "claim_detail": its lease is held by proc-host:4242 until .*--force/,
      );
      expect((await ports.checkpoints.load(STREAM))?.token).toEqual({ _data: expect.any(String) });
    });

    it("with --force stores the current cluster time without a token and audits the old position", async () => {
      const before = Math.floor(Date.now() / 1000);
      const r = await ok(
        ["token", "reset", "--now", "--yes", "--force"],
        [
          /^warning: the lease is held by proc-host:4242 until .*its next checkpoint save will overwrite this reset$/,
        ],
      );
      expect(r.stdout).toMatch(/before\s+token 8263A1A1A1A1A1A1…A1A10004 at 2026-01-01T00:00:00\.000Z/);
      expect(r.stdout).toMatch(/after\s+cluster time .* \(no token\)/);
      expect(r.stdout).toMatch(/forced\s+yes/);
      const cp = await ports.checkpoints.load(STREAM);
      expect(cp?.token).toBeUndefined();
      // The cluster time of an idle replica set advances only with writes, and the primary's
      // no-op writer ticks every 10 s: it can be that far behind the wall clock (seen: 7 s).
      expect(cp?.clusterTime?.t).toBeGreaterThanOrEqual(before - 15);
      expect(cp?.source).toMatch(/^operator:/);
      const [row] = await ports.audit.list({ since: startedAt, action: "token_reset", limit: 10 });
      expect(row?.streamName).toBe(STREAM);
      expect(row?.details).toMatchObject({
        mode: "now",
        old_token: "8263A1A1A1A1A1A1…A1A10004",
        old_cluster_time: "2026-01-01T00:00:00.000Z",
        forced: true,
        lease_holder: "proc-host:4242",
      });
      expect(row?.actor.pid).toBeGreaterThan(0);
    });

    it("moves to a given time with --at once the lease is gone", async () => {
      await ports.leases.release(STREAM, "proc-host:4242");
      // The test replica set's oplog is seconds old, so this point is before it: said, not refused.
      const r = await ok(
        ["token", "reset", "--at", "2026-01-02T03:04:05Z", "--yes", "--json"],
        [/^warning: --at is older than the oldest oplog entry \(window \d+ s\): .*EDI_ON_TOKEN_LOST/],
      );
      const result = JSON.parse(r.stdout) as { after: { clusterTime: string; token: null } };
      expect(result.after).toMatchObject({ clusterTime: "2026-01-02T03:04:05.000Z", token: null });
      expect((await ports.checkpoints.load(STREAM))?.clusterTime).toEqual({ t: 1_767_323_045, i: 0 });
    });

    it("refuses a time later than the cluster's clock (exit 2)", async () => {
      const r = await run(["token", "reset", "--at", "2999-01-01T00:00:00Z", "--yes"]);
      expectUsageError(r, /--at must not be later than the cluster's current time/);
      expect((await ports.checkpoints.load(STREAM))?.clusterTime?.t).toBe(1_767_323_045);
    });

    it("deletes the checkpoint with --clear, on the named stream only", async () => {
      await ports.checkpoints.save({ streamName: "other", updatedAt: new Date(), source: "processor" });
      await ok(["token", "reset", "--clear", "--yes", "--stream", "other"]);
      expect(await ports.checkpoints.load("other")).toBeNull();
      expect(await ports.checkpoints.load(STREAM)).not.toBeNull();
      await ok(["token", "reset", "--clear", "--yes"]);
      expect(await ports.checkpoints.load(STREAM)).toBeNull();
      const rows = await ports.audit.list({ since: startedAt, action: "token_reset", limit: 10 });
      expect(rows.map((r) => r.details?.mode)).toEqual(["clear", "clear", "at", "now"]);
    });

    it("asks on a terminal and goes ahead only on yes", async () => {
      // `script` runs the binary on a pseudo-terminal and feeds it the piped answer.
      const onTty = (answer: string) =>
        sh(
          `printf '${answer}\\n' | script -qec "${process.execPath} bin/claimflow.js token reset --now" /dev/null`,
          env,
        );
      const no = await onTty("no");
      expect(no.code).toBe(1);
      expect(no.stdout).toContain(
        'Reset stream "claim_detail" from no checkpoint to the current cluster time?',
      );
      expect(no.stdout).toContain("token reset cancelled; nothing was changed");
      expect(await ports.checkpoints.load(STREAM)).toBeNull();
      const yes = await onTty("yes");
      expect(yes.code, yes.stdout).toBe(0);
      expect(yes.stdout).toMatch(/after\s+cluster time/);
      expect((await ports.checkpoints.load(STREAM))?.clusterTime).toBeDefined();
    });
  });

  describe("dead-letters", () => {
    const BADTOTAL = "CLI-BAD0-BADTOTAL";
    const FIXED = "CLI-00000004";

    beforeAll(async () => {
      if (!mongo) return;
      await ports.deadLetters.record(
        [
          {
            claimNumber: BADTOTAL,
            version: 1,
            reason: "invalid_claim",
            issues: [{ path: "total_charge", message: "must equal the sum of line charges" }],
            groupId: "GRP_001",
            clientId: "CLIENT001",
          },
          // A claim whose patient was missing and has since been loaded: it now parses and is ready.
          {
            claimNumber: FIXED,
            version: 1,
            reason: "patient_missing",
            issues: [{ path: "patient_id", message: "no patient with this patient_id" }],
            groupId: "GRP_001",
            clientId: "CLIENT001",
          },
        ],
        new Date(Date.now() - 3600_000),
      );
    });

    it("lists dead letters, filtered by reason", async () => {
      const r = await ok(["dead-letters", "list"]);
      expect(r.stdout).toMatch(
        /^claim\s+version\s+reason\s+group\s+client\s+attempts\s+last seen\s+issues$/m,
      );
      expect(r.stdout).toMatch(
        new RegExp(`^${BADTOTAL}\\s+1\\s+invalid_claim\\s+GRP_001\\s+CLIENT001\\s+1\\s`, "m"),
      );
      const missing = await json<{ claimNumber: string }[]>([
        "dead-letters",
        "list",
        "--reason",
        "patient_missing",
        "--limit",
        "5",
      ]);
      expect(missing.map((d) => d.claimNumber)).toEqual([FIXED]);
    });

    it("shows one claim's dead letters with issue paths", async () => {
      const r = await ok(["dead-letters", "show", BADTOTAL]);
      expect(r.stdout).toMatch(/reason\s+invalid_claim/);
      expect(r.stdout).toMatch(/issues\s+total_charge: must equal the sum of line charges/);
      await failsWith(["dead-letters", "show", "CLI-NOPE"], /no dead letter for claim CLI-NOPE/);
    });

    it("refuses to retry a claim that is still invalid, listing paths only", async () => {
      await failsWith(
        ["dead-letters", "retry", BADTOTAL],
        /claim CLI-BAD0-BADTOTAL is still invalid, fix it upstream first: total_charge: must equal/,
      );
      expect(await ports.deadLetters.get(BADTOTAL)).toHaveLength(1);
    });

    it("retries a claim that now passes: removes the dead letter and puts it back on the change stream", async () => {
      // Opened at the current cluster time, so the retry's touch cannot slip in before it.
      const stream = db.collection("claim_detail").watch([], {
        fullDocument: "updateLookup",
        startAtOperationTime: toTimestamp(await ports.feed.currentClusterTime()),
      });
      const next = stream.next();
      const r = await ok(["dead-letters", "retry", FIXED]);
      expect(r.stdout).toContain(
        `claim ${FIXED} v1: 1 dead letter(s) removed; queued for the processor again`,
      );
      const event = (await next) as { operationType: string; fullDocument?: { claim_number?: string } };
      await stream.close();
      expect(event.operationType).toBe("update");
      expect(event.fullDocument?.claim_number).toBe(FIXED);
      expect(await ports.deadLetters.get(FIXED)).toEqual([]);
      const [row] = await ports.audit.list({ since: startedAt, action: "dead_letter_retry", limit: 5 });
      expect(row?.claimNumbers).toEqual([FIXED]);
      expect(row?.details).toMatchObject({
        version: 1,
        removed: 1,
        requeued: true,
        reasons: "patient_missing",
      });
      await failsWith(["dead-letters", "retry", FIXED], /no dead letter for claim/);
    });

    it("purges dead letters last seen before a time, after confirmation", async () => {
      expectUsageError(
        await run(["dead-letters", "purge", "--before", "2999-01-01"]),
        /dead-letter purge needs confirmation/,
      );
      const kept = await json<{ purged: number }>([
        "dead-letters",
        "purge",
        "--before",
        new Date(Date.now() - 7200_000).toISOString(),
        "--yes",
      ]);
      expect(kept.purged).toBe(0);
      const r = await ok(["dead-letters", "purge", "--before", new Date().toISOString(), "--yes"]);
      expect(r.stdout).toMatch(/^1 dead letter\(s\) last seen before .* purged$/m);
      expect(await ports.deadLetters.count()).toBe(0);
      const [row] = await ports.audit.list({ since: startedAt, action: "dead_letter_purge", limit: 5 });
      expect(row?.details?.purged).toBe(1);
    });
  });

  describe("batches replay", () => {
    const batch = (id: string, content: string, isa: number): BatchRecord => ({
      batchId: id,
      state: "reserved",
      streamName: STREAM,
      groupId: "GRP_001",
      clientId: "CLIENT001",
      senderId: "SENDER1",
      isaControlNumber: isa,
      gsControlNumber: isa,
      path: `GRP_001/20260314/CLIENT001-${String(isa).padStart(9, "0")}.837`,
      content,
      sha256: createHash("sha256").update(content, "utf8").digest("hex"),
      claims: [{ claim_number: `REPLAY-${isa}`, version: 1 }],
      claimCount: 1,
      createdAt: new Date(),
    });
    let content: string;

    beforeAll(async () => {
      if (!mongo) return;
      content = await readFile(join(ROOT, "test/fixtures/golden/simple.837"), "utf8");
      await ports.ledger.reserve(batch("bREPLAYOK", content, 901));
      await ports.ledger.markWritten("bREPLAYOK", new Date());
      await ports.ledger.reserve(batch("bREPLAYBAD", content, 902));
      // Someone edited the stored content by hand: its sha256 no longer matches.
      await db
        .collection("edi_batches")
        .updateOne({ batch_id: "bREPLAYBAD" }, { $set: { content: `${content}X` } });
    });

    it("rewrites the file byte for byte from the stored content and audits it", async () => {
      const r = await ok(["batches", "replay", "bREPLAYOK"]);
      const path = "GRP_001/20260314/CLIENT001-000000901.837";
      expect(r.stdout).toContain(`${outputDir}/${path}`);
      expect(r.stdout).toMatch(/sha256\s+[0-9a-f]{64} \(verified\)/);
      expect(await readFile(join(outputDir, path), "utf8")).toBe(content);
      const [row] = await ports.audit.list({ since: startedAt, action: "batch_replay", limit: 5 });
      expect(row).toMatchObject({ batchId: "bREPLAYOK", claimNumbers: ["REPLAY-901"] });
    });

    it("refuses content that does not match its sha256, writing nothing (exit 1)", async () => {
      await failsWith(
        ["batches", "replay", "bREPLAYBAD"],
        /does not match its recorded sha256; refusing to write it/,
      );
      await expect(readFile(join(outputDir, "GRP_001/20260314/CLIENT001-000000902.837"))).rejects.toThrow();
    });

    it("says so when the batch does not exist (exit 1)", async () => {
      await failsWith(["batches", "replay", "bNOSUCHBATCH"], /batch bNOSUCHBATCH is not in edi_batches/);
    });
  });

  describe("batches reissue", () => {
    const SENDER = "ZZ:SUNRISE        ";
    let content: string;

    beforeAll(async () => {
      if (!mongo) return;
      // A file as the processor wrote it (ISA13 000000001 of sender ZZ/SUNRISE), written.
      content = await readFile(join(ROOT, "test/fixtures/golden/simple.837"), "utf8");
      await ports.ledger.reserve({
        batchId: "bREISSUE",
        state: "reserved",
        streamName: STREAM,
        groupId: "GRP_001",
        clientId: "CLIENT001",
        senderId: SENDER,
        isaControlNumber: 1,
        gsControlNumber: 1,
        path: "GRP_001/20260314/CLIENT001-ZZ_SUNRISE-000000001.837",
        content,
        sha256: createHash("sha256").update(content, "utf8").digest("hex"),
        claims: [{ claim_number: "REISSUE-1", version: 1 }],
        claimCount: 1,
        createdAt: new Date(),
      });
      await ports.ledger.markWritten("bREISSUE", new Date());
      // The sender's counter is ahead (the processor used more numbers meanwhile).
      await ports.ledger.nextControlNumber(SENDER);
    });

    it("refuses a missing or multi-line reason before connecting (exit 2)", async () => {
      expectUsageError(await run(["batches", "reissue", "bREISSUE"]), /required option '--reason <text>'/);
      expectUsageError(
        await run(["batches", "reissue", "bREISSUE", "--reason", "two\nlines"]),
        /--reason must be 1-200 printable ASCII characters on one line/,
      );
      expectUsageError(await run(["batches", "reissue", "../x", "--reason", "r"]), /<batch_id>/);
    });

    it("writes the same claims under the sender's next ISA13, supersedes the old batch and audits the reason", async () => {
      // The clearinghouse's TA1 rejecting the first file: still shown with the claim afterwards.
      const ackDir = await mkdtemp(join(tmpdir(), "claimflow-reissue-acks-"));
      await writeFile(join(ackDir, "reject.ta1"), ta1For(readSent(content), "R", "024"));
      await ok(["acks", "import", join(ackDir, "reject.ta1")]);
      const r = await json<{ batchId: string; isaControlNumber: number; path: string; resumed: boolean }>([
        "batches",
        "reissue",
        "bREISSUE",
        "--reason",
        "TA1 R 024 rejected the envelope",
      ]);
      // The counter gave 1 to the first file and took a block; the reissue gets a later number.
      expect(r.isaControlNumber).toBeGreaterThan(1);
      expect(r.resumed).toBe(false);
      const isa13 = String(r.isaControlNumber).padStart(9, "0");
      expect(r.path).toMatch(new RegExp(`^GRP_001/\\d{8}/CLIENT001-ZZ_SUNRISE-${isa13}\\.837$`));
      const file = await readFile(join(outputDir, r.path), "utf8");
      // Everything between BHT and GE (the claims, SE) is the same, byte for byte.
      expect(file.split("~\n").slice(4, -3)).toEqual(content.split("~\n").slice(4, -3));
      expect(file).toContain(`*00501*${isa13}*0*T*:~`);
      const valid = await run(["validate", join(outputDir, r.path)]);
      expect(valid.code, valid.stdout + valid.stderr).toBe(0);

      const shown = await ok(["batches", "show", "bREISSUE"]);
      expect(shown.stdout).toMatch(/state\s+superseded/);
      expect(shown.stdout).toMatch(new RegExp(`superseded by\\s+${r.batchId}`));
      const listed = await json<{ batchId: string }[]>(["batches", "list", "--state", "superseded"]);
      expect(listed.map((b) => b.batchId)).toEqual(["bREISSUE"]);
      const claim = await ok(["claims", "show", "REISSUE-1"]);
      expect(claim.stdout).toContain(`${r.batchId} (reissue of bREISSUE)`);
      expect(claim.stdout).toMatch(/emitted/);
      expect(claim.stdout).toMatch(/^1\s+TA1\s+rejected\s+.*bREISSUE/m);
      const shownJson = await json<{ versions: { reissuedFrom?: string[] }[] }>([
        "claims",
        "show",
        "REISSUE-1",
      ]);
      expect(shownJson.versions[0]?.reissuedFrom).toEqual(["bREISSUE"]);
      const [row] = await ports.audit.list({ since: startedAt, action: "batch_reissue", limit: 5 });
      expect(row).toMatchObject({
        batchId: r.batchId,
        claimNumbers: ["REISSUE-1"],
        details: expect.objectContaining({
          reason: "TA1 R 024 rejected the envelope",
          reissue_of: "bREISSUE",
        }),
      });

      await failsWith(
        ["batches", "reissue", "bREISSUE", "--reason", "again"],
        new RegExp(`already reissued as ${r.batchId}; reissue that one instead`),
      );
      await failsWith(
        ["batches", "reissue", "bNOSUCH", "--reason", "x"],
        /batch bNOSUCH is not in edi_batches/,
      );
    });
  });

  describe("report daily", () => {
    // A day of its own (2030-01-15), far from the batches other tests write today.
    const at = (iso: string) => new Date(iso);
    const rec = (
      id: string,
      group: string,
      client: string,
      isa: number,
      created: string,
      over: Partial<BatchRecord> = {},
    ): BatchRecord => ({
      batchId: id,
      state: "reserved",
      streamName: STREAM,
      groupId: group,
      clientId: client,
      senderId: "ZZ:REPORT          ",
      isaControlNumber: isa,
      gsControlNumber: isa,
      path: `${group}/20300115/${client}-ZZ_REPORT-${String(isa).padStart(9, "0")}.837`,
      content: `content ${id}`,
      sha256: `sha-${id}`,
      claims: [
        { claim_number: `RPT-${id}-1`, version: 1 },
        { claim_number: `RPT-${id}-2`, version: 1 },
      ],
      claimCount: 2,
      createdAt: at(created),
      ...over,
    });

    beforeAll(async () => {
      if (!mongo) return;
      const golden = await readFile(join(ROOT, "test/fixtures/golden/simple.837"), "utf8");
      const written = async (b: BatchRecord, when: string) => {
        await ports.ledger.reserve(b);
        await ports.ledger.markWritten(b.batchId, at(when));
      };
      await written(
        rec("rA1", "GRP_A", "C1", 7001, "2030-01-15T01:00:00Z", { totalChargeCents: 10_000 }),
        "2030-01-15T01:00:01Z",
      );
      // Recorded before batches carried their total: read back from the stored file (CLM02 125),
      // created the evening before and written after midnight: it belongs to the 15th.
      await written(
        rec("rA2", "GRP_A", "C1", 7002, "2030-01-14T23:59:50Z", {
          content: golden,
          claims: [{ claim_number: "RPT-rA2-1", version: 1 }],
          claimCount: 1,
        }),
        "2030-01-15T00:00:05Z",
      );
      await written(
        rec("rB1", "GRP_B", "C2", 7003, "2030-01-15T08:00:00Z", { totalChargeCents: 5_050 }),
        "2030-01-15T08:00:01Z",
      );
      // Without a total and without content (retention): counted as a file without amounts.
      await written(
        rec("rB2", "GRP_B", "C2", 7004, "2030-01-15T09:00:00Z", { content: null }),
        "2030-01-15T09:00:01Z",
      );
      // The next day, and a batch never written: not in the 15th.
      await written(
        rec("rB3", "GRP_B", "C2", 7005, "2030-01-15T23:59:59Z", { totalChargeCents: 999 }),
        "2030-01-16T00:00:00Z",
      );
      await ports.ledger.reserve(
        rec("rB4", "GRP_B", "C2", 7006, "2030-01-15T10:00:00Z", { totalChargeCents: 777 }),
      );
      // rB1 sent again under a new number: one more file, no more claims or charges.
      await ports.ledger.reissue(
        "rB1",
        rec("rB1r", "GRP_B", "C2", 7007, "2030-01-15T12:00:00Z", {
          claims: rec("rB1", "", "", 0, "2030-01-15T00:00:00Z").claims,
          totalChargeCents: 5_050,
        }),
        at("2030-01-15T12:00:00Z"),
      );
      await ports.ledger.markWritten("rB1r", at("2030-01-15T12:00:01Z"));
      const dl = (
        n: string,
        reason: "invalid_claim" | "patient_missing" | "client_missing",
        group: string,
        client: string,
      ) => ({
        claimNumber: n,
        version: 1,
        reason,
        issues: [{ path: "x", message: "y" }],
        groupId: group,
        clientId: client,
      });
      await ports.deadLetters.record(
        [dl("RPT-D1", "invalid_claim", "GRP_A", "C1"), dl("RPT-D2", "invalid_claim", "GRP_A", "C1")],
        at("2030-01-15T05:00:00Z"),
      );
      await ports.deadLetters.record(
        [dl("RPT-D3", "patient_missing", "GRP_A", "C1")],
        at("2030-01-14T10:00:00Z"),
      );
      await ports.deadLetters.record(
        [dl("RPT-D3", "patient_missing", "GRP_A", "C1")],
        at("2030-01-15T10:00:00Z"),
      );
      await ports.deadLetters.record(
        [dl("RPT-D4", "client_missing", "GRP_B", "C2")],
        at("2030-01-15T20:00:00Z"),
      );
    });

    // `status` (below) counts reserved batches and dead letters of the whole database.
    afterAll(async () => {
      if (!mongo) return;
      await db.collection("edi_batches").deleteMany({ batch_id: { $regex: "^r[AB]" } });
      await db.collection("processing_history").deleteMany({ claim_number: { $regex: "^RPT-" } });
      await db.collection("dead_letters").deleteMany({ claim_number: { $regex: "^RPT-" } });
    });

    it("counts the day's files, claims, charges and new dead letters per group and client", async () => {
      const r = await json<Record<string, unknown>>(["report", "daily", "--date", "2030-01-15"]);
      expect(r).toMatchObject({
        date: "2030-01-15",
        timeZone: "UTC",
        from: "2030-01-15T00:00:00.000Z",
        until: "2030-01-16T00:00:00.000Z",
      });
      expect(r.clients).toEqual([
        {
          groupId: "GRP_A",
          clientId: "C1",
          files: 2,
          reissued: 0,
          claims: 3,
          totalCharges: "225.00",
          totalChargeCents: 22_500,
          filesWithoutAmounts: 0,
        },
        {
          groupId: "GRP_B",
          clientId: "C2",
          files: 3,
          reissued: 1,
          claims: 4,
          totalCharges: "50.50",
          totalChargeCents: 5_050,
          filesWithoutAmounts: 1,
        },
      ]);
      expect(r.totals).toEqual({
        files: 5,
        reissued: 1,
        claims: 7,
        totalCharges: "275.50",
        totalChargeCents: 27_550,
        filesWithoutAmounts: 1,
      });
      expect(r.deadLetters).toEqual([
        { reason: "client_missing", groupId: "GRP_B", clientId: "C2", count: 1 },
        { reason: "invalid_claim", groupId: "GRP_A", clientId: "C1", count: 2 },
      ]);
      expect(r.deadLettersTotal).toBe(3);

      const csv = await ok(["report", "daily", "--date", "2030-01-15", "--csv"]);
      expect(csv.stdout.split("\r\n")).toEqual([
        "record,date,group_id,client_id,reason,files,reissued,claims,total_charges,files_without_amounts,dead_letters",
        "files,2030-01-15,GRP_A,C1,,2,0,3,225.00,0,",
        "files,2030-01-15,GRP_B,C2,,3,1,4,50.50,1,",
        "dead_letters,2030-01-15,GRP_B,C2,client_missing,,,,,,1",
        "dead_letters,2030-01-15,GRP_A,C1,invalid_claim,,,,,,2",
        "total,2030-01-15,,,,5,1,7,275.50,1,3",
        "",
      ]);
      const text = await ok(["report", "daily", "--date", "2030-01-15"]);
      expect(text.stdout).toMatch(/total charges\s+275\.50 \(\+ 1 file\(s\) without amounts\)/);
      expect(text.stdout).toMatch(/GRP_B\s+C2\s+3\s+1\s+4\s+50\.50/);
    });

    it("counts the day in the given time zone, and refuses bad input with exit 2", async () => {
      // In Tokyo (UTC+9) the 16th starts at 15:00 UTC on the 15th: rB3 (written at midnight UTC) and the last
      // dead letter fall on it.
      const r = await json<{
        from: string;
        totals: { files: number; claims: number };
        deadLettersTotal: number;
      }>(["report", "daily", "--date", "2030-01-16", "--tz", "Asia/Tokyo"]);
      expect(r.from).toBe("2030-01-15T15:00:00.000Z");
      expect(r.totals).toMatchObject({ files: 1, claims: 2 });
      expect(r.deadLettersTotal).toBe(1);
      expectUsageError(
        await run(["report", "daily", "--date", "2030-02-30"]),
        /--date must be a calendar date YYYY-MM-DD/,
      );
      expectUsageError(await run(["report", "daily"]), /required option '--date <YYYY-MM-DD>'/);
      expectUsageError(
        await run(["report", "daily", "--date", "2030-01-15", "--tz", "Nowhere/City"]),
        /--tz "Nowhere\/City" is not a time zone/,
      );
      expectUsageError(
        await run(["report", "daily", "--date", "2030-01-15", "--json", "--csv"]),
        /exclusive/,
      );
    });
  });

  describe("status", () => {
    it("reports checkpoint, lease, ledger and dead letters, and a processor's live figures", async () => {
      await ports.leases.tryAcquire(STREAM, "proc-host:5151", 60_000);
      const report = await json<{
        checkpoint: { token: string | null } | null;
        checkpointAgeSeconds: number;
        streamLagSeconds: number;
        reservedBatches: number;
        deadLetters: number;
        readyBacklog: number;
        lease: { holder: string; live: boolean };
        processor: { reachable: boolean; snapshot: Record<string, unknown> };
      }>(["status", "--metrics-url", metricsUrl]);
      expect(report.checkpoint?.token).toBeNull();
      expect(report.checkpointAgeSeconds).toBeGreaterThanOrEqual(0);
      expect(report.streamLagSeconds).toBeGreaterThanOrEqual(0);
      expect(report.reservedBatches).toBe(1);
      expect(report.deadLetters).toBe(0);
      expect(report.readyBacklog).toBe(15);
      expect(report.lease).toMatchObject({ holder: "proc-host:5151", live: true });
      expect(report.processor.reachable).toBe(true);
      expect(report.processor.snapshot).toMatchObject({
        openWindows: 3,
        bufferedClaims: 42,
        streamLagSeconds: 1.5,
        streaming: true,
        circuit: "closed",
      });
    });

    it("still answers when no processor's metrics are reachable", async () => {
      const r = await ok(["status"]);
      expect(r.stdout).toMatch(/reserved batches\s+1/);
      expect(r.stdout).toMatch(/dead letters\s+0/);
      expect(r.stdout).toMatch(/processor\s+metrics not reachable at http:\/\/127\.0\.0\.1:9\/metrics/);
    });
  });

  describe("audit list", () => {
    it("lists operator actions since a time, newest first, filtered by action", async () => {
      const all = await json<{ action: string }[]>(["audit", "list", "--since", startedAt.toISOString()]);
      const actions = new Set(all.map((r) => r.action));
      for (const a of ["token_reset", "dead_letter_retry", "dead_letter_purge", "batch_replay"]) {
        expect(actions, a).toContain(a);
      }
      const resets = await json<{ action: string }[]>([
        "audit",
        "list",
        "--since",
        startedAt.toISOString(),
        "--action",
        "token_reset",
        "--limit",
        "2",
      ]);
      expect(resets.map((r) => r.action)).toEqual(["token_reset", "token_reset"]);
      const text = await ok([
        "audit",
        "list",
        "--since",
        startedAt.toISOString(),
        "--action",
        "batch_replay",
      ]);
      expect(text.stdout).toMatch(/^at\s+action\s+actor\s+stream\s+batch\s+claims\s+details$/m);
      expect(text.stdout).toMatch(/batch_replay\s+\S+@\S+\s+claim_detail\s+bREPLAYOK\s+REPLAY-901\s+path=/);
      const none = await ok(["audit", "list", "--since", "2999-01-01"]);
      expect(none.stdout).toContain("no audit entries since 2999-01-01T00:00:00.000Z");
    });
  });
});
