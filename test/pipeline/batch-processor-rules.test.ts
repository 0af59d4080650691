// Issue 14: the batch processor's per-window rules, driven directly (no engine, no timers):
// what each outcome (written, repeat, superseded, dead letter, render failure, split by size,
// concurrent reservation) returns, acks, records in the ledger, audit log and dead letters,
// and counts in the SPEC's metrics.
import pino, { type Logger } from "pino";
import { describe, expect, it } from "vitest";
import { parseClaim } from "../../src/domain/claim.js";
import { type RenderBatch, render837 } from "../../src/edi/render.js";
import { NotRenderableError } from "../../src/edi/render-errors.js";
import { Metrics } from "../../src/observability/metrics.js";
import type { Acker } from "../../src/pipeline/acker.js";
import { BatchProcessor, type PendingClaim, sha256 } from "../../src/pipeline/batch-processor.js";
import { Enricher } from "../../src/pipeline/enricher.js";
import { Resilience } from "../../src/pipeline/resilience.js";
import type { Window } from "../../src/pipeline/windows.js";
import { systemClock } from "../../src/ports/clock.js";
import { makeWorld, metricValue, reserveElsewhere, type World, waitFor } from "./harness.js";

interface Rig {
  readonly w: World;
  readonly p: BatchProcessor;
  readonly metrics: Metrics;
  readonly acked: number[];
}

function rig(
  opts: {
    claims?: number;
    markBilled?: boolean;
    maxContentBytes?: number;
    render?: (b: RenderBatch) => string;
    logger?: Logger;
  } = {},
): Rig {
  const w = makeWorld({ claims: opts.claims ?? 3, groups: 1, clients: 1 });
  const metrics = new Metrics({ collectDefaults: false });
  const acked: number[] = [];
  const acker = { ack: (seqs: Iterable<number>) => acked.push(...seqs) } as unknown as Acker;
  const p = new BatchProcessor({
    streamName: "rules",
    markBilled: opts.markBilled ?? true,
    ledger: w.ports.ledger,
    claims: w.ports.claims,
    deadLetters: w.ports.deadLetters,
    sink: w.ports.sink,
    audit: w.ports.audit,
    enricher: new Enricher(w.ports.lookups),
    resilience: new Resilience({ initialDelayMs: 1, maxDelayMs: 2, metrics }),
    acker,
    clock: systemClock,
    metrics,
    logger: opts.logger ?? pino({ level: "silent" }),
    leases: w.ports.leases,
    ...(opts.maxContentBytes !== undefined ? { maxContentBytes: opts.maxContentBytes } : {}),
    ...(opts.render ? { render: opts.render } : {}),
  });
  return { w, p, metrics, acked };
}

function pendingOf(docs: readonly Record<string, unknown>[], firstSeq = 1): PendingClaim[] {
  return docs.map((d, i) => {
    const r = parseClaim(d);
    if (!r.ok) throw new Error("synthetic claim does not parse");
    return { seq: firstSeq + i, claim: r.value, eventTimeMs: Date.now() };
  });
}

const windowOf = (items: PendingClaim[]): Window<PendingClaim> => ({ key: "k", items, reason: "time" });
const numbers = (docs: readonly Record<string, unknown>[]) => docs.map((d) => d.claim_number as string);

