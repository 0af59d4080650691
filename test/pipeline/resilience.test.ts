import { getEventListeners, setMaxListeners } from "node:events";
import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from "mongodb";
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/observability/metrics.js";
import { isCancellation, Resilience } from "../../src/pipeline/resilience.js";
import { UnsafeOutputPathError } from "../../src/sink/fs-file-sink.js";

const serverError = (code: number, codeName: string, labels: string[] = []) =>
  new MongoServerError({ ok: 0, code, codeName, errmsg: `${codeName} from the server`, errorLabels: labels });

const errno = (code: string, path = "/out/GRP01/2026-11-28/C1-000000001.837.1.ab.tmp") =>
  Object.assign(new Error(`${code}: write failed, open '${path}'`), { code, syscall: "open", path });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Resilience: retry only what a retry can fix", () => {
  it("retries transient MongoDB errors until the operation succeeds", async () => {
    const r = new Resilience({ initialDelayMs: 1, maxDelayMs: 2, breakAfter: 100 });
    const failures = [
      new MongoNetworkError("connection reset"),
      serverError(10107, "NotWritablePrimary"),
      serverError(112, "WriteConflict", ["TransientTransactionError"]),
      serverError(6, "HostUnreachable", ["RetryableWriteError"]),
    ];
    let calls = 0;
    const value = await r.run(async () => {
      const err = failures[calls++];
      if (err) throw err;
      return "ok";
    });
    expect(value).toBe("ok");
    expect(calls).toBe(5);
  });

  it.each([
    ["an unauthorized user (code 13)", serverError(13, "Unauthorized")],
    ["failed authentication (code 18)", serverError(18, "AuthenticationFailed")],
    ["a document over 16 MiB (code 10334)", serverError(10334, "BSONObjectTooLarge")],
    ["a validation failure (code 121)", serverError(121, "DocumentValidationFailure")],
    ["a bug", new TypeError("cannot read properties of undefined")],
    ["an unsafe output path", new UnsafeOutputPathError("../etc/passwd")],
    ["an unknown error", new Error("something else")],
  ])("does not retry %s: the error comes back after one call", async (_what, error) => {
    const r = new Resilience({ initialDelayMs: 1, maxDelayMs: 2, breakAfter: 100 });
    let calls = 0;
    const err = await r
      .run(async () => {
        calls++;
        throw error;
      })
      .catch((e: unknown) => e);
    expect(err).toBe(error);
    expect(calls).toBe(1);
    expect(r.circuitOpen).toBe(false);
  });

  it("gives up at once when its signal aborts, even in the middle of a long backoff", async () => {
    const r = new Resilience({ initialDelayMs: 10_000, maxDelayMs: 10_000, breakAfter: 100 });
    const abort = new AbortController();
    let calls = 0;
    const running = r
      .run(async () => {
        calls++;
        throw new MongoServerSelectionError("no primary", { type: "ReplicaSetNoPrimary" } as never);
      }, abort.signal)
      .catch((e: unknown) => e);
    await sleep(20);
    const started = Date.now();
    abort.abort();
    const err = await running;
    expect(isCancellation(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(100);
    expect(calls).toBe(1);
    // An already-aborted signal runs nothing.
    await expect(r.run(async () => calls++, abort.signal)).rejects.toSatisfy(isCancellation);
    expect(calls).toBe(1);
  });

  it("counts each failed MongoDB attempt of a named operation, never the output disk's or an unnamed one", async () => {
    const metrics = new Metrics({ collectDefaults: false, stream: "s1" });
    const r = new Resilience({ initialDelayMs: 1, maxDelayMs: 2, breakAfter: 50, metrics });
    let calls = 0;
    const value = await r.run(
      async () => {
        calls++;
        if (calls <= 2) throw new MongoNetworkError("connection reset");
        if (calls === 3) throw errno("ENOSPC");
        return "reserved";
      },
      undefined,
      "reserve",
    );
    expect(value).toBe("reserved");
    await expect(
      r.run(
        async () => Promise.reject(new MongoServerError({ message: "bad", code: 2 })),
        undefined,
        "enrich",
      ),
    ).rejects.toThrow("bad");
    await r.run(async () => {
      if (calls++ === 4) throw new MongoNetworkError("reset");
    });
    const counted = Object.fromEntries(
      (await metrics.mongoErrors.get()).values.map((v) => [v.labels.operation, v.value]),
    );
    expect(counted).toEqual({ reserve: 2, enrich: 1 });
    // The stream name is a default label: the exposition names the processor on every series.
    expect(await metrics.registry.metrics()).toContain(
      'claimflow_mongo_errors_total{operation="reserve",stream="s1"} 2',
    );
  });

  it("retries output-disk errors outside the MongoDB circuit, with their own metric and problem", async () => {
    const metrics = new Metrics({ collectDefaults: false });
    const r = new Resilience({ initialDelayMs: 1, maxDelayMs: 2, breakAfter: 2, metrics });
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((res) => {
      release = res;
    });
    const running = r.run(async () => {
      calls++;
      if (calls <= 5) throw errno(calls % 2 ? "ENOSPC" : "EROFS");
      await gate;
      return "written";
    });
    // Five disk failures, more than breakAfter: the circuit stays closed, the problem is known.
    await (async () => {
      while (calls < 6) await sleep(1);
    })();
    expect(r.circuitOpen).toBe(false);
    expect(r.outputProblem).toEqual({ code: "ENOSPC", directory: "/out/GRP01/2026-11-28" });
    const counted = await metrics.outputErrors.get();
    const byCode = Object.fromEntries(counted.values.map((v) => [v.labels.code, v.value]));
    expect(byCode).toEqual({ ENOSPC: 3, EROFS: 2 });
    expect((await metrics.outputWritesBlocked.get()).values[0]?.value).toBe(1);
    release();
    expect(await running).toBe("written");
    expect(r.outputProblem).toBeUndefined();
    expect((await metrics.outputWritesBlocked.get()).values[0]?.value).toBe(0);
    expect((await metrics.circuitState.get()).values[0]?.value).toBe(0);
  });

  it("opens the circuit after repeated recorded failures and closes it on a success once half-open", async () => {
    const r = new Resilience({ breakAfter: 3, halfOpenAfterMs: 30 });
    for (let i = 0; i < 3; i++) r.recordFailure(new MongoNetworkError("stream down"));
    await sleep(0);
    expect(r.circuitOpen).toBe(true);
    r.recordSuccess(); // too early: still open
    await sleep(5);
    expect(r.circuitOpen).toBe(true);
    await sleep(40);
    r.recordSuccess();
    await sleep(5);
    expect(r.circuitOpen).toBe(false);
  });

  it("opens the circuit on transient failures of run, and waits for it instead of failing", async () => {
    const r = new Resilience({ breakAfter: 3, halfOpenAfterMs: 30, initialDelayMs: 1, maxDelayMs: 5 });
    let calls = 0;
    let sawOpen = false;
    const value = await r.run(async () => {
      calls++;
      if (r.circuitOpen) sawOpen = true;
      if (calls <= 3) throw serverError(91, "ShutdownInProgress");
      return calls;
    });
    // The fourth call is the half-open trial, made once halfOpenAfterMs has passed.
    expect(value).toBe(4);
    expect(sawOpen).toBe(true);
    expect(r.circuitOpen).toBe(false);
  });

  it("resets the failure count on a success, so scattered failures never open the circuit", async () => {
    const r = new Resilience({ breakAfter: 3, halfOpenAfterMs: 1_000 });
    for (let i = 0; i < 10; i++) {
      r.recordFailure(new MongoNetworkError("blip"));
      r.recordFailure(new MongoNetworkError("blip"));
      r.recordSuccess();
      await sleep(0);
    }
    expect(r.circuitOpen).toBe(false);
  });

  it("backs off exponentially with jitter, capped at the maximum", () => {
    const r = new Resilience({ initialDelayMs: 100, maxDelayMs: 1_000 });
    for (const [attempt, cap] of [
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 800],
      [5, 1_000],
      [40, 1_000],
    ] as const) {
      for (let i = 0; i < 20; i++) {
        const d = r.backoffDelay(attempt);
        expect(d).toBeGreaterThanOrEqual(cap / 2);
        expect(d).toBeLessThanOrEqual(cap);
      }
    }
  });

  it("leaves no abort listener behind: each run removes its own, retried or not, settled either way", async () => {
    const r = new Resilience({ initialDelayMs: 1, maxDelayMs: 2, breakAfter: 1_000 });
    const ac = new AbortController();
    setMaxListeners(0, ac.signal); // as the engine does: 50 at once is the point here
    const runs = Array.from({ length: 50 }, (_, i) => {
      let calls = 0;
      return r
        .run(async () => {
          calls++;
          if (i % 3 === 0 && calls < 3) throw new MongoNetworkError("blip");
          if (i % 5 === 0) throw new Error("a bug");
          return i;
        }, ac.signal)
        .catch(() => -1);
    });
    expect(getEventListeners(ac.signal, "abort").length).toBeGreaterThan(10);
    await Promise.all(runs);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });
});
