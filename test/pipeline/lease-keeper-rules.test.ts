// Rules of the LeaseKeeper, tested on the keeper alone with fake timers, a hand-driven
// performance clock and a scripted lease store, so each case is exact and fast. Pinned: the
// timing constants (renew every max(100, ttl/3), standby poll every max(200, ttl/3), each call
// cut off after max(50, floor(ttl/4))), the standby announcement (once, and only when the store
// answers), how failures of acquisition, renewal and the deadline's one late attempt count, that
// renewals never overlap, that a late answer after release() re-arms nothing, and the error
// codes and loss messages an operator sees. lease-keeper.test.ts covers the same keeper end to
// end through the Engine on real time; these cases kill the mutants it leaves alive.
import pino, { type Logger } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LeaseKeeper, LeaseLostError, LeaseTimeoutError } from "../../src/pipeline/lease-keeper.js";
import type { LeaseInfo, LeaseOptions, LeaseStore } from "../../src/ports/lease.js";

const STREAM = "claims";
const HOLDER = "host-a:1";

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

const INFO = 30;
const WARN = 40;
const ERROR = 50;

/** A store call the test settles by hand. */
interface Pending {
  resolve(ok: boolean): void;
  reject(err: Error): void;
}

/** Answers tryAcquire from a script (then `fallback`), and records every call. */
class ScriptedLeases implements LeaseStore {
  readonly calls: Array<{ ttlMs: number; opts: LeaseOptions | undefined }> = [];
  readonly script: Array<boolean | Error | "hang"> = [];
  fallback: boolean | Error | "hang" = true;
  readonly pending: Pending[] = [];
  currentAnswer: LeaseInfo | null | Error = null;
  currentCalls = 0;
  releases = 0;

  tryAcquire(_stream: string, _holder: string, ttlMs: number, opts?: LeaseOptions): Promise<boolean> {
    this.calls.push({ ttlMs, opts });
    const step = this.script.length > 0 ? this.script.shift() : this.fallback;
    if (step === "hang") {
      return new Promise<boolean>((resolve, reject) => this.pending.push({ resolve, reject }));
    }
    if (step instanceof Error) return Promise.reject(step);
    return Promise.resolve(step === true);
  }

  async release(): Promise<void> {
    this.releases++;
  }

  async current(): Promise<LeaseInfo | null> {
    this.currentCalls++;
    if (this.currentAnswer instanceof Error) throw this.currentAnswer;
    return this.currentAnswer;
  }
}