describe("BatchProcessor: a window written", () => {
  it("returns the batch, acks every item, audits file_emitted with exact fields, counts written", async () => {
    const { w, p, metrics, acked } = rig({ claims: 3 });
    const docs = w.data.claims;
    const out = await p.process(windowOf(pendingOf(docs)));
    const [batch, ...more] = w.db.ledger.allBatches();
    expect(more).toEqual([]);
    if (!batch) throw new Error("no batch");
    expect(out).toEqual({
      batchId: batch.batchId,
      path: batch.path,
      emitted: 3,
      duplicates: 0,
      deadLettered: 0,
    });
    expect(acked).toEqual([1, 2, 3]);
    expect(batch.state).toBe("written");
    expect(batch.claimCount).toBe(3);
    expect(batch.totalChargeCents).toBe(pendingOf(docs).reduce((s, c) => s + c.claim.total_charge, 0));
    expect(batch.sha256).toBe(sha256(batch.content as string));
    expect(w.db.files.all().get(batch.path)).toBe(batch.content);
    const audit = w.db.audit.all();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "file_emitted",
      streamName: "rules",
      batchId: batch.batchId,
      claimNumbers: numbers(docs),
      details: { path: batch.path, claims: 3, isa13: batch.isaControlNumber },
    });
    expect(await metricValue(metrics, "claimflow_batches_total", { outcome: "written" })).toBe(1);
    expect(await metricValue(metrics, "claimflow_batches_total")).toBe(1);
    expect(await metricValue(metrics, "claimflow_claims_emitted_total")).toBe(3);
    expect(await metricValue(metrics, "claimflow_claims_duplicate_total")).toBe(0);
    for (const n of numbers(docs)) expect((await w.ports.claims.findByClaimNumber(n))?.status).toBe("billed");
    expect(await metricValue(metrics, "claimflow_last_file_timestamp_seconds")).toBeCloseTo(
      Date.now() / 1000,
      -1,
    );
  });

  it("without markBilled the claims stay ready", async () => {
    const { w, p } = rig({ claims: 2, markBilled: false });
    await p.process(windowOf(pendingOf(w.data.claims)));
    for (const n of numbers(w.data.claims))
      expect((await w.ports.claims.findByClaimNumber(n))?.status).toBe("ready");
  });

  it.each([
    ["newer version last", [1, 2], 2],
    ["newer version first", [2, 1], 2],
  ])("keeps the newest version of a claim twice in one window (%s)", async (_name, versions, kept) => {
    const { w, p, metrics } = rig({ claims: 1 });
    const doc = w.data.claims[0] as Record<string, unknown>;
    const items = pendingOf(versions.map((v) => ({ ...doc, version: v })));
    const out = await p.process(windowOf(items));
    expect(out).toMatchObject({ emitted: 1, duplicates: 1, deadLettered: 0 });
    expect(w.db.ledger.allBatches()[0]?.claims).toEqual([{ claim_number: doc.claim_number, version: kept }]);
    expect(await metricValue(metrics, "claimflow_claims_duplicate_total")).toBe(1);
  });

  it("of one version twice, keeps the image read last", async () => {
    const { w, p } = rig({ claims: 1 });
    const doc = w.data.claims[0] as Record<string, unknown>;
    const a = pendingOf([doc])[0] as PendingClaim;
    const b = { ...a, seq: 2, claim: { ...a.claim, total_charge: a.claim.total_charge + 1 } };
    await p.process(windowOf([a, b]));
    expect(w.db.ledger.allBatches()[0]?.totalChargeCents).toBe(a.claim.total_charge + 1);
  });
});

describe("BatchProcessor: repeats and superseded versions", () => {
  it("a window already emitted: nothing written, counted as duplicates and empty, billed mark finished", async () => {
    const { w, p, metrics, acked } = rig({ claims: 3 });
    const items = pendingOf(w.data.claims);
    await p.process(windowOf(items));
    // A crash between the file and the billed mark: the claims are ready again.
    for (const n of numbers(w.data.claims)) w.db.claims.update(n, { status: "ready" });
    const again = await p.process(windowOf(pendingOf(w.data.claims, 10)));
    expect(again).toEqual({ emitted: 0, duplicates: 3, deadLettered: 0 });
    expect(acked).toEqual([1, 2, 3, 10, 11, 12]);
    expect(w.db.ledger.allBatches()).toHaveLength(1);
    expect(await metricValue(metrics, "claimflow_batches_total", { outcome: "empty" })).toBe(1);
    expect(await metricValue(metrics, "claimflow_claims_duplicate_total")).toBe(3);
    for (const n of numbers(w.data.claims))
      expect((await w.ports.claims.findByClaimNumber(n))?.status).toBe("billed");
  });

  it("a repeat beside a new claim: the new one is written alone", async () => {
    const { w, p } = rig({ claims: 3 });
    const [a, b, c] = w.data.claims as Record<string, unknown>[];
    await p.process(windowOf(pendingOf([a as Record<string, unknown>])));
    const out = await p.process(windowOf(pendingOf([a, b, c] as Record<string, unknown>[], 5)));
    expect(out).toMatchObject({ emitted: 2, duplicates: 1, deadLettered: 0 });
    const second = w.db.ledger.allBatches().find((x) => x.batchId === out.batchId);
    expect(second?.claims.map((x) => x.claim_number)).toEqual([b?.claim_number, c?.claim_number]);
  });

  it("an older version after a newer one is billed: skipped as superseded, not a duplicate", async () => {
    const { w, p, metrics } = rig({ claims: 2 });
    const [a, b] = w.data.claims as Record<string, unknown>[];
    await p.process(windowOf(pendingOf([{ ...a, version: 2 }])));
    const out = await p.process(windowOf(pendingOf([{ ...a, version: 1 }, b as Record<string, unknown>], 5)));
    expect(out).toMatchObject({ emitted: 1, duplicates: 0, deadLettered: 0 });
    expect(await metricValue(metrics, "claimflow_events_skipped_total", { reason: "superseded" })).toBe(1);
    expect(await metricValue(metrics, "claimflow_claims_duplicate_total")).toBe(0);
    const second = w.db.ledger.allBatches().find((x) => x.batchId === out.batchId);
    expect(second?.claims).toEqual([{ claim_number: b?.claim_number, version: 1 }]);
  });
});

