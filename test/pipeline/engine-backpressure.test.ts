// Backpressure at EDI_MAX_IN_FLIGHT and the low watermark, observed from outside the engine:
// what the change feed handed out, what the ledger made durable, what the checkpoint says.
import { describe, expect, it } from "vitest";
import { compareClusterTime } from "../../src/ports/change-feed.js";
import type { Checkpoint } from "../../src/ports/checkpoint-store.js";
import { decodeToken } from "../memory/memory-change-feed.js";
import type { MemoryDb } from "../memory/memory-ports.js";
import {
  checkOutput,
  makeWorld,
  metricValue,
  moreClaims,
  readyVersions,
  startEngine,
  waitFor,
} from "./harness.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const durable = (db: MemoryDb) => db.ledger.emittedRows().length;

describe("Backpressure", () => {
  it("never holds more than EDI_MAX_IN_FLIGHT unacked claims: reading pauses, nothing is dropped", async () => {
    const w = makeWorld({ groups: 2, clients: 2 });
    const N = 10;
    const { engine, metrics } = await startEngine(w.ports, { maxInFlight: N, batchSize: 4, windowMs: 15 });
    w.db.faults.arm("sink.write", { hold: true, times: Number.POSITIVE_INFINITY });
    let worst = 0;
    const sampler = setInterval(() => {
      worst = Math.max(worst, w.db.feed.delivered - durable(w.db));
    }, 1);
    try {
      const claims = moreClaims(w, 60, "BP");
      w.db.claims.insertMany(claims);
      await waitFor("reading to reach the bound", () => w.db.feed.delivered >= N);
      await sleep(150);
      // Paused: exactly N read, all waiting on the held file writes, none acked.
      expect(w.db.feed.delivered).toBe(N);
      expect(w.db.faults.heldAt("sink.write")).toBeGreaterThan(0);
      expect(await metricValue(metrics, "claimflow_buffered_claims")).toBe(N);

      w.db.faults.resume("sink.write");
      await waitFor("everything billed", () => durable(w.db) === 60);
      await engine.stop();
      expect(w.db.feed.delivered).toBe(60);
      expect(await checkOutput(w.db)).toEqual(readyVersions(claims));
    } finally {
      clearInterval(sampler);
    }
    expect(worst).toBeLessThanOrEqual(N);
    expect(worst).toBe(N);
  });

  it("pauses the catch-up scan at the bound too", async () => {
    const w = makeWorld({ claims: 50, groups: 2, clients: 1 });
    w.db.faults.arm("sink.write", { hold: true, times: Number.POSITIVE_INFINITY });
    const { engine, metrics } = await startEngine(
      w.ports,
      { maxInFlight: 7, batchSize: 3, windowMs: 10 },
      { waitStreaming: false },
    );
    await waitFor("the bound", async () => (await metricValue(metrics, "claimflow_buffered_claims")) === 7);
    await sleep(100);
    expect(await metricValue(metrics, "claimflow_events_received_total", { operation: "scan" })).toBe(7);
    w.db.faults.resume("sink.write");
    await waitFor("everything billed", () => durable(w.db) === 50);
    await engine.stop();
    expect(await checkOutput(w.db)).toEqual(readyVersions(w.data.claims));
  });
});

describe("Low watermark", () => {
  it("never saves a checkpoint past an event whose batch is not durable yet", async () => {
    const w = makeWorld({ groups: 2, clients: 1 });
    const { engine } = await startEngine(w.ports, {
      windowMs: 15,
      batchSize: 1000,
      checkpointIntervalMs: 10,
    });
    const claims = moreClaims(w, 22, "WM");
    const [early, slow, ...rest] = claims.map(
      (c, i): Record<string, unknown> => ({
        ...c,
        group_id: i === 1 ? "GRP_001" : "GRP_002",
        client_id: "CLIENT001",
      }),
    );
    if (!early || !slow) throw new Error("not enough synthetic claims");
    const seqOf = (number: unknown) =>
      w.db.claims.events().find((e) => e.postImage?.claim_number === number)?.seq ?? Number.POSITIVE_INFINITY;

    // An early claim completes, so the checkpoint demonstrably moves while the slow one waits.
    w.db.claims.insert(early);
    await waitFor("early billed", () => durable(w.db) === 1);
    await waitFor("checkpoint at the early claim", () => {
      const cp = w.db.checkpoints.peek("test");
      return (decodeToken(cp?.token)?.seq ?? 0) >= seqOf(early.claim_number);
    });

    w.db.faults.arm("ledger.reserve", { hold: true });
    w.db.claims.insert(slow);
    await waitFor("slow batch held at reserve", () => w.db.faults.heldAt("ledger.reserve") === 1);
    const slowEvent = w.db.claims.events().find((e) => e.postImage?.claim_number === slow.claim_number);
    if (!slowEvent) throw new Error("no event for the slow claim");
    const savesBefore = w.db.checkpoints.saves.length;
    w.db.claims.insertMany(rest);
    await waitFor("the later claims billed", () => durable(w.db) === 21);
    await sleep(80); // several checkpoint intervals, and idle post-batch tokens past every event

    const beyond = (cp: Checkpoint) => {
      const tok = decodeToken(cp.token);
      if (tok) return tok.seq >= slowEvent.seq;
      return cp.clusterTime ? compareClusterTime(cp.clusterTime, slowEvent.clusterTime) > 0 : false;
    };
    expect(w.db.checkpoints.saves.filter(beyond)).toEqual([]);
    expect(w.db.checkpoints.saves.length).toBeGreaterThan(1);

    w.db.faults.resume("ledger.reserve");
    await waitFor("slow billed", () => durable(w.db) === 22);
    const lastSeq = w.db.claims.lastSeq;
    await waitFor(
      "checkpoint past every event",
      () => (decodeToken(w.db.checkpoints.peek("test")?.token)?.seq ?? 0) >= lastSeq,
    );
    expect(w.db.checkpoints.saves.slice(savesBefore).some(beyond)).toBe(true);
    await engine.stop();
    await checkOutput(w.db);
  });
});
