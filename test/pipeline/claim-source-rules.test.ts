// ClaimSource rules, driven directly over scripted ports (issue 14 survivors): where it starts
// (stored token, cluster time), what each event does (emitted, skipped and counted), how each
// failure is recovered (restart reason label, reopen position, backoff count, fatal errors),
// the catch-up scan's paging, progress and billed marks, pause/resume, and backfill paging.
import { Writable } from "node:stream";
import pino from "pino";
import type { Subscription } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { ResumeTokenLostError, StreamInvalidatedError } from "../../src/domain/errors.js";
import type { ClaimVersionRef } from "../../src/domain/joined-claim.js";
import { Metrics } from "../../src/observability/metrics.js";
import { Acker } from "../../src/pipeline/acker.js";
import { ClaimSource, type SourceItem, TokenLostFatalError } from "../../src/pipeline/claim-source.js";
import { InFlightLimiter } from "../../src/pipeline/in-flight.js";
import { Resilience } from "../../src/pipeline/resilience.js";
import { Watermark } from "../../src/pipeline/watermark.js";
import type {
  ChangeCursor,
  ChangeEvent,
  ChangeFeed,
  ClusterTime,
  ResumeToken,
  StartPosition,
} from "../../src/ports/change-feed.js";
import { metricValue, silentLogger, waitFor } from "./harness.js";

const T0: ClusterTime = { t: 1_000, i: 3 };
const tok = (n: number): ResumeToken => ({ _data: `tok-${n}` });

/** Stands for a dropped socket: classified transient (see fault-class.ts). */
class InjectedFaultError extends Error {
  override readonly name = "InjectedFaultError";
}

type Step = ChangeEvent | Error | "hang";

/** A feed whose cursors read one shared script; an empty script is an idle stream. */
class ScriptFeed implements ChangeFeed {
  readonly opens: StartPosition[] = [];
  closes = 0;
  readonly script: Step[] = [];
  postBatch: ResumeToken | undefined;
  release: (() => void) | undefined;
  async currentClusterTime(): Promise<ClusterTime> {
    return T0;
  }
  async open(start: StartPosition): Promise<ChangeCursor> {
    this.opens.push(start);
    return {
      tryNext: async () => {
        const step = this.script.shift();
        if (step === "hang") await new Promise<void>((r) => (this.release = r));
        else if (step instanceof Error) throw step;
        else if (step) return step;
        else await new Promise((r) => setTimeout(r, 2));
        return null;
      },
      postBatchToken: () => this.postBatch,
      close: async () => {
        this.closes++;
      },
    };
  }
}

function event(
  n: number,
  operationType: ChangeEvent["operationType"],
  extra: Partial<ChangeEvent> = {},
): ChangeEvent {
  return {
    token: tok(n),
    operationType,
    clusterTime: { t: 2_000 + n, i: 1 },
    fullDocument: operationType === "delete" ? null : { claim_number: `C${n}`, version: 1 },
    documentKey: `id-${n}`,
    wallTime: new Date(1_700_000_000_000 + n),
    ...extra,
  };
}

interface Setup {
  docs?: Record<string, unknown>[];
  emitted?: string[];
  checkpoint?: { token?: ResumeToken; clusterTime?: ClusterTime; source?: string } | null;
  onTokenLost?: "rescan" | "fail";
  markBilled?: boolean;
  pageSize?: number;
  limit?: number;
  /** The ledger's reservedThrough mark for the stream (null: nothing reserved). */
  reservedThrough?: ClusterTime | null;
  /** Called at each scanReady, before it answers (a test moves the clock there). */
  onScanPage?: () => void;
}