describe("BatchProcessor: which claims are looked up", () => {
  const fresh = (items: PendingClaim[]) => items.map((i) => ({ ...i, mayRepeat: false }));

  it("windows looked up at once share one read, and each gets back exactly its own repeats and superseded versions", async () => {
    const { w, p, metrics } = rig({ claims: 5 });
    const [a, b, c, d, e] = w.data.claims as Record<string, unknown>[];
    await p.process(windowOf(pendingOf([a, b, c, d, { ...e, version: 2 }] as Record<string, unknown>[])));
    const reads = w.db.faults.count("ledger.lookupHistory");
    const reserves = w.db.faults.count("ledger.reserve");
    // Two reads are held (two go at once), so the last two windows reach the read while both are
    // in flight, and go together.
    w.db.faults.arm("ledger.lookupHistory", { hold: true, times: 2 });
    const running = Promise.all([
      p.process(windowOf(pendingOf([a] as Record<string, unknown>[], 10))),
      p.process(windowOf(pendingOf([b] as Record<string, unknown>[], 20))),
      p.process(windowOf(pendingOf([c, d] as Record<string, unknown>[], 30))),
      p.process(windowOf(pendingOf([{ ...e, version: 1 }], 40))),
    ]);
    await waitFor("two reads held", () => w.db.faults.heldAt("ledger.lookupHistory") === 2);
    await new Promise((r) => setTimeout(r, 30));
    w.db.faults.resume("ledger.lookupHistory");
    const outs = await running;
    expect(outs).toEqual([
      { emitted: 0, duplicates: 1, deadLettered: 0 },
      { emitted: 0, duplicates: 1, deadLettered: 0 },
      { emitted: 0, duplicates: 2, deadLettered: 0 },
      { emitted: 0, duplicates: 0, deadLettered: 0 },
    ]);
    // Three reads for four windows (the last two went as one), and no repeat reached a reservation.
    expect(w.db.faults.count("ledger.lookupHistory") - reads).toBe(3);
    expect(w.db.faults.count("ledger.reserve")).toBe(reserves);
    expect(await metricValue(metrics, "claimflow_events_skipped_total", { reason: "superseded" })).toBe(1);
  });

  it("claims that cannot be repeats are reserved without a read; a conflict then turns the read on for every claim", async () => {
    const { w, p, metrics } = rig({ claims: 3 });
    const [a, b, c] = w.data.claims as Record<string, unknown>[];
    const reads = () => w.db.faults.count("ledger.lookupHistory");
    expect(await p.process(windowOf(fresh(pendingOf([a] as Record<string, unknown>[]))))).toMatchObject({
      emitted: 1,
    });
    expect(reads()).toBe(0);
    // The same version once more, marked fresh (another processor's reservation looks the same
    // to us): the reservation conflicts, the claim is a duplicate, and reads start.
    expect(await p.process(windowOf(fresh(pendingOf([a, b] as Record<string, unknown>[], 5))))).toMatchObject(
      {
        emitted: 1,
        duplicates: 1,
      },
    );
    expect(reads()).toBe(0);
    expect(await p.process(windowOf(fresh(pendingOf([c] as Record<string, unknown>[], 9))))).toMatchObject({
      emitted: 1,
    });
    expect(reads()).toBe(1);
    expect(await metricValue(metrics, "claimflow_claims_duplicate_total")).toBe(1);
    // Absent mayRepeat means "may be a repeat".
    const { w: w2, p: p2 } = rig({ claims: 1 });
    await p2.process(windowOf(pendingOf(w2.data.claims)));
    expect(w2.db.faults.count("ledger.lookupHistory")).toBe(1);
  });
});

