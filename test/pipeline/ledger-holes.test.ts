// Issue 16 holes 1-4 (and issue 15 item 8), each against the in-memory twins: a case that
// went wrong before the fix (claims dropped, billed with no file, a batch reserved for ever,
// two interchanges with one ISA06/ISA13, an oversized batch row, an older version billed last).
import { describe, expect, it } from "vitest";
import { validate837 } from "../../src/edi/validate.js";
import { type Ledger, reserveEach } from "../../src/ports/ledger.js";
import {
  batchesPerVersion,
  checkOutput,
  makeWorld,
  metricValue,
  moreClaims,
  type Running,
  readyVersions,
  refKey,
  reserveElsewhere,
  startEngine,
  type World,
  waitFor,
} from "./harness.js";

const sameKey = (docs: Record<string, unknown>[]) =>
  docs.map((c): Record<string, unknown> => ({ ...c, group_id: "GRP_001", client_id: "CLIENT001" }));

/**
 * `doc` filed and written by another stream's processor, then written to claim_detail where our
 * running engine reads it as a fresh event: its reservation conflicts. Returns once it did.
 */
async function conflictWithElsewhere(
  w: World,
  metrics: Running["metrics"],
  doc: Record<string, unknown>,
  batchId: string,
): Promise<void> {
  const before = await metricValue(metrics, "claimflow_claims_duplicate_total");
  await reserveElsewhere(w.ports, [doc], { batchId, streamName: "other", write: true });
  w.db.claims.insert(doc);
  await waitFor(
    "the conflict",
    async () => (await metricValue(metrics, "claimflow_claims_duplicate_total")) > before,
  );
}