function world(s: Setup = {}) {
  const docs = s.docs ?? [];
  const emitted = new Set(s.emitted ?? []);
  const feed = new ScriptFeed();
  const metrics = new Metrics({ collectDefaults: false });
  const logs: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "info" },
    new Writable({
      write(chunk, _enc, cb) {
        logs.push(JSON.parse(String(chunk)));
        cb();
      },
    }),
  );
  let nowMs = 1_800_000_000_000;
  const clock = { now: () => new Date(nowMs) };
  const markBilledCalls: ClaimVersionRef[][] = [];
  const findEmittedCalls: ClaimVersionRef[][] = [];
  const markReads = { count: 0 };
  const cleared: string[] = [];
  const marks: unknown[] = [];
  const backoffs: number[] = [];
  const scanCalls: { after: unknown; pageSize: number }[] = [];
  class SpyWatermark extends Watermark {
    override mark(p: Parameters<Watermark["mark"]>[0]): void {
      marks.push(p);
      super.mark(p);
    }
  }
  class SpyResilience extends Resilience {
    override backoffDelay(attempt: number): number {
      backoffs.push(attempt);
      return 1;
    }
  }
  const watermark = new SpyWatermark();
  const limiter = new InFlightLimiter(s.limit ?? 100);
  const page = (after: unknown, pageSize: number) => {
    scanCalls.push({ after, pageSize });
    s.onScanPage?.();
    const from = typeof after === "number" ? after : 0;
    const to = Math.min(docs.length, from + pageSize);
    return { docs: docs.slice(from, to), next: to < docs.length ? to : undefined };
  };
  const source = new ClaimSource({
    streamName: "rules",
    filter: {},
    onTokenLost: s.onTokenLost ?? "rescan",
    markBilled: s.markBilled ?? true,
    scanPageSize: s.pageSize ?? 2,
    feed,
    claims: {
      scanReady: async (_f: unknown, after: unknown, pageSize: number) => page(after, pageSize),
      countReady: async () => docs.length,
      markBilled: async (refs: readonly ClaimVersionRef[]) => {
        markBilledCalls.push([...refs]);
        return refs.length;
      },
    } as never,
    checkpoints: {
      load: async () => s.checkpoint ?? null,
      clear: async (name: string) => {
        cleared.push(name);
      },
    } as never,
    ledger: {
      findEmitted: async (refs: readonly ClaimVersionRef[]) => {
        findEmittedCalls.push([...refs]);
        return refs.filter((r) => emitted.has(`${r.claim_number}@${r.version}`));
      },
      reservedThrough: async () => {
        markReads.count++;
        return s.reservedThrough ?? null;
      },
    } as never,
    acker: new Acker(watermark, limiter, metrics),
    resilience: new SpyResilience({ metrics, logger: silentLogger, initialDelayMs: 1, maxDelayMs: 2 }),
    clock,
    metrics,
    logger,
  });
  const items: SourceItem[] = [];
  let failed: unknown;
  let completed = false;
  const start = (): Subscription =>
    source.items().subscribe({
      next: (i) => items.push(i),
      error: (e) => (failed = e),
      complete: () => (completed = true),
    });
  return {
    source,
    feed,
    metrics,
    logs,
    items,
    start,
    marks,
    watermark,
    limiter,
    backoffs,
    scanCalls,
    cleared,
    markBilledCalls,
    findEmittedCalls,
    markReads,
    failed: () => failed,
    completed: () => completed,
    advance: (ms: number) => {
      nowMs += ms;
    },
    now: () => nowMs,
    msgs: () => logs.map((l) => l.msg),
  };
}

const claim = (n: number, extra: Record<string, unknown> = {}) => ({
  claim_number: `S${n}`,
  version: 1,
  updated_at: new Date(1_600_000_000_000 + n),
  ...extra,
});

let running: ReturnType<typeof world>["source"][] = [];
afterEach(() => {
  for (const s of running) s.stop();
  running = [];
});
function track<T extends ReturnType<typeof world>>(w: T): T {
  running.push(w.source);
  return w;
}