describe("BatchProcessor: renderability is learnt while rendering", () => {
  const fresh = (items: PendingClaim[]) => items.map((i) => ({ ...i, mayRepeat: false }));
  // CLM01 holds 38 characters; the claim schema allows 50.
  const longNumber = `L${"1".repeat(39)}`;

  it("a claim the 837 cannot carry is a not_renderable dead letter with checkRenderable's issues; the rest is written under the first control number", async () => {
    const { w, p, metrics, acked } = rig({ claims: 3 });
    const [a, b, c] = w.data.claims as Record<string, unknown>[];
    const reads = w.db.faults.count("ledger.lookupHistory");
    const out = await p.process(
      windowOf(pendingOf([a, { ...b, claim_number: longNumber }, c] as Record<string, unknown>[])),
    );
    expect(out).toMatchObject({ emitted: 2, duplicates: 0, deadLettered: 1 });
    // These may be repeats, so they were looked up before rendering; the refusal reads nothing more.
    expect(w.db.faults.count("ledger.lookupHistory") - reads).toBe(1);
    expect(acked).toEqual([1, 2, 3]);
    const dead = w.db.deadLetters.all();
    expect(dead.map((d) => [d.claimNumber, d.reason])).toEqual([[longNumber, "not_renderable"]]);
    expect(dead[0]?.issues.map((i) => i.path)).toEqual(["claim.claim_number"]);
    expect(
      await metricValue(metrics, "claimflow_claims_dead_lettered_total", { reason: "not_renderable" }),
    ).toBe(1);
    // The refused render reserved nothing, so its control number is the file's: no gap.
    const { w: w2, p: p2 } = rig({ claims: 3 });
    const [a2, , c2] = w2.data.claims as Record<string, unknown>[];
    await p2.process(windowOf(pendingOf([a2, c2] as Record<string, unknown>[])));
    const batches = w.db.ledger.allBatches();
    expect(batches.map((x) => x.claimCount)).toEqual([2]);
    expect(batches[0]?.isaControlNumber).toBe(w2.db.ledger.allBatches()[0]?.isaControlNumber);
  });

  it("every claim refused: nothing reserved, the batch counted empty", async () => {
    const { w, p, metrics } = rig({ claims: 2 });
    const [a, b] = w.data.claims as Record<string, unknown>[];
    const out = await p.process(
      windowOf(
        pendingOf([
          { ...a, claim_number: longNumber },
          { ...b, claim_number: `${longNumber}2` },
        ] as Record<string, unknown>[]),
      ),
    );
    expect(out).toEqual({ emitted: 0, duplicates: 0, deadLettered: 2 });
    expect(w.db.ledger.allBatches()).toEqual([]);
    expect(await metricValue(metrics, "claimflow_batches_total", { outcome: "empty" })).toBe(1);
  });

  it("a claim emitted before whose lookup was skipped, touched since and now not renderable, is a repeat (billed), not a dead letter", async () => {
    const { w, p, metrics } = rig({ claims: 2 });
    const [a, b] = w.data.claims as Record<string, unknown>[];
    await p.process(windowOf(pendingOf([a] as Record<string, unknown>[])));
    // Same version, a field the 837 cannot carry (the segment terminator): no new version, so
    // this is the emitted claim again, and the read skipped for fresh events must happen now.
    const touched = { ...a, prior_authorization: "AB~CD" };
    const out = await p.process(windowOf(fresh(pendingOf([touched, b] as Record<string, unknown>[], 5))));
    expect(out).toMatchObject({ emitted: 1, duplicates: 1, deadLettered: 0 });
    expect(w.db.deadLetters.all()).toEqual([]);
    expect(await metricValue(metrics, "claimflow_claims_duplicate_total")).toBe(1);
    expect(w.db.ledger.allBatches().map((x) => x.claimCount)).toEqual([1, 1]);
  });

  it("a superseded version whose lookup was skipped and which is not renderable is skipped, not dead-lettered", async () => {
    const { w, p, metrics } = rig({ claims: 1 });
    const [a] = w.data.claims as Record<string, unknown>[];
    await p.process(windowOf(pendingOf([{ ...a, version: 2 }] as Record<string, unknown>[])));
    const old = { ...a, version: 1, prior_authorization: "AB~CD" };
    const out = await p.process(windowOf(fresh(pendingOf([old] as Record<string, unknown>[], 5))));
    expect(out).toEqual({ emitted: 0, duplicates: 0, deadLettered: 0 });
    expect(w.db.deadLetters.all()).toEqual([]);
    expect(await metricValue(metrics, "claimflow_events_skipped_total", { reason: "superseded" })).toBe(1);
  });

  it("a renderer refusal checkRenderable cannot explain (the two disagree: a bug) dead-letters that claim as a renderer failure, without looping", async () => {
    const { w, p } = rig({
      claims: 3,
      render: (batch) => {
        const odd = batch.claims.find((j) => j.claim.claim_number === second);
        if (odd) throw new NotRenderableError(odd.claim.claim_number, []);
        return render837(batch);
      },
    });
    const second = (w.data.claims[1] as Record<string, unknown>).claim_number as string;
    const out = await p.process(windowOf(pendingOf(w.data.claims)));
    expect(out).toMatchObject({ emitted: 2, duplicates: 0, deadLettered: 1 });
    expect(w.db.deadLetters.all().map((d) => [d.claimNumber, d.issues[0]?.message])).toEqual([
      [second, "renderer failed (NotRenderableError)"],
    ]);
  });

  it("a fresh claim never emitted that is not renderable is looked up once, then dead-lettered", async () => {
    const { w, p } = rig({ claims: 2 });
    const [a, b] = w.data.claims as Record<string, unknown>[];
    const reads = w.db.faults.count("ledger.lookupHistory");
    const out = await p.process(
      windowOf(fresh(pendingOf([{ ...a, prior_authorization: "AB~CD" }, b] as Record<string, unknown>[]))),
    );
    expect(out).toMatchObject({ emitted: 1, duplicates: 0, deadLettered: 1 });
    expect(w.db.faults.count("ledger.lookupHistory") - reads).toBe(1);
    expect(w.db.deadLetters.all().map((d) => [d.reason, d.issues.map((i) => i.path)])).toEqual([
      ["not_renderable", ["claim.prior_authorization"]],
    ]);
  });
});