describe("Ledger holes", () => {
  it("hole 1: a rival taking one claim per reserve round never makes the processor drop claims", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const real = w.ports.ledger;
    let rivals = 0;
    // Another processor with an overlapping filter wins one claim of every batch we try to reserve.
    const rivalLedger: Ledger = Object.assign(Object.create(real) as Ledger, {
      reserve: async (batch: Parameters<Ledger["reserve"]>[0]) => {
        if (batch.streamName === "test") {
          const taken = await real.findEmitted(batch.claims);
          const free = batch.claims.find((c) => !taken.some((t) => t.claim_number === c.claim_number));
          const doc = free && w.db.claims.get(free.claim_number);
          if (doc) {
            rivals++;
            await reserveElsewhere(w.ports, [doc], {
              batchId: `rival${rivals}`,
              streamName: "rival",
              write: true,
            });
          }
        }
        return real.reserve(batch);
      },
      // The group commit reserves through reserveMany: one rival round per batch of the group.
      reserveMany: (batches: Parameters<Ledger["reserveMany"]>[0]) => reserveEach(rivalLedger, batches),
    });
    const { engine } = await startEngine(
      { ...w.ports, ledger: rivalLedger },
      { windowMs: 40, batchSize: 12 },
    );
    const claims = sameKey(moreClaims(w, 12, "RIV"));
    w.db.claims.insertMany(claims);
    const want = readyVersions(claims);
    await waitFor("every claim in a batch", () => batchesPerVersion(w.db).size === want.size, 10_000);
    await engine.stop();
    expect(rivals).toBeGreaterThan(5);
    const per = batchesPerVersion(w.db);
    for (const k of want) expect(per.get(k), k).toBe(1);
    expect(await w.ports.ledger.countReserved()).toBe(0);
  });

  it("hole 2: a claim only reserved by another stream's batch is never marked billed", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const claims = sameKey(moreClaims(w, 3, "RSV"));
    // The other stream is alive (its lease is held): its batch is its own to finish.
    await w.ports.leases.tryAcquire("other", "them", 600_000);
    const { engine, metrics } = await startEngine(w.ports);
    w.db.claims.insertMany(claims);
    // Reserved by the other stream before our processor gets to them.
    await reserveElsewhere(w.ports, claims, { batchId: "theirs", streamName: "other" });
    await waitFor(
      "the repeats to be seen",
      async () => (await metricValue(metrics, "claimflow_claims_duplicate_total")) >= 3,
    );
    await engine.stop();
    for (const c of claims) expect(w.db.claims.get(c.claim_number as string)?.status).toBe("ready");
    expect(w.db.files.size).toBe(0);
  });

  it("hole 2: an active processor finishes reserved batches of a stream with no live lease", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const retired = sameKey(moreClaims(w, 3, "RET"));
    const live = sameKey(moreClaims(w, 2, "LIV", 12));
    w.db.claims.insertMany([...retired, ...live]);
    await reserveElsewhere(w.ports, retired, { batchId: "retired1", streamName: "retired" });
    await w.ports.leases.tryAcquire("busy", "them", 600_000);
    await reserveElsewhere(w.ports, live, { batchId: "busy1", streamName: "busy" });
    const { engine, metrics } = await startEngine(w.ports, { orphanMinAgeMs: 0, orphanSweepMs: 30 });
    await waitFor(
      "the retired stream's batch written",
      async () => (await w.ports.ledger.findBatch("retired1"))?.state === "written",
    );
    for (const c of retired) expect(w.db.claims.get(c.claim_number as string)?.status).toBe("billed");
    // A stream with a live lease keeps its batch; the gauge shows how old it is.
    await waitFor(
      "the oldest-reserved gauge",
      async () => (await metricValue(metrics, "claimflow_oldest_reserved_batch_age_seconds")) > 0,
    );
    expect((await w.ports.ledger.findBatch("busy1"))?.state).toBe("reserved");
    await engine.stop();
  });

  it("hole 3: senders that render the same ISA06 share one control-number sequence", async () => {
    const w = makeWorld({ groups: 1, clients: 2 });
    const [a, b] = w.data.clients as Record<string, Record<string, unknown>>[];
    w.db.lookups.upsertClients([
      { ...a, isa: { ...a?.isa, sender_id: "acme pharm" } },
      { ...b, isa: { ...b?.isa, sender_id: "ACME PHARM " } },
    ]);
    const claims = moreClaims(w, 10, "ISA").map(
      (c, i): Record<string, unknown> => ({
        ...c,
        group_id: "GRP_001",
        client_id: i % 2 ? b?.client_id : a?.client_id,
      }),
    );
    const { engine } = await startEngine(w.ports);
    w.db.claims.insertMany(claims);
    await waitFor("all filed", () => batchesPerVersion(w.db).size === 10);
    await engine.stop();
    await checkOutput(w.db);
    const interchanges = [...w.db.files.all().values()].map((content) => {
      const isa = content.split("~")[0]?.split("*") ?? [];
      return `${isa[5]}*${isa[6]}*${isa[13]}`;
    });
    expect(interchanges.length).toBeGreaterThan(1);
    expect(new Set(interchanges).size).toBe(interchanges.length);
    // One counter for both, under the key as rendered; the path says which sender.
    expect(w.db.ledger.counter("ZZ:ACME PHARM     ")).toBe(interchanges.length);
    for (const path of w.db.files.all().keys()) expect(path).toMatch(/-ZZ_ACME_PHARM-\d{9}\.837$/);
  });

  it("hole 4: the stored content of a batch stays under the size limit (large windows split)", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const claims = sameKey(moreClaims(w, 40, "BIG"));
    const { engine } = await startEngine(w.ports, { batchSize: 40, windowMs: 200, maxContentBytes: 12_000 });
    w.db.claims.insertMany(claims);
    await waitFor("all filed", () => batchesPerVersion(w.db).size === 40);
    await engine.stop();
    expect(await checkOutput(w.db)).toEqual(readyVersions(claims));
    const batches = w.db.ledger.allBatches();
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches)
      if (b.claimCount > 1) expect(Buffer.byteLength(b.content as string)).toBeLessThanOrEqual(12_000);
    for (const b of batches) expect(validate837(b.content as string).ok).toBe(true);
  });

  it("issue 15.8: an older version read again after a newer one was filed is skipped (token reset into the past)", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const [doc] = sameKey(moreClaims(w, 1, "VER"));
    if (!doc) throw new Error("no claim");
    const before = w.db.claims.clusterTime();
    // Versions 1 and 2 arrive in one window: only version 2 is filed.
    const first = await startEngine(w.ports, { windowMs: 400 });
    w.db.claims.insert({ ...doc, version: 1 });
    w.db.claims.bumpVersion(doc.claim_number as string);
    await waitFor("version 2 filed", () => batchesPerVersion(w.db).size === 1);
    await first.engine.stop();
    expect(batchesPerVersion(w.db).has(refKey(doc.claim_number as string, 2))).toBe(true);
    // An operator resets the token to before both events: the insert (version 1's image) is read
    // again, at or below the stream's reservedThrough mark, so it is looked up and skipped.
    await w.ports.checkpoints.save({
      streamName: "test",
      clusterTime: before,
      updatedAt: new Date(),
      source: "operator:test",
    });
    const { engine, metrics } = await startEngine(w.ports);
    await waitFor(
      "the old version skipped",
      async () =>
        (await metricValue(metrics, "claimflow_events_skipped_total", { reason: "superseded" })) >= 1,
    );
    await engine.stop();
    expect(batchesPerVersion(w.db).get(refKey(doc.claim_number as string, 1))).toBeUndefined();
    expect(await checkOutput(w.db)).toEqual(new Set([refKey(doc.claim_number as string, 2)]));
  });

  it("issue 15.8: after a conflict with another processor, an older version it billed a newer one of is skipped", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const [a, b] = sameKey(moreClaims(w, 2, "OVL"));
    if (!a || !b) throw new Error("no claims");
    const { engine, metrics } = await startEngine(w.ports);
    // A processor with an overlapping filter reserves claim A first: ours conflicts on it...
    await conflictWithElsewhere(w, metrics, a, "ovl-a");
    // ...so from then on every batch is looked up: claim B's version 1, read after the other
    // processor billed its version 2, is skipped.
    await reserveElsewhere(w.ports, [{ ...b, version: 2 }], {
      batchId: "ovl-b2",
      streamName: "other",
      write: true,
    });
    w.db.claims.insert({ ...b, version: 1 });
    await waitFor(
      "the old version skipped",
      async () =>
        (await metricValue(metrics, "claimflow_events_skipped_total", { reason: "superseded" })) >= 1,
    );
    await engine.stop();
    expect(batchesPerVersion(w.db).get(refKey(a.claim_number as string, 1))).toBe(1);
    expect(batchesPerVersion(w.db).get(refKey(b.claim_number as string, 1))).toBeUndefined();
  });

  it("a reservation conflict on a claim whose batch is written finishes its billed mark", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const [doc] = sameKey(moreClaims(w, 1, "BIL"));
    if (!doc) throw new Error("no claim");
    const { engine, metrics } = await startEngine(w.ports);
    // Filed and written elsewhere, but never marked billed (a crash between the file and the
    // mark); its event is newer than this stream's mark, so no lookup runs before the reserve.
    await conflictWithElsewhere(w, metrics, doc, "bil-1");
    await waitFor("the billed mark", () => w.db.claims.get(doc.claim_number as string)?.status === "billed");
    await engine.stop();
    expect(batchesPerVersion(w.db).get(refKey(doc.claim_number as string, 1))).toBe(1);
  });

  it("with EDI_MARK_BILLED off, such a conflict leaves the claim ready", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const [doc] = sameKey(moreClaims(w, 1, "NBL"));
    if (!doc) throw new Error("no claim");
    const { engine, metrics } = await startEngine(w.ports, { markBilled: false });
    await conflictWithElsewhere(w, metrics, doc, "nbl-1");
    await engine.stop();
    expect(w.db.claims.get(doc.claim_number as string)?.status).toBe("ready");
  });

  it("the emitted lookup runs only where a repeat is possible: not for events newer than the stream's mark", async () => {
    const w = makeWorld({ groups: 3, clients: 2, claims: 6 });
    const lookups = () => w.db.faults.count("ledger.lookupHistory");
    // The six claims written before the first start come through the catch-up scan: looked up.
    const first = await startEngine(w.ports);
    await waitFor("the scanned claims filed", () => batchesPerVersion(w.db).size === 6);
    expect(lookups()).toBeGreaterThan(0);
    // Claims written while streaming are newer than anything the stream reserved: no lookup.
    const afterScan = lookups();
    const fresh = moreClaims(w, 5, "NEW");
    w.db.claims.insertMany(fresh);
    await waitFor("the new claims filed", () => batchesPerVersion(w.db).size === 11);
    expect(lookups()).toBe(afterScan);
    // Read again by the next run (its checkpoint reset to before them), they are at or below
    // the stream's reservedThrough mark: looked up, found emitted, never filed a second time.
    await first.engine.stop();
    expect(await w.ports.ledger.reservedThrough("test")).not.toBeNull();
    await w.ports.checkpoints.save({
      streamName: "test",
      clusterTime: w.db.claims.events()[0]?.clusterTime,
      updatedAt: new Date(),
      source: "operator:test",
    });
    const beforeSecond = lookups();
    const reservesBefore = w.db.faults.count("ledger.reserve");
    const second = await startEngine(w.ports);
    await waitFor(
      "every claim read again",
      async () => (await metricValue(second.metrics, "claimflow_claims_duplicate_total")) >= 11,
    );
    await second.engine.stop();
    expect(lookups()).toBeGreaterThan(beforeSecond);
    // Found by the lookup (each window's answer its own, when several go as one read), so none
    // of them reaches a reservation and its conflict.
    expect(w.db.faults.count("ledger.reserve")).toBe(reservesBefore);
    expect(await metricValue(second.metrics, "claimflow_claims_emitted_total")).toBe(0);
    expect(await checkOutput(w.db)).toEqual(readyVersions([...w.data.claims, ...fresh]));
  });

  it("issue 15.8: a claim updated while its previous version's batch is in flight is filed after it", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const [doc] = sameKey(moreClaims(w, 1, "RACE"));
    if (!doc) throw new Error("no claim");
    const number = doc.claim_number as string;
    const { engine } = await startEngine(w.ports);
    // Version 1's window reaches the ledger and is held there (a slow transaction)...
    w.db.faults.arm("ledger.reserve", { hold: true });
    w.db.claims.insert({ ...doc, version: 1 });
    await waitFor("version 1 held at reserve", () => w.db.faults.heldAt("ledger.reserve") === 1);
    // ...while version 2 arrives and its window flushes (30 ms windows) before version 1 is done.
    w.db.claims.bumpVersion(number);
    await new Promise((r) => setTimeout(r, 300));
    w.db.faults.resume("ledger.reserve");
    await waitFor("both versions filed", () => batchesPerVersion(w.db).size === 2);
    await engine.stop();
    const batchOf = (v: number) =>
      w.db.ledger
        .allBatches()
        .find((b) => b.claims.some((c) => c.claim_number === number && c.version === v));
    const v1 = batchOf(1);
    const v2 = batchOf(2);
    if (!v1?.writtenAt || !v2) throw new Error("a version has no written batch");
    expect([v1.state, v2.state]).toEqual(["written", "written"]);
    // Version 2's batch was created only once version 1's file was written.
    expect(v2.createdAt.getTime()).toBeGreaterThanOrEqual(v1.writtenAt.getTime());
    expect(batchesPerVersion(w.db).get(refKey(number, 1))).toBe(1);
    expect(batchesPerVersion(w.db).get(refKey(number, 2))).toBe(1);
  });
});