describe("ClaimSource: where it starts", () => {
  it("resumes after a stored token without a catch-up scan", async () => {
    const w = track(world({ checkpoint: { token: tok(7), source: "stream" }, docs: [claim(1)] }));
    w.start();
    await waitFor("streaming", () => w.source.state === "streaming" && w.feed.opens.length === 1);
    expect(w.feed.opens).toEqual([{ kind: "resumeAfter", token: tok(7) }]);
    expect(w.scanCalls).toEqual([]);
    expect(w.items).toEqual([]);
  });

  it("with no token scans what is ready, marks T0 done, then streams at T0", async () => {
    const w = track(world({ checkpoint: null, docs: [claim(1), claim(2), claim(3)] }));
    w.start();
    await waitFor("streaming", () => w.feed.opens.length === 1);
    expect(w.feed.opens).toEqual([{ kind: "atClusterTime", clusterTime: T0 }]);
    expect(
      w.items.map((i) => [i.origin, i.operationType, (i.doc as { claim_number: string }).claim_number]),
    ).toEqual([
      ["scan", "scan", "S1"],
      ["scan", "scan", "S2"],
      ["scan", "scan", "S3"],
    ]);
    expect(w.items.map((i) => i.eventTimeMs)).toEqual([
      1_600_000_000_001, 1_600_000_000_002, 1_600_000_000_003,
    ]);
    // Pages of 2: after nothing, then after the second document.
    expect(w.scanCalls).toEqual([
      { after: undefined, pageSize: 2 },
      { after: 2, pageSize: 2 },
    ]);
    expect(w.marks).toContainEqual({ clusterTime: T0 });
    expect(await metricValue(w.metrics, "claimflow_events_received_total", { operation: "scan" })).toBe(3);
    expect(await metricValue(w.metrics, "claimflow_catchup_scanned_claims")).toBe(3);
    expect(await metricValue(w.metrics, "claimflow_catchup_total_claims")).toBe(3);
    expect(w.logs).toContainEqual(expect.objectContaining({ msg: "catch-up scan complete", claims: 3 }));
  });

  it("a checkpoint reset to a time scans, then streams from that time (not the current one)", async () => {
    const at = { t: 500, i: 0 };
    const w = track(world({ checkpoint: { clusterTime: at }, docs: [claim(1)] }));
    w.start();
    await waitFor("streaming", () => w.feed.opens.length === 1);
    expect(w.feed.opens).toEqual([{ kind: "atClusterTime", clusterTime: at }]);
    expect(w.marks).toContainEqual({ clusterTime: at });
    expect(w.items).toHaveLength(1);
  });
});

describe("ClaimSource: stream events", () => {
  it.each(["insert", "update", "replace"] as const)("an %s is emitted as a stream item", async (op) => {
    const w = track(world({ checkpoint: { token: tok(0) } }));
    w.feed.script.push(event(1, op));
    w.start();
    await waitFor("the item", () => w.items.length === 1);
    expect(w.items[0]).toMatchObject({
      origin: "stream",
      operationType: op,
      doc: { claim_number: "C1", version: 1 },
      eventTimeMs: 1_700_000_000_001,
    });
    expect(await metricValue(w.metrics, "claimflow_events_received_total", { operation: op })).toBe(1);
    expect(await metricValue(w.metrics, "claimflow_events_skipped_total")).toBe(0);
  });

  it("event time falls back to the cluster time, then to the clock", async () => {
    const w = track(world({ checkpoint: { token: tok(0) } }));
    w.feed.script.push(
      event(1, "insert", { wallTime: undefined }),
      event(2, "insert", { wallTime: undefined, clusterTime: undefined }),
    );
    w.start();
    await waitFor("two items", () => w.items.length === 2);
    expect(w.items.map((i) => i.eventTimeMs)).toEqual([2_001_000, w.now()]);
  });

  it("stream lag is the clock minus the event's cluster time, never negative", async () => {
    const w = track(world({ checkpoint: { token: tok(0) } }));
    w.advance(-w.now() + 2_010_500); // clock at 2010.5 s: event 1 is at 2001 s
    w.feed.script.push(event(1, "insert"), "hang");
    w.start();
    await waitFor("the item", () => w.items.length === 1 && w.feed.release !== undefined);
    expect(await metricValue(w.metrics, "claimflow_stream_lag_seconds")).toBeCloseTo(9.5, 6);
    w.feed.script.push(event(20, "insert", { clusterTime: { t: 9_999, i: 0 } }), "hang");
    w.feed.release?.();
    await waitFor("the second item", () => w.items.length === 2);
    expect(await metricValue(w.metrics, "claimflow_stream_lag_seconds")).toBe(0);
  });

  it.each(["delete", "drop", "rename"] as const)(
    "a %s is counted as received and skipped, and moves the watermark past it",
    async (op) => {
      const w = track(world({ checkpoint: { token: tok(0) } }));
      w.feed.script.push(event(1, op), event(2, "insert"));
      w.start();
      await waitFor("the insert", () => w.items.length === 1);
      expect(w.items[0]?.operationType).toBe("insert");
      expect(await metricValue(w.metrics, "claimflow_events_received_total", { operation: op })).toBe(1);
      expect(await metricValue(w.metrics, "claimflow_events_skipped_total", { reason: op })).toBe(1);
      // It ended at once, through the acker: the checkpoint may move to it, and of the two
      // events only the insert is still buffered and holds a permit (the other permit in use is
      // the read in progress, taken before each pull).
      expect(w.watermark.safePosition.position).toEqual({ token: tok(1), clusterTime: { t: 2_001, i: 1 } });
      expect(w.watermark.pending).toBe(1);
      expect(w.limiter.inFlight).toBe(2);
      expect(await metricValue(w.metrics, "claimflow_buffered_claims")).toBe(1);
    },
  );

  it("an idle stream marks each new post-batch token once and sets the lag to 0", async () => {
    const w = track(world({ checkpoint: { token: tok(0) } }));
    w.feed.postBatch = tok(50);
    w.start();
    await waitFor("the idle mark", () => w.marks.length > 0);
    await new Promise((r) => setTimeout(r, 20)); // several idle reads with the same token
    expect(w.marks).toEqual([{ token: tok(50) }]);
    w.feed.postBatch = tok(51);
    await waitFor("the second idle mark", () => w.marks.length === 2);
    expect(w.marks[1]).toEqual({ token: tok(51) });
  });
});