/** Milliseconds the process "was frozen": added to performance.now() but not to the timers. */
let pausedMs = 0;
let t0 = 0;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  t0 = Date.now();
  pausedMs = 0;
  vi.spyOn(performance, "now").mockImplementation(() => Date.now() - t0 + pausedMs);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function setup(ttlMs: number, withActiveChange = true) {
  const leases = new ScriptedLeases();
  const lines: LogLine[] = [];
  const logger: Logger = pino(
    { level: "debug" },
    { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  );
  const active: boolean[] = [];
  let lost = 0;
  const keeper = new LeaseKeeper({
    leases,
    streamName: STREAM,
    holder: HOLDER,
    ttlMs,
    logger,
    onLost: () => {
      lost++;
    },
    ...(withActiveChange ? { onActiveChange: (a: boolean) => void active.push(a) } : {}),
  });
  const ac = new AbortController();
  return {
    leases,
    lines,
    active,
    keeper,
    ac,
    lostCount: () => lost,
    logged: (msg: string) => lines.filter((l) => l.msg === msg),
  };
}

describe("LeaseKeeper errors", () => {
  it("LeaseLostError carries code LEASE_LOST and tells the operator why the processor stops", () => {
    const err = new LeaseLostError("claims");
    expect(err.code).toBe("LEASE_LOST");
    expect(err.name).toBe("LeaseLostError");
    expect(err.message).toBe(
      'lease of stream "claims" was lost to another processor (or could not be renewed in time); ' +
        "stopping so two processors never run the same stream",
    );
  });

  it("LeaseTimeoutError carries code LEASE_TIMEOUT", () => {
    expect(new LeaseTimeoutError("x").code).toBe("LEASE_TIMEOUT");
  });
});

describe("LeaseKeeper timing constants", () => {
  it("bounds each lease call at a quarter of the TTL, rounded down, and never under 50 ms", () => {
    expect(setup(1_000).keeper.callTimeoutMs).toBe(250);
    expect(setup(1_003).keeper.callTimeoutMs).toBe(250);
    expect(setup(120).keeper.callTimeoutMs).toBe(50);
  });

  it("passes the call bound to the store with every take", async () => {
    const s = setup(1_000);
    await s.keeper.acquire(s.ac.signal);
    expect(s.leases.calls).toEqual([{ ttlMs: 1_000, opts: { timeoutMs: 250 } }]);
    s.keeper.stop();
  });

  it("renews every third of the TTL", async () => {
    const s = setup(900);
    await s.keeper.acquire(s.ac.signal);
    await vi.advanceTimersByTimeAsync(299);
    expect(s.leases.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.leases.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(300);
    expect(s.leases.calls).toHaveLength(3);
    s.keeper.stop();
  });

  it("renews no more often than every 100 ms on a short TTL", async () => {
    const s = setup(210);
    await s.keeper.acquire(s.ac.signal);
    await vi.advanceTimersByTimeAsync(99);
    expect(s.leases.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.leases.calls).toHaveLength(2);
    s.keeper.stop();
  });

  it("a standby polls every third of the TTL", async () => {
    const s = setup(900);
    s.leases.fallback = false;
    const done = s.keeper.acquire(s.ac.signal);
    await vi.advanceTimersByTimeAsync(299);
    expect(s.leases.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.leases.calls).toHaveLength(2);
    s.ac.abort();
    await done;
  });

  it("a standby polls no more often than every 200 ms on a short TTL", async () => {
    const s = setup(300);
    s.leases.fallback = false;
    const done = s.keeper.acquire(s.ac.signal);
    await vi.advanceTimersByTimeAsync(199);
    expect(s.leases.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.leases.calls).toHaveLength(2);
    s.ac.abort();
    await done;
  });
});

describe("LeaseKeeper acquisition", () => {
  it("starts neither active nor reachable, and is both once the lease is taken", async () => {
    const s = setup(900);
    expect(s.keeper.active).toBe(false);
    expect(s.keeper.reachable).toBe(false);
    await s.keeper.acquire(s.ac.signal);
    expect(s.keeper.active).toBe(true);
    expect(s.keeper.reachable).toBe(true);
    expect(s.active).toEqual([true]);
    expect(s.logged("lease acquired")).toEqual([
      expect.objectContaining({ level: INFO, stream: STREAM, holder: HOLDER }),
    ]);
    s.keeper.stop();
  });

  it("leaves only the renewal and deadline timers once acquired, and none after stop()", async () => {
    const s = setup(900);
    await s.keeper.acquire(s.ac.signal);
    expect(vi.getTimerCount()).toBe(2);
    s.keeper.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(s.leases.calls).toHaveLength(1);
    expect(s.lostCount()).toBe(0);
  });

  it("works without an onActiveChange listener", async () => {
    const s = setup(900, false);
    await s.keeper.acquire(s.ac.signal);
    expect(s.keeper.active).toBe(true);
    await s.keeper.release();
    expect(s.keeper.active).toBe(false);
  });

  it("a standby announces itself once, naming the holder, however long it waits", async () => {
    const s = setup(900);
    s.leases.fallback = false;
    const expiresAt = new Date("2030-01-01T00:00:00Z");
    s.leases.currentAnswer = { streamName: STREAM, holder: "host-b:2", expiresAt, live: true };
    const done = s.keeper.acquire(s.ac.signal);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(s.leases.calls.length).toBeGreaterThan(5);
    expect(s.keeper.active).toBe(false);
    expect(s.keeper.reachable).toBe(true);
    expect(s.leases.currentCalls).toBe(1);
    expect(s.logged("standby: another processor holds the lease")).toEqual([
      expect.objectContaining({
        level: INFO,
        stream: STREAM,
        holder: "host-b:2",
        expiresAt: expiresAt.toISOString(),
      }),
    ]);
    s.ac.abort();
    await done;
  });

  it("a standby whose store cannot say who holds the lease still waits and then takes it", async () => {
    const s = setup(900);
    s.leases.script.push(false, false);
    s.leases.currentAnswer = new Error("current failed");
    const done = s.keeper.acquire(s.ac.signal);
    await vi.advanceTimersByTimeAsync(600);
    expect(s.keeper.active).toBe(true);
    expect(s.leases.calls).toHaveLength(3);
    expect(s.logged("standby: another processor holds the lease")).toHaveLength(1);
    s.ac.abort();
    await done;
    s.keeper.stop();
  });

  it("a standby that cannot reach the store warns and retries, and announces nothing until it can", async () => {
    const s = setup(900);
    s.leases.script.push(false, new Error("no primary"), new Error("no primary"));
    s.leases.fallback = false;
    const done = s.keeper.acquire(s.ac.signal);
    // The first answer (a refusal) makes the store reachable; the next two calls fail.
    await vi.advanceTimersByTimeAsync(300);
    expect(s.keeper.reachable).toBe(false);
    expect(s.keeper.active).toBe(false);
    await vi.advanceTimersByTimeAsync(300);
    expect(s.keeper.active).toBe(false);
    expect(s.logged("lease acquisition failed; retrying")).toEqual([
      expect.objectContaining({ level: WARN, err: "Error: no primary" }),
      expect.objectContaining({ level: WARN, err: "Error: no primary" }),
    ]);
    expect(s.leases.currentCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(300);
    expect(s.keeper.reachable).toBe(true);
    expect(s.logged("standby: another processor holds the lease")).toHaveLength(1);
    s.ac.abort();
    await done;
  });

  it("a keeper that never reached the store does not announce standby, and is not active", async () => {
    const s = setup(900);
    s.leases.fallback = new Error("no primary");
    const done = s.keeper.acquire(s.ac.signal);
    await vi.advanceTimersByTimeAsync(900);
    expect(s.leases.calls).toHaveLength(4);
    expect(s.keeper.active).toBe(false);
    expect(s.keeper.reachable).toBe(false);
    expect(s.leases.currentCalls).toBe(0);
    expect(s.logged("standby: another processor holds the lease")).toHaveLength(0);
    expect(s.active).toEqual([]);
    s.ac.abort();
    await done;
  });

  it("cuts a hanging take off after the call bound with a LeaseTimeoutError naming the bound", async () => {
    const s = setup(1_000);
    s.leases.script.push("hang");
    const done = s.keeper.acquire(s.ac.signal);
    await vi.advanceTimersByTimeAsync(249);
    expect(s.logged("lease acquisition failed; retrying")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.logged("lease acquisition failed; retrying")).toEqual([
      expect.objectContaining({ err: "LeaseTimeoutError: lease call took longer than 250 ms" }),
    ]);
    expect(s.keeper.reachable).toBe(false);
    // The next poll takes the lease.
    await vi.advanceTimersByTimeAsync(1_000 / 3);
    expect(s.keeper.active).toBe(true);
    s.ac.abort();
    await done;
    s.keeper.stop();
  });
});

describe("LeaseKeeper renewal", () => {
  it("a failed renewal warns and marks the store unreachable; the next success marks it reachable", async () => {
    const s = setup(900);
    await s.keeper.acquire(s.ac.signal);
    s.leases.script.push(new Error("socket closed"), true);
    await vi.advanceTimersByTimeAsync(300);
    expect(s.keeper.reachable).toBe(false);
    expect(s.keeper.active).toBe(true);
    expect(s.logged("lease renewal failed")).toEqual([
      expect.objectContaining({ level: WARN, err: "Error: socket closed" }),
    ]);
    await vi.advanceTimersByTimeAsync(300);
    expect(s.keeper.reachable).toBe(true);
    expect(s.keeper.active).toBe(true);
    expect(s.lostCount()).toBe(0);
    s.keeper.stop();
  });

  it("a renewal the store refuses loses the lease to another processor, once", async () => {
    const s = setup(900);
    await s.keeper.acquire(s.ac.signal);
    s.leases.fallback = false;
    await vi.advanceTimersByTimeAsync(300);
    expect(s.lostCount()).toBe(1);
    expect(s.keeper.active).toBe(false);
    expect(s.active).toEqual([true, false]);
    expect(s.logged("lease lost to another processor")).toEqual([
      expect.objectContaining({ level: ERROR, stream: STREAM }),
    ]);
    expect(vi.getTimerCount()).toBe(0);
    await s.keeper.release();
    expect(s.leases.releases).toBe(0);
    expect(s.active).toEqual([true, false]);
    expect(s.lostCount()).toBe(1);
  });

  it("timers that come due back to back start no second renewal while one is in flight", async () => {
    const s = setup(900);
    await s.keeper.acquire(s.ac.signal);
    s.leases.fallback = "hang";
    // Synchronous advance: the renewal at 300 ms is cut off at 525 ms, but its rejection is
    // not handled before the interval fires again at 600 ms (a stalled event loop).
    vi.advanceTimersByTime(600);
    expect(s.leases.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.logged("lease renewal failed")).toHaveLength(1);
    s.keeper.stop();
  });

  it("a renewal answered after release() re-arms nothing", async () => {
    const s = setup(900);
    await s.keeper.acquire(s.ac.signal);
    s.leases.script.push("hang");
    await vi.advanceTimersByTimeAsync(300);
    expect(s.leases.pending).toHaveLength(1);
    await s.keeper.release();
    s.leases.pending[0]?.resolve(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(s.keeper.active).toBe(false);
    expect(s.lostCount()).toBe(0);
  });
});

describe("LeaseKeeper deadline", () => {
  // TTL 120 ms: deadline at 90 ms, before the first renewal (100 ms); call bound 50 ms.

  it("gives the lease up at the deadline when no renewal went through in time", async () => {
    const s = setup(120);
    await s.keeper.acquire(s.ac.signal);
    await vi.advanceTimersByTimeAsync(89);
    expect(s.lostCount()).toBe(0);
    pausedMs = 49; // late, but by less than one call bound: renewals hang or fail
    await vi.advanceTimersByTimeAsync(1);
    expect(s.lostCount()).toBe(1);
    expect(s.leases.calls).toHaveLength(1);
    expect(s.logged("lease not renewed in time")).toEqual([
      expect.objectContaining({ level: ERROR, stream: STREAM }),
    ]);
    expect(s.active).toEqual([true, false]);
  });

  it("a deadline late by exactly one call bound asks the store, which keeps the lease", async () => {
    const s = setup(120);
    await s.keeper.acquire(s.ac.signal);
    await vi.advanceTimersByTimeAsync(89);
    pausedMs = 50;
    await vi.advanceTimersByTimeAsync(1);
    expect(s.leases.calls).toHaveLength(2);
    expect(s.lostCount()).toBe(0);
    expect(s.keeper.active).toBe(true);
    expect(
      s.logged(
        "process was paused past the lease renewal deadline; the store still gave this processor the lease",
      ),
    ).toEqual([expect.objectContaining({ level: WARN, stream: STREAM, pausedMs: 50 })]);
    s.keeper.stop();
  });

  it("after a pause, a store that cannot be reached loses the lease and is marked unreachable", async () => {
    const s = setup(120);
    await s.keeper.acquire(s.ac.signal);
    expect(s.keeper.reachable).toBe(true);
    s.leases.fallback = new Error("no primary");
    await vi.advanceTimersByTimeAsync(89);
    pausedMs = 400;
    await vi.advanceTimersByTimeAsync(1);
    expect(s.leases.calls).toHaveLength(2);
    expect(s.keeper.reachable).toBe(false);
    expect(s.lostCount()).toBe(1);
    expect(s.keeper.active).toBe(false);
    expect(s.logged("lease not renewed in time (process paused)")).toEqual([
      expect.objectContaining({ level: ERROR, stream: STREAM }),
    ]);
  });

  it("after a pause, a store that refuses the lease loses it", async () => {
    const s = setup(120);
    await s.keeper.acquire(s.ac.signal);
    s.leases.fallback = false;
    await vi.advanceTimersByTimeAsync(89);
    pausedMs = 400;
    await vi.advanceTimersByTimeAsync(1);
    expect(s.lostCount()).toBe(1);
    expect(s.logged("lease not renewed in time (process paused)")).toHaveLength(1);
  });

  it("after a pause, the store's yes marks it reachable again and re-arms the deadline", async () => {
    const s = setup(1_000);
    await s.keeper.acquire(s.ac.signal);
    // Renewals at 333 and 666 ms fail; the deadline is at 750 ms.
    s.leases.script.push(new Error("down"), new Error("down"), true);
    await vi.advanceTimersByTimeAsync(749);
    expect(s.keeper.reachable).toBe(false);
    pausedMs = 300;
    await vi.advanceTimersByTimeAsync(1);
    expect(s.leases.calls).toHaveLength(4);
    expect(s.keeper.reachable).toBe(true);
    expect(s.keeper.active).toBe(true);
    expect(s.lostCount()).toBe(0);
    s.keeper.stop();
  });

  it("an answer to the late attempt that arrives after release() neither warns nor re-arms", async () => {
    const s = setup(120);
    await s.keeper.acquire(s.ac.signal);
    s.leases.fallback = "hang";
    await vi.advanceTimersByTimeAsync(89);
    pausedMs = 400;
    await vi.advanceTimersByTimeAsync(1);
    expect(s.leases.pending).toHaveLength(1);
    await s.keeper.release();
    s.leases.pending[0]?.resolve(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(s.lines.filter((l) => l.level >= WARN)).toEqual([]);
    expect(s.lostCount()).toBe(0);
  });
});
