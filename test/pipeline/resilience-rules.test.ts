// Resilience, rule by rule: the circuit gauge and log at each state change, what a retry logs,
// a circuit opened by run() closed by the stream's recorded success, the backoff formula, the
// error summary logs carry, and the output directory /readyz names.
import { getEventListeners } from "node:events";
import { Writable } from "node:stream";
import { MongoNetworkError } from "mongodb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/observability/logger.js";
import { CIRCUIT_STATE, Metrics } from "../../src/observability/metrics.js";
import { errorSummary, isCancellation, Resilience } from "../../src/pipeline/resilience.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (cond: () => boolean) => {
  while (!cond()) await sleep(1);
};

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  // The processor's own logger (its err serializer), writing to memory.
  return { logger: createLogger("info", stream), lines };
}

const errno = (code: string, path?: string) =>
  Object.assign(new Error(`${code}: write failed`), { code, syscall: "open", ...(path ? { path } : {}) });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the circuit: gauge and log at each state change", () => {
  it("goes closed -> open -> half-open -> closed on claimflow_circuit_state, logging open and closed once each", async () => {
    const metrics = new Metrics({ collectDefaults: false });
    const states: number[] = [];
    const set = metrics.circuitState.set.bind(metrics.circuitState);
    vi.spyOn(metrics.circuitState, "set").mockImplementation((v: number) => {
      states.push(v);
      set(v);
    });
    const { logger, lines } = memoryLogger();
    const r = new Resilience({ breakAfter: 2, halfOpenAfterMs: 20, metrics, logger });
    r.recordFailure(new MongoNetworkError("down"));
    r.recordFailure(new MongoNetworkError("down"));
    await until(() => r.circuitOpen);
    expect(states).toEqual([CIRCUIT_STATE.closed, CIRCUIT_STATE.open]);
    await sleep(30);
    r.recordSuccess();
    await until(() => !r.circuitOpen);
    await until(() => states.length >= 4);
    expect(states).toEqual([
      CIRCUIT_STATE.closed,
      CIRCUIT_STATE.open,
      CIRCUIT_STATE.halfOpen,
      CIRCUIT_STATE.closed,
    ]);
    expect((await metrics.circuitState.get()).values[0]?.value).toBe(CIRCUIT_STATE.closed);
    const said = lines.map((l) => [l.level, l.msg]);
    expect(said).toEqual([
      ["error", "circuit breaker open: MongoDB keeps failing"],
      ["info", "circuit breaker closed"],
    ]);
  });

  it("a circuit opened by run() is closed by the stream's recorded success once half-open", async () => {
    const r = new Resilience({ breakAfter: 2, halfOpenAfterMs: 20, initialDelayMs: 1, maxDelayMs: 2 });
    const ac = new AbortController();
    const running = r
      .run(async () => Promise.reject(new MongoNetworkError("down")), ac.signal)
      .catch((e: unknown) => e);
    await until(() => r.circuitOpen);
    ac.abort();
    expect(isCancellation(await running)).toBe(true);
    await sleep(30);
    r.recordSuccess();
    await until(() => !r.circuitOpen);
    expect(r.circuitOpen).toBe(false);
  });
});