describe("ClaimSource: which events may be repeats (their history lookup is skipped otherwise)", () => {
  const repeats = (w: { items: SourceItem[] }) => w.items.map((i) => i.mayRepeat);

  it("an event at or below the ledger's reservedThrough mark may be a repeat; a newer one is not", async () => {
    const w = track(world({ checkpoint: { token: tok(0) }, reservedThrough: { t: 2_002, i: 1 } }));
    w.feed.script.push(event(1, "insert"), event(2, "update"), event(3, "insert"));
    w.start();
    await waitFor("three items", () => w.items.length === 3);
    expect(repeats(w)).toEqual([true, true, false]);
    expect(w.items.map((i) => i.clusterTime)).toEqual([
      { t: 2_001, i: 1 },
      { t: 2_002, i: 1 },
      { t: 2_003, i: 1 },
    ]);
    // The increment counts too: just past the mark within its second is new.
    const w2 = track(world({ checkpoint: { token: tok(0) }, reservedThrough: { t: 2_001, i: 1 } }));
    w2.feed.script.push(event(1, "insert", { clusterTime: { t: 2_001, i: 2 } }));
    w2.start();
    await waitFor("one item", () => w2.items.length === 1);
    expect(repeats(w2)).toEqual([false]);
  });

  it("with nothing reserved every event is new, the events of one transaction (one cluster time) too", async () => {
    const w = track(world({ checkpoint: { token: tok(0) }, reservedThrough: null }));
    const ct = { t: 2_005, i: 4 };
    w.feed.script.push(event(1, "insert", { clusterTime: ct }), event(2, "insert", { clusterTime: ct }));
    w.start();
    await waitFor("two items", () => w.items.length === 2);
    expect(repeats(w)).toEqual([false, false]);
  });

  it("an event without a cluster time may be a repeat", async () => {
    const w = track(world({ checkpoint: { token: tok(0) }, reservedThrough: null }));
    w.feed.script.push(event(1, "insert", { clusterTime: undefined }));
    w.start();
    await waitFor("the item", () => w.items.length === 1);
    expect(repeats(w)).toEqual([true]);
  });

  it("after a reopen, an event this process read before may be a repeat; the mark is read once", async () => {
    const w = track(world({ checkpoint: { token: tok(0) }, reservedThrough: null }));
    w.feed.script.push(
      event(1, "insert"),
      event(2, "insert"),
      new InjectedFaultError("socket"),
      event(2, "insert"),
      event(3, "insert"),
    );
    w.start();
    await waitFor("four items", () => w.items.length === 4);
    expect(w.feed.opens).toHaveLength(2);
    expect(repeats(w)).toEqual([false, false, true, false]);
    expect(w.markReads.count).toBe(1);
  });

  it("scanned documents may be repeats, and so may stream events up to the scan's T0", async () => {
    const w = track(world({ checkpoint: null, docs: [claim(1)], reservedThrough: null }));
    w.feed.script.push(
      event(1, "insert", { clusterTime: { t: T0.t, i: T0.i } }),
      event(2, "insert", { clusterTime: { t: T0.t, i: T0.i + 1 } }),
    );
    w.start();
    await waitFor("three items", () => w.items.length === 3);
    expect(w.items.map((i) => [i.origin, i.mayRepeat])).toEqual([
      ["scan", true],
      ["stream", true],
      ["stream", false],
    ]);
  });
});

