// The lease, checkpoint and dead-letter port contracts, run against MongoDB
// (mongo-state-contracts.test.ts) and the in-memory twins (memory-state-contracts.test.ts): the
// fast engine tests lean on these twins for takeover, resume and dead-letter behaviour, so they
// must mean what the MongoDB stores mean.
import { setTimeout as sleep } from "node:timers/promises";
import { beforeEach, describe, expect, it } from "vitest";
import type { CheckpointStore } from "../../src/ports/checkpoint-store.js";
import type { DeadLetterEntry, DeadLetterStore } from "../../src/ports/dead-letters.js";
import type { LeaseStore } from "../../src/ports/lease.js";
import type { StreamControlStore } from "../../src/ports/stream-control.js";

export interface StateWorld {
  readonly leases: LeaseStore;
  readonly checkpoints: CheckpointStore;
  readonly deadLetters: DeadLetterStore;
  readonly controls: StreamControlStore;
}

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

function entry(claimNumber: string, version = 1, extra: Partial<DeadLetterEntry> = {}): DeadLetterEntry {
  return {
    claimNumber,
    version,
    reason: "invalid_claim",
    issues: [{ path: "total_charge", code: "invalid_type" }],
    ...extra,
  } as DeadLetterEntry;
}

export function stateContracts(name: string, make: () => Promise<StateWorld>): void {
  describe(`${name}: lease contract`, () => {
    let w: StateWorld;
    beforeEach(async () => {
      w = await make();
    });

    it("one holder at a time; the holder renews; a lapsed lease is taken over", async () => {
      expect(await w.leases.current("s1")).toBeNull();
      expect(await w.leases.tryAcquire("s1", "p1", 60_000)).toBe(true);
      expect(await w.leases.tryAcquire("s1", "p2", 60_000)).toBe(false);
      expect(await w.leases.tryAcquire("s1", "p1", 60_000)).toBe(true);
      const held = await w.leases.current("s1");
      expect(held).toMatchObject({ streamName: "s1", holder: "p1", live: true });
      // Another stream name is another lease.
      expect(await w.leases.tryAcquire("s2", "p2", 60_000)).toBe(true);
      // p1 lets its lease lapse (a short TTL, then the store's clock moves past it).
      expect(await w.leases.tryAcquire("s1", "p1", 150)).toBe(true);
      await sleep(400);
      expect(await w.leases.current("s1")).toMatchObject({ holder: "p1", live: false });
      expect(await w.leases.tryAcquire("s1", "p2", 60_000)).toBe(true);
      expect(await w.leases.current("s1")).toMatchObject({ holder: "p2", live: true });
      expect(await w.leases.tryAcquire("s1", "p1", 60_000)).toBe(false);
    });

    it("release frees only the holder's own lease", async () => {
      await w.leases.tryAcquire("s1", "p1", 60_000);
      await w.leases.release("s1", "p2");
      expect((await w.leases.current("s1"))?.holder).toBe("p1");
      await w.leases.release("s1", "p1");
      expect(await w.leases.current("s1")).toBeNull();
      expect(await w.leases.tryAcquire("s1", "p2", 60_000)).toBe(true);
    });

    it("processors racing for a new lease: exactly one wins", async () => {
      const holders = ["p1", "p2", "p3", "p4", "p5"];
      const won = await Promise.all(holders.map((h) => w.leases.tryAcquire("race", h, 60_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect((await w.leases.current("race"))?.holder).toBe(holders[won.indexOf(true)]);
    });
  });

  describe(`${name}: stream control contract`, () => {
    it("pauses and resumes one stream, returning the state before, keeping who, why and when", async () => {
      const w = await make();
      expect(await w.controls.pauseState("s1")).toEqual({ paused: false });
      const before = await w.controls.setPaused("s1", {
        paused: true,
        by: "ops@host",
        reason: "outage",
        at: at(1),
      });
      expect(before.paused).toBe(false);
      expect(await w.controls.pauseState("s1")).toEqual({
        paused: true,
        by: "ops@host",
        reason: "outage",
        at: at(1),
      });
      expect((await w.controls.pauseState("s2")).paused).toBe(false);
      const again = await w.controls.setPaused("s1", { paused: false, by: "ops2@host", at: at(2) });
      expect(again).toMatchObject({ paused: true, reason: "outage" });
      const resumed = await w.controls.pauseState("s1");
      expect(resumed).toMatchObject({ paused: false, by: "ops2@host", at: at(2) });
      expect(resumed.reason).toBeUndefined();
    });

    it("keeps backfill requests per stream: oldest unfinished next, progress, finished ones frozen", async () => {
      const w = await make();
      const slice = { group: "GRP_001", client: "CLIENT001", since: at(0), until: at(50) };
      expect(await w.controls.nextBackfill("s1")).toBeNull();
      expect(await w.controls.listBackfills("s1", 5)).toEqual([]);
      const a = await w.controls.requestBackfill({
        streamName: "s1",
        slice,
        requestedAt: at(1),
        requestedBy: "ops@host",
      });
      expect(a).toMatchObject({
        streamName: "s1",
        slice,
        state: "pending",
        requestedAt: at(1),
        requestedBy: "ops@host",
        attempts: 0,
        total: 0,
        scanned: 0,
        alreadyEmitted: 0,
        queued: 0,
        billed: 0,
      });
      expect(a.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      const b = await w.controls.requestBackfill({
        streamName: "s1",
        slice: { group: "GRP_002", since: at(2) },
        requestedAt: at(2),
        requestedBy: "ops@host",
      });
      await w.controls.requestBackfill({
        streamName: "s2",
        slice,
        requestedAt: at(0),
        requestedBy: "ops@host",
      });
      expect(b.slice.client).toBeUndefined();
      expect(b.slice.until).toBeUndefined();
      expect((await w.controls.nextBackfill("s1"))?.id).toBe(a.id);

      expect(
        await w.controls.updateBackfill(a.id, {
          state: "running",
          attempts: 1,
          runBy: "p1",
          startedAt: at(3),
          total: 7,
          scanned: 4,
        }),
      ).toBe(true);
      expect(await w.controls.nextBackfill("s1")).toMatchObject({
        id: a.id,
        state: "running",
        attempts: 1,
        runBy: "p1",
        startedAt: at(3),
        total: 7,
        scanned: 4,
        queued: 0,
      });
      expect(
        await w.controls.updateBackfill(a.id, {
          state: "done",
          finishedAt: at(4),
          total: 7,
          scanned: 7,
          alreadyEmitted: 2,
          queued: 5,
          billed: 5,
        }),
      ).toBe(true);
      // Done once: never changed again, and the next one is b.
      expect(await w.controls.updateBackfill(a.id, { state: "running", scanned: 0 })).toBe(false);
      expect((await w.controls.nextBackfill("s1"))?.id).toBe(b.id);
      expect(await w.controls.updateBackfill(b.id, { state: "failed", error: "MongoServerError 13" })).toBe(
        true,
      );
      expect(await w.controls.nextBackfill("s1")).toBeNull();
      expect(await w.controls.updateBackfill("missing", { scanned: 1 })).toBe(false);

      const listed = await w.controls.listBackfills("s1", 5);
      expect(listed.map((r) => [r.id, r.state])).toEqual([
        [b.id, "failed"],
        [a.id, "done"],
      ]);
      expect(listed[0]?.error).toBe("MongoServerError 13");
      expect(listed[1]).toMatchObject({
        scanned: 7,
        alreadyEmitted: 2,
        queued: 5,
        billed: 5,
        finishedAt: at(4),
      });
      expect((await w.controls.listBackfills("s1", 1)).map((r) => r.id)).toEqual([b.id]);
      expect((await w.controls.listBackfills("s2", 5)).length).toBe(1);
    });
  });

  describe(`${name}: checkpoint contract`, () => {
    let w: StateWorld;
    beforeEach(async () => {
      w = await make();
    });

    it("saves, replaces, loads and clears one checkpoint per stream name", async () => {
      expect(await w.checkpoints.load("s1")).toBeNull();
      const token = { _data: "8267A1B2C3000000012B0229296E04" };
      const first = {
        streamName: "s1",
        token,
        clusterTime: { t: 1_767_225_600, i: 7 },
        updatedAt: at(1),
        source: "processor",
      };
      await w.checkpoints.save(first);
      await w.checkpoints.save({
        streamName: "s2",
        clusterTime: { t: 5, i: 1 },
        updatedAt: at(2),
        source: "x",
      });
      expect(await w.checkpoints.load("s1")).toEqual(first);
      // A reset to a time replaces the token: nothing of the old checkpoint survives.
      const { token: _dropped, ...reset } = first;
      await w.checkpoints.save({ ...reset, clusterTime: { t: 1_767_225_000, i: 1 }, source: "operator:ops" });
      const loaded = await w.checkpoints.load("s1");
      expect(loaded?.token).toBeUndefined();
      expect(loaded).toMatchObject({ clusterTime: { t: 1_767_225_000, i: 1 }, source: "operator:ops" });
      await w.checkpoints.clear("s1");
      expect(await w.checkpoints.load("s1")).toBeNull();
      expect((await w.checkpoints.load("s2"))?.source).toBe("x");
    });

    it("what was saved cannot be changed through the caller's object", async () => {
      const token: Record<string, unknown> = { _data: "82AA" };
      await w.checkpoints.save({ streamName: "s1", token, updatedAt: at(1), source: "processor" });
      token._data = "82BB";
      expect((await w.checkpoints.load("s1"))?.token).toEqual({ _data: "82AA" });
    });
  });

  describe(`${name}: dead-letter contract`, () => {
    let w: StateWorld;
    beforeEach(async () => {
      w = await make();
    });

    it("one row per claim version: again bumps attempts and last seen, keeps first seen", async () => {
      await w.deadLetters.record(
        [entry("A", 1, { groupId: "GRP_001", clientId: "C1" }), entry("A", 2)],
        at(1),
      );
      await w.deadLetters.record([entry("A", 1, { reason: "patient_missing", issues: [] })], at(5));
      expect(await w.deadLetters.count()).toBe(2);
      const [v1, v2] = await w.deadLetters.get("A");
      expect(v1).toMatchObject({
        claimNumber: "A",
        version: 1,
        reason: "patient_missing",
        issues: [],
        firstSeen: at(1),
        lastSeen: at(5),
        attempts: 2,
        // Seen again without its group (a document that lost it): the row keeps what it knew.
        groupId: "GRP_001",
        clientId: "C1",
      });
      expect(v2).toMatchObject({ version: 2, attempts: 1, firstSeen: at(1), lastSeen: at(1) });
      expect(await w.deadLetters.get("nope")).toEqual([]);
      await w.deadLetters.record([], at(9));
      expect(await w.deadLetters.count()).toBe(2);
    });

    it("lists newest seen first, by reason, within the limit", async () => {
      await w.deadLetters.record([entry("A")], at(1));
      await w.deadLetters.record([entry("B", 1, { reason: "npi_missing" })], at(2));
      await w.deadLetters.record([entry("C")], at(3));
      const names = async (opts: Parameters<DeadLetterStore["list"]>[0]) =>
        (await w.deadLetters.list(opts)).map((d) => d.claimNumber);
      expect(await names({ limit: 10 })).toEqual(["C", "B", "A"]);
      expect(await names({ limit: 2 })).toEqual(["C", "B"]);
      expect(await names({ limit: 10, reason: "invalid_claim" })).toEqual(["C", "A"]);
    });

    it("removes one version or all of a claim, and purges rows last seen before a time", async () => {
      await w.deadLetters.record([entry("A", 1), entry("A", 2), entry("B")], at(1));
      await w.deadLetters.record([entry("C")], at(10));
      expect(await w.deadLetters.remove("A", 2)).toBe(1);
      expect(await w.deadLetters.remove("A", 2)).toBe(0);
      expect(await w.deadLetters.remove("A")).toBe(1);
      expect(await w.deadLetters.purgeBefore(at(10))).toBe(1);
      expect((await w.deadLetters.list({ limit: 10 })).map((d) => d.claimNumber)).toEqual(["C"]);
    });
  });
}