const poisonOf = (claimNumber: string) => (batch: RenderBatch) => {
  if (batch.claims.some((j) => j.claim.claim_number === claimNumber)) throw new TypeError("renderer bug");
  return render837(batch);
};

describe("BatchProcessor: dead letters and render failures", () => {
  it("a claim whose client is missing is dead-lettered; the rest is written", async () => {
    const { w, p, metrics, acked } = rig({ claims: 3 });
    const [a, b, c] = w.data.claims as Record<string, unknown>[];
    const out = await p.process(
      windowOf(pendingOf([a, { ...b, client_id: "NO_SUCH_CLIENT" }, c] as Record<string, unknown>[])),
    );
    expect(out).toMatchObject({ emitted: 2, duplicates: 0, deadLettered: 1 });
    expect(acked).toEqual([1, 2, 3]);
    const dead = w.db.deadLetters.all();
    expect(dead.map((d) => [d.claimNumber, d.version, d.reason])).toEqual([
      [b?.claim_number, 1, "client_missing"],
    ]);
    expect(
      await metricValue(metrics, "claimflow_claims_dead_lettered_total", { reason: "client_missing" }),
    ).toBe(1);
    expect(await metricValue(metrics, "claimflow_batches_total", { outcome: "written" })).toBe(1);
  });

  it("a window of dead letters only: counted empty, nothing reserved", async () => {
    const { w, p, metrics } = rig({ claims: 2 });
    const docs = w.data.claims.map((d) => ({ ...d, client_id: "NO_SUCH_CLIENT" }));
    const out = await p.process(windowOf(pendingOf(docs)));
    expect(out).toEqual({ emitted: 0, duplicates: 0, deadLettered: 2 });
    expect(w.db.ledger.allBatches()).toEqual([]);
    expect(await metricValue(metrics, "claimflow_batches_total", { outcome: "empty" })).toBe(1);
    expect(await metricValue(metrics, "claimflow_batches_total")).toBe(1);
  });

  it("the claim the renderer fails on is dead-lettered alone with the error's name; the rest is written", async () => {
    const probe = rig({ claims: 3 });
    const poison = probe.w.data.claims[1]?.claim_number as string;
    const { w, p, metrics } = rig({ claims: 3, render: poisonOf(poison) });
    const out = await p.process(windowOf(pendingOf(w.data.claims)));
    expect(out).toMatchObject({ emitted: 2, duplicates: 0, deadLettered: 1 });
    const dead = w.db.deadLetters.all();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      claimNumber: poison,
      version: 1,
      reason: "not_renderable",
      issues: [{ path: "", message: "renderer failed (TypeError)" }],
    });
    expect(
      await metricValue(metrics, "claimflow_claims_dead_lettered_total", { reason: "not_renderable" }),
    ).toBe(1);
    expect(w.db.ledger.allBatches()[0]?.claimCount).toBe(2);
  });

  it("a renderer that fails on every claim: all dead-lettered, a non-Error named 'error', batch counted empty", async () => {
    const { w, p, metrics, acked } = rig({
      claims: 3,
      render: () => {
        throw "not an Error";
      },
    });
    const out = await p.process(windowOf(pendingOf(w.data.claims)));
    expect(out).toEqual({ emitted: 0, duplicates: 0, deadLettered: 3 });
    expect(acked).toEqual([1, 2, 3]);
    const dead = w.db.deadLetters.all();
    expect(dead.map((d) => d.issues)).toEqual(
      Array(3).fill([{ path: "", message: "renderer failed (error)" }]),
    );
    expect(
      await metricValue(metrics, "claimflow_claims_dead_lettered_total", { reason: "not_renderable" }),
    ).toBe(3);
    expect(await metricValue(metrics, "claimflow_batches_total", { outcome: "empty" })).toBe(1);
    expect(w.db.ledger.allBatches()).toEqual([]);
  });

  it("a renderer that fails only on the claims together (each alone renders): the whole part is dead-lettered", async () => {
    const { w, p } = rig({
      claims: 3,
      render: (b) => {
        if (b.claims.length > 1) throw new RangeError("too many");
        return render837(b);
      },
    });
    const out = await p.process(windowOf(pendingOf(w.data.claims)));
    expect(out).toEqual({ emitted: 0, duplicates: 0, deadLettered: 3 });
    expect(w.db.deadLetters.all().map((d) => d.issues[0]?.message)).toEqual(
      Array(3).fill("renderer failed (RangeError)"),
    );
  });
});