describe("ClaimSource: stop while streaming", () => {
  it("a stop while waiting for a permit reads no further event", async () => {
    const w = track(world({ checkpoint: { token: tok(0) }, limit: 1 }));
    w.feed.script.push(event(1, "insert"), event(2, "insert"));
    w.start();
    await waitFor("the first item", () => w.items.length === 1);
    await new Promise((r) => setTimeout(r, 5)); // the read loop now waits for a permit
    w.source.stop();
    await waitFor("the end", () => w.completed());
    expect(w.items).toHaveLength(1);
    expect(w.feed.script).toHaveLength(1);
  });
});

describe("ClaimSource: recovery", () => {
  it("a transient failure restarts after the last token read, counted transient / change_stream", async () => {
    const w = track(world({ checkpoint: { token: tok(0) } }));
    w.feed.script.push(event(1, "insert"), new InjectedFaultError("socket"), "hang");
    w.start();
    await waitFor("the reopen", () => w.feed.opens.length === 2 && w.feed.release !== undefined);
    expect(w.feed.opens[1]).toEqual({ kind: "resumeAfter", token: tok(1) });
    // Not ready until a read succeeds.
    expect(w.source.state).toBe("restarting");
    expect(await metricValue(w.metrics, "claimflow_stream_restarts_total", { reason: "transient" })).toBe(1);
    expect(await metricValue(w.metrics, "claimflow_stream_restarts_total")).toBe(1);
    expect(await metricValue(w.metrics, "claimflow_mongo_errors_total", { operation: "change_stream" })).toBe(
      1,
    );
    w.feed.release?.();
    await waitFor("streaming again", () => w.source.state === "streaming");
  });

  it("backs off by consecutive failures, reset by a successful read", async () => {
    const w = track(world({ checkpoint: { token: tok(0) } }));
    const f = () => new InjectedFaultError("socket");
    w.feed.script.push(f(), f(), event(1, "insert"), f());
    w.start();
    await waitFor("three restarts", () => w.feed.opens.length === 4);
    expect(w.backoffs).toEqual([1, 2, 1]);
    // Before any event, a restart reopens where it started.
    expect(w.feed.opens.slice(0, 3)).toEqual([
      { kind: "resumeAfter", token: tok(0) },
      { kind: "resumeAfter", token: tok(0) },
      { kind: "resumeAfter", token: tok(0) },
    ]);
    expect(w.feed.opens[3]).toEqual({ kind: "resumeAfter", token: tok(1) });
  });

  it("a failure before any event in a fresh stream reopens at T0 without scanning again", async () => {
    const w = track(world({ checkpoint: null, docs: [claim(1)] }));
    w.feed.script.push(new InjectedFaultError("socket"));
    w.start();
    await waitFor("the reopen", () => w.feed.opens.length === 2);
    expect(w.feed.opens[1]).toEqual({ kind: "atClusterTime", clusterTime: T0 });
    expect(w.scanCalls).toHaveLength(1);
    expect(w.items).toHaveLength(1);
  });

  it("a process-level fault is not retried: the items stream errors with it", async () => {
    const w = track(world({ checkpoint: { token: tok(0) } }));
    const bug = new TypeError("x is not a function");
    w.feed.script.push(bug);
    w.start();
    await waitFor("the error", () => w.failed() !== undefined);
    expect(w.failed()).toBe(bug);
    expect(w.feed.opens).toHaveLength(1);
    expect(await metricValue(w.metrics, "claimflow_stream_restarts_total")).toBe(0);
  });

  it("a lost token (rescan) clears the checkpoint, counts token_lost and rescans from the current time", async () => {
    const w = track(world({ checkpoint: { token: tok(0) }, docs: [claim(1), claim(2)] }));
    w.feed.script.push(event(1, "insert"), new ResumeTokenLostError("rules", 286));
    w.start();
    await waitFor("the rescan and reopen", () => w.feed.opens.length === 2);
    expect(w.cleared).toEqual(["rules"]);
    expect(w.feed.opens[1]).toEqual({ kind: "atClusterTime", clusterTime: T0 });
    expect(w.items.map((i) => i.origin)).toEqual(["stream", "scan", "scan"]);
    expect(await metricValue(w.metrics, "claimflow_stream_restarts_total", { reason: "token_lost" })).toBe(1);
    expect(await metricValue(w.metrics, "claimflow_token_lost_total")).toBe(1);
  });

  it("a lost token with EDI_ON_TOKEN_LOST=fail ends the items with TOKEN_LOST_FATAL", async () => {
    const w = track(world({ checkpoint: { token: tok(0) }, onTokenLost: "fail" }));
    const lost = new ResumeTokenLostError("rules", 280);
    w.feed.script.push(lost);
    w.start();
    await waitFor("the error", () => w.failed() !== undefined);
    const err = w.failed() as TokenLostFatalError;
    expect(err).toBeInstanceOf(TokenLostFatalError);
    expect(err.code).toBe("TOKEN_LOST_FATAL");
    expect(err.cause).toBe(lost);
    expect(err.message).toBe(`${lost.message}; EDI_ON_TOKEN_LOST=fail, so claimflow stops`);
    expect(w.cleared).toEqual(["rules"]);
    expect(w.feed.opens).toHaveLength(1);
  });

  it("an invalidate restarts after it (startAfter) with a catch-up scan, counted invalidate", async () => {
    const w = track(world({ checkpoint: { token: tok(0) }, docs: [claim(1)] }));
    const inval = { _data: "inval-9" };
    w.feed.script.push(event(1, "drop"), new StreamInvalidatedError("rules", inval));
    w.start();
    await waitFor("the reopen", () => w.feed.opens.length === 2);
    expect(w.feed.opens[1]).toEqual({ kind: "startAfter", token: inval });
    expect(w.items.map((i) => i.origin)).toEqual(["scan"]);
    expect(w.marks).toContainEqual({ clusterTime: T0 });
    expect(await metricValue(w.metrics, "claimflow_stream_restarts_total", { reason: "invalidate" })).toBe(1);
    expect(await metricValue(w.metrics, "claimflow_stream_restarts_total")).toBe(1);
  });
});