describe("run: what each retry logs, and no metrics needed", () => {
  it("logs one warning per failed attempt: the error summary, the fault kind, the attempt number", async () => {
    const { logger, lines } = memoryLogger();
    const r = new Resilience({ initialDelayMs: 1, maxDelayMs: 2, breakAfter: 100, logger });
    const failures = [
      new MongoNetworkError("connection reset"),
      errno("ENOSPC", "/out/G1/2026-11-28/C1.837.tmp"),
      new MongoNetworkError("again"),
    ];
    let calls = 0;
    expect(
      await r.run(async () => {
        const err = failures[calls++];
        if (err) throw err;
        return "ok";
      }),
    ).toBe("ok");
    expect(lines.map(({ level, msg, fault, attempt, err }) => ({ level, msg, fault, attempt, err }))).toEqual(
      [
        {
          level: "warn",
          msg: "operation failed; retrying with backoff",
          fault: "transient",
          attempt: 1,
          err: { type: "MongoNetworkError", message: "connection reset" },
        },
        {
          level: "warn",
          msg: "output file write failed; retrying with backoff",
          fault: "output",
          attempt: 2,
          err: { type: "Error", message: "ENOSPC: write failed", code: "ENOSPC" },
        },
        {
          level: "warn",
          msg: "operation failed; retrying with backoff",
          fault: "transient",
          attempt: 3,
          err: { type: "MongoNetworkError", message: "again" },
        },
      ],
    );
    for (const l of lines) expect(l.delayMs).toEqual(expect.any(Number));
  });

  it("retries MongoDB and disk failures of a named operation without a Metrics", async () => {
    const r = new Resilience({ initialDelayMs: 1, maxDelayMs: 2, breakAfter: 100 });
    const failures = [new MongoNetworkError("reset"), errno("EROFS", "/out/G/x.tmp")];
    let calls = 0;
    const value = await r.run(
      async () => {
        const err = failures[calls++];
        if (err) throw err;
        return calls;
      },
      undefined,
      "reserve",
    );
    expect(value).toBe(3);
    expect(r.outputProblem).toBeUndefined();
  });

  it("a cancelled run says why, and leaves no abort listener even when fn never settles", async () => {
    const r = new Resilience();
    const ac = new AbortController();
    const running = r.run(() => new Promise<never>(() => undefined), ac.signal).catch((e: unknown) => e);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(1);
    ac.abort();
    const err = await running;
    expect(isCancellation(err)).toBe(true);
    expect((err as Error).message).toBe("operation cancelled: the pipeline is stopping");
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });
});

describe("outputProblem: the directory /readyz names", () => {
  it.each([
    ["the directory of the failed file", "/out/G1/2026-11-28/C1.837.tmp", "/out/G1/2026-11-28"],
    ["a path without a slash, as it is", "C1.837.tmp", "C1.837.tmp"],
    ["no path at all: no directory", undefined, undefined],
  ])("%s", async (_what, path, directory) => {
    const r = new Resilience({ initialDelayMs: 1, maxDelayMs: 2 });
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((res) => {
      release = res;
    });
    const running = r.run(async () => {
      if (calls++ === 0) throw errno("EACCES", path);
      await gate;
    });
    await until(() => calls >= 2);
    expect(r.outputProblem).toStrictEqual({ code: "EACCES", directory });
    release();
    await running;
    expect(r.outputProblem).toBeUndefined();
  });
});

describe("backoffDelay: half fixed, half jitter", () => {
  it.each([
    [0, 200],
    [0.5, 300],
    [0.999, 399.8],
  ])("with Math.random() = %s, attempt 3 of 100 ms waits %s ms", (rand, delay) => {
    vi.spyOn(Math, "random").mockReturnValue(rand);
    const r = new Resilience({ initialDelayMs: 100, maxDelayMs: 1_000 });
    expect(r.backoffDelay(3)).toBeCloseTo(delay, 6);
  });
});

describe("errorSummary: what a log line says of an error", () => {
  it.each([
    [
      "an error with a code",
      Object.assign(new Error("boom"), { code: 11000 }),
      { type: "Error", message: "boom", code: 11000 },
    ],
    ["an error without a code: no code key", new TypeError("bad"), { type: "TypeError", message: "bad" }],
    [
      "a long message, capped at 500",
      new Error("m".repeat(600)),
      { type: "Error", message: "m".repeat(500) },
    ],
    ["a thrown string: only its type", "a secret value", { type: "string" }],
    ["a thrown object: only its type", { ssn: "123-45-6789" }, { type: "object" }],
  ])("%s", (_what, err, summary) => {
    expect(errorSummary(err)).toStrictEqual(summary);
  });
});