describe("BatchProcessor: split by stored size, concurrent reservations", () => {
  async function contentBytes(n: number): Promise<number> {
    const { w, p } = rig({ claims: n });
    await p.process(windowOf(pendingOf(w.data.claims)));
    return Buffer.byteLength(w.db.ledger.allBatches()[0]?.content as string, "utf8");
  }

  it("content of exactly maxContentBytes stays one batch", async () => {
    const bytes = await contentBytes(3);
    const { w, p } = rig({ claims: 3, maxContentBytes: bytes });
    const out = await p.process(windowOf(pendingOf(w.data.claims)));
    expect(w.db.ledger.allBatches()).toHaveLength(1);
    expect(out.paths).toBeUndefined();
    expect(out.emitted).toBe(3);
  });

  it("one byte over: split in halves, each its own batch, file and audit row; the first keeps the window's id", async () => {
    const bytes = await contentBytes(3);
    const { w, p, metrics } = rig({ claims: 3, maxContentBytes: bytes - 1 });
    const out = await p.process(windowOf(pendingOf(w.data.claims)));
    const batches = w.db.ledger.allBatches();
    expect(batches.map((b) => b.claimCount)).toEqual([2, 1]);
    expect(new Set(batches.map((b) => b.batchId)).size).toBe(2);
    expect(out).toEqual({
      batchId: batches[0]?.batchId,
      path: batches[0]?.path,
      paths: batches.map((b) => b.path),
      emitted: 3,
      duplicates: 0,
      deadLettered: 0,
    });
    expect(w.db.audit.all().map((a) => [a.batchId, a.details])).toEqual(
      batches.map((b) => [b.batchId, { path: b.path, claims: b.claimCount, isa13: b.isaControlNumber }]),
    );
    expect(await metricValue(metrics, "claimflow_batches_total", { outcome: "written" })).toBe(2);
    expect(await metricValue(metrics, "claimflow_claims_emitted_total")).toBe(3);
  });

  it("a single claim is never split, however small the limit", async () => {
    const { w, p } = rig({ claims: 3, maxContentBytes: 1 });
    const out = await p.process(windowOf(pendingOf(w.data.claims)));
    expect(w.db.ledger.allBatches().map((b) => b.claimCount)).toEqual([1, 1, 1]);
    expect(out.paths).toHaveLength(3);
    expect(out.emitted).toBe(3);
  });

  it("a claim reserved by another processor meanwhile is dropped as a duplicate; the rest re-rendered and written", async () => {
    const { w, p, metrics } = rig({ claims: 3 });
    const [a, b, c] = w.data.claims as Record<string, unknown>[];
    await reserveElsewhere(w.ports, [b as Record<string, unknown>], {
      batchId: "bOTHER",
      streamName: "other",
    });
    const out = await p.process(windowOf(pendingOf([a, b, c] as Record<string, unknown>[])));
    expect(out).toMatchObject({ emitted: 2, duplicates: 1, deadLettered: 0 });
    const mine = w.db.ledger.allBatches().find((x) => x.batchId === out.batchId);
    expect(mine?.claims.map((x) => x.claim_number)).toEqual([a?.claim_number, c?.claim_number]);
    expect(mine?.totalChargeCents).toBe(
      pendingOf([a, c] as Record<string, unknown>[]).reduce((s, x) => s + x.claim.total_charge, 0),
    );
    expect(await metricValue(metrics, "claimflow_claims_duplicate_total")).toBe(1);
  });
});