describe("ClaimSource: catch-up scan", () => {
  it("logs progress once 5 s have passed since the last report (scanned, total, emitted)", async () => {
    const steps = [4_999, 1, 4_999, 5_000];
    const w = track(
      world({
        checkpoint: null,
        docs: [claim(1), claim(2), claim(3), claim(4)],
        pageSize: 1,
        onScanPage: () => w.advance(steps.shift() ?? 0),
      }),
    );
    w.start();
    await waitFor("streaming", () => w.feed.opens.length === 1);
    expect(
      w.logs
        .filter((l) => l.msg === "catch-up scan progress")
        .map(({ scanned, total, emitted }) => ({ scanned, total, emitted })),
    ).toEqual([
      { scanned: 2, total: 4, emitted: 1 },
      { scanned: 4, total: 4, emitted: 3 },
    ]);
  });

  it("finishes the billed mark of emitted claims it skips, page by page, and only those", async () => {
    const docs = [claim(1), claim(2), claim(3), claim(4), claim(5)];
    const w = track(world({ checkpoint: null, docs, emitted: ["S2@1", "S4@1"] }));
    w.start();
    await waitFor("streaming", () => w.feed.opens.length === 1);
    expect(w.items.map((i) => (i.doc as { claim_number: string }).claim_number)).toEqual(["S1", "S3", "S5"]);
    expect(w.markBilledCalls).toEqual([
      [{ claim_number: "S2", version: 1 }],
      [{ claim_number: "S4", version: 1 }],
    ]);
    expect(w.logs).toContainEqual(expect.objectContaining({ msg: "catch-up scan complete", claims: 3 }));
  });

  it("with EDI_MARK_BILLED off it skips emitted claims without marking them", async () => {
    const w = track(
      world({ checkpoint: null, docs: [claim(1), claim(2)], emitted: ["S2@1"], markBilled: false }),
    );
    w.start();
    await waitFor("streaming", () => w.feed.opens.length === 1);
    expect(w.items).toHaveLength(1);
    expect(w.markBilledCalls).toEqual([]);
  });

  it("keys the ledger look-up by claim_number and version (1 when absent); other documents pass unlooked-up", async () => {
    const docs = [
      { claim_number: "V", version: 3 },
      { claim_number: "N" },
      { claim_number: 42, version: 1 },
      { claim_number: "W", version: "2" },
    ];
    const w = track(
      world({ checkpoint: null, docs, pageSize: 10, emitted: ["V@3", "N@1"], markBilled: false }),
    );
    w.start();
    await waitFor("streaming", () => w.feed.opens.length === 1);
    expect(w.findEmittedCalls).toEqual([
      [
        { claim_number: "V", version: 3 },
        { claim_number: "N", version: 1 },
      ],
    ]);
    // No ref: the batch path's parser decides (dead letter), the scan does not drop it.
    expect(w.items.map((i) => i.doc)).toEqual([docs[2], docs[3]]);
  });

  it("a stop in the middle of a page hands nothing more on and never marks T0", async () => {
    const w = track(world({ checkpoint: null, docs: [claim(1), claim(2), claim(3)], limit: 1 }));
    w.start();
    await waitFor("the first item", () => w.items.length === 1);
    await new Promise((r) => setTimeout(r, 5)); // the scan now waits for a permit
    w.source.stop();
    await waitFor("the end", () => w.completed());
    expect(w.items).toHaveLength(1);
    expect(w.failed()).toBeUndefined();
    expect(w.marks).toEqual([]);
    expect(w.feed.opens).toEqual([]);
    expect(w.source.state).toBe("stopped");
  });

  it("a stop during the last page does not mark T0 done", async () => {
    const w = track(
      world({ checkpoint: null, docs: [claim(1)], emitted: ["S1@1"], onScanPage: () => w.source.stop() }),
    );
    w.start();
    await waitFor("the end", () => w.completed());
    expect(w.marks).toEqual([]);
    expect(w.msgs()).not.toContain("catch-up scan complete");
    expect(w.feed.opens).toEqual([]);
    // What the stop interrupts is not a stream failure.
    expect(w.failed()).toBeUndefined();
    expect(await metricValue(w.metrics, "claimflow_stream_restarts_total")).toBe(0);
    expect(await metricValue(w.metrics, "claimflow_mongo_errors_total")).toBe(0);
  });

  it("a stop while loading the checkpoint completes the items, not an error", async () => {
    const w = track(world({ checkpoint: { token: tok(0) } }));
    w.start();
    w.source.stop();
    await waitFor("the end", () => w.completed() || w.failed() !== undefined);
    expect(w.failed()).toBeUndefined();
    expect(w.feed.opens).toEqual([]);
  });

  it("paused mid-scan, it scans again from the start on resume, then streams at T0", async () => {
    let pages = 0;
    const states: string[] = [];
    const w = track(
      world({
        checkpoint: null,
        docs: [claim(1), claim(2), claim(3), claim(4)],
        onScanPage: () => {
          states.push(w.source.state);
          if (++pages === 1) w.source.setPaused(true);
        },
      }),
    );
    w.start();
    await waitFor("paused", () => w.source.state === "paused");
    expect(w.marks).toEqual([]);
    expect(w.feed.opens).toEqual([]);
    w.source.setPaused(false);
    await waitFor("streaming", () => w.feed.opens.length === 1);
    expect(w.scanCalls.map((c) => c.after)).toEqual([undefined, undefined, 2]);
    expect(states).toEqual(["catching_up", "catching_up", "catching_up"]);
    expect(w.feed.opens).toEqual([{ kind: "atClusterTime", clusterTime: T0 }]);
    expect(w.marks).toContainEqual({ clusterTime: T0 });
    expect(w.source.state).toBe("streaming");
  });
});