describe("BatchProcessor: reserved batches of other streams", () => {
  it("finishes a dead stream's reserved batch, leaves a live stream's and its own alone", async () => {
    const { w, p, metrics } = rig({ claims: 3 });
    const [a, b, c] = w.data.claims as Record<string, unknown>[];
    const old = new Date(Date.now() - 60_000);
    await reserveElsewhere(w.ports, [a as Record<string, unknown>], {
      batchId: "bGONE",
      streamName: "gone",
      createdAt: old,
    });
    await reserveElsewhere(w.ports, [b as Record<string, unknown>], {
      batchId: "bLIVE",
      streamName: "alive",
      createdAt: old,
    });
    await reserveElsewhere(w.ports, [c as Record<string, unknown>], {
      batchId: "bMINE",
      streamName: "rules",
      createdAt: old,
    });
    expect(await w.ports.leases.tryAcquire("alive", "someone", 60_000)).toBe(true);
    expect(await p.recoverOrphans(1_000)).toBe(1);
    const state = new Map(w.db.ledger.allBatches().map((x) => [x.batchId, x.state]));
    expect(Object.fromEntries(state)).toEqual({ bGONE: "written", bLIVE: "reserved", bMINE: "reserved" });
    expect(await metricValue(metrics, "claimflow_batches_total", { outcome: "recovered" })).toBe(1);
    expect(await metricValue(metrics, "claimflow_claims_emitted_total")).toBe(1);
    expect(w.db.audit.all().map((x) => [x.action, x.streamName, x.batchId])).toEqual([
      ["file_emitted", "rules", "bGONE"],
    ]);
  });

  it("a batch younger than minAgeMs is not an orphan yet", async () => {
    const { w, p } = rig({ claims: 1 });
    await reserveElsewhere(w.ports, w.data.claims, { batchId: "bNEW", streamName: "gone" });
    expect(await p.recoverOrphans(60_000)).toBe(0);
    expect(w.db.ledger.allBatches()[0]?.state).toBe("reserved");
  });
});

describe("BatchProcessor: after the file (written, billed, audit as one step)", () => {
  const billedAll = async (w: World) => {
    for (const n of numbers(w.data.claims))
      expect((await w.ports.claims.findByClaimNumber(n))?.status).toBe("billed");
  };

  it("a transient billed failure runs the step again: one audit row, every claim billed, counted as mark_billed", async () => {
    const { w, p, metrics, acked } = rig({ claims: 3 });
    w.db.faults.arm("claims.markBilled", { times: 1 });
    await p.process(windowOf(pendingOf(w.data.claims)));
    expect(acked).toEqual([1, 2, 3]);
    expect(w.db.ledger.allBatches().map((b) => b.state)).toEqual(["written"]);
    expect(w.db.audit.all()).toHaveLength(1);
    await billedAll(w);
    expect(await metricValue(metrics, "claimflow_mongo_errors_total", { operation: "mark_billed" })).toBe(1);
    expect(await metricValue(metrics, "claimflow_mongo_errors_total", { operation: "mark_written" })).toBe(0);
  });

  it("a transient written failure is counted as mark_written, and nothing is billed or audited before it succeeds", async () => {
    const { w, p, metrics, acked } = rig({ claims: 2 });
    w.db.faults.arm("ledger.markWritten", { times: 2 });
    await p.process(windowOf(pendingOf(w.data.claims)));
    expect(acked).toEqual([1, 2]);
    expect(w.db.faults.count("claims.markBilled")).toBe(1);
    expect(w.db.audit.all()).toHaveLength(1);
    expect(await metricValue(metrics, "claimflow_mongo_errors_total", { operation: "mark_written" })).toBe(2);
  });

  it("a transient audit failure is retried: exactly one row per file", async () => {
    const { w, p, metrics } = rig({ claims: 3 });
    w.db.faults.arm("audit.append", { times: 1 });
    await p.process(windowOf(pendingOf(w.data.claims)));
    expect(w.db.audit.all()).toHaveLength(1);
    await billedAll(w);
    expect(await metricValue(metrics, "claimflow_mongo_errors_total", { operation: "audit" })).toBe(1);
  });

  it("a write cut short by a stop is not counted as a MongoDB error", async () => {
    const { w, p, metrics, acked } = rig({ claims: 2 });
    const abort = () => Object.assign(new Error("the operation was aborted"), { name: "AbortError" });
    w.db.faults.arm("ledger.markWritten", { times: 1, error: abort });
    await expect(p.process(windowOf(pendingOf(w.data.claims)))).rejects.toThrow("aborted");
    expect(acked).toEqual([]);
    expect(await metricValue(metrics, "claimflow_mongo_errors_total", { operation: "mark_written" })).toBe(0);
  });

  it("an audit row refused for good is left out: the file, its written state and the billed mark stand", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const { w, p, acked } = rig({ claims: 3, logger });
    w.db.faults.arm("audit.append", { times: 1, error: () => new TypeError("audit document rejected") });
    const out = await p.process(windowOf(pendingOf(w.data.claims)));
    expect(out.emitted).toBe(3);
    expect(acked).toEqual([1, 2, 3]);
    expect(w.db.ledger.allBatches().map((b) => b.state)).toEqual(["written"]);
    expect(w.db.audit.all()).toHaveLength(0);
    await billedAll(w);
    const warned = lines.filter((l) => l.msg === "audit rows not written");
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({
      batches: w.db.ledger.allBatches().map((b) => b.batchId),
      err: { message: "audit document rejected" },
    });
  });
});