describe("ClaimSource: pause while streaming", () => {
  it("closes the stream, and on resume reopens after the last token read", async () => {
    const w = track(world({ checkpoint: { token: tok(0) } }));
    w.feed.script.push(event(1, "insert"));
    w.start();
    await waitFor("the item", () => w.items.length === 1);
    w.source.setPaused(true);
    await waitFor("paused", () => w.source.state === "paused");
    expect(w.feed.opens).toHaveLength(1);
    expect(w.feed.closes).toBe(1);
    expect(await metricValue(w.metrics, "claimflow_streaming")).toBe(0);
    w.source.setPaused(false);
    await waitFor("the reopen", () => w.feed.opens.length === 2);
    expect(w.feed.opens[1]).toEqual({ kind: "resumeAfter", token: tok(1) });
    await waitFor("streaming", () => w.source.state === "streaming");
    expect(await metricValue(w.metrics, "claimflow_streaming")).toBe(1);
  });
});

describe("ClaimSource: backfill", () => {
  it("before the source reads, a backfill does nothing and is incomplete", async () => {
    const w = track(world({ docs: [claim(1)] }));
    const pages: unknown[] = [];
    const run = await w.source.backfill({} as never, async (p) => {
      pages.push(p);
    });
    expect(run).toEqual({
      complete: false,
      progress: { total: 0, scanned: 0, alreadyEmitted: 0, queued: 0 },
      queued: [],
    });
    expect(pages).toEqual([]);
    expect(w.scanCalls).toEqual([]);
  });

  it("reads every page of the slice, skips what is emitted, and reports progress per page", async () => {
    const w = track(
      world({ checkpoint: { token: tok(0) }, docs: [claim(1), claim(2), claim(3)], emitted: ["S2@1"] }),
    );
    w.start();
    await waitFor("streaming", () => w.source.state === "streaming");
    const pages: unknown[] = [];
    const run = await w.source.backfill({} as never, async (p) => {
      pages.push(p);
    });
    expect(pages).toEqual([
      { total: 3, scanned: 0, alreadyEmitted: 0, queued: 0 },
      { total: 3, scanned: 2, alreadyEmitted: 1, queued: 1 },
      { total: 3, scanned: 3, alreadyEmitted: 1, queued: 2 },
    ]);
    expect(run.complete).toBe(true);
    expect(run.queued.map((q) => q.ref)).toEqual([
      { claim_number: "S1", version: 1 },
      { claim_number: "S3", version: 1 },
    ]);
    expect(run.queued.map((q) => q.seq)).toEqual(w.items.map((i) => i.seq));
    expect(w.items.map((i) => [i.origin, i.operationType])).toEqual([
      ["scan", "scan"],
      ["scan", "scan"],
    ]);
    expect(await metricValue(w.metrics, "claimflow_events_received_total", { operation: "backfill" })).toBe(
      2,
    );
  });

  it("a stop while a page waits for a permit ends the backfill incomplete, that page uncounted", async () => {
    const w = track(world({ checkpoint: { token: tok(0) }, docs: [claim(1), claim(2)], limit: 1 }));
    w.start();
    await waitFor("streaming", () => w.source.state === "streaming");
    const run = w.source.backfill({} as never, async () => undefined);
    await waitFor("the first backfill item", () => w.items.length === 1);
    await new Promise((r) => setTimeout(r, 5)); // the page now waits for a permit
    w.source.stop();
    const done = await run;
    expect(done.complete).toBe(false);
    expect(done.progress).toEqual({ total: 2, scanned: 0, alreadyEmitted: 0, queued: 0 });
    expect(w.items).toHaveLength(1);
  });

  it("a stop between pages ends the backfill incomplete with the counts so far", async () => {
    const w = track(world({ checkpoint: { token: tok(0) }, docs: [claim(1), claim(2), claim(3)] }));
    w.start();
    await waitFor("streaming", () => w.source.state === "streaming");
    let calls = 0;
    const run = await w.source.backfill({} as never, async () => {
      if (++calls === 2) w.source.stop();
    });
    expect(run.complete).toBe(false);
    expect(run.progress).toEqual({ total: 3, scanned: 2, alreadyEmitted: 0, queued: 2 });
    expect(run.queued).toHaveLength(2);
    expect(w.scanCalls).toHaveLength(1);
  });
});
