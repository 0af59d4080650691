import { describe, expect, it } from "vitest";
import { isCancellation, Resilience } from "../../src/pipeline/resilience.js";

describe("Resilience", () => {
  it("retries until the operation succeeds", async () => {
    const r = new Resilience({ initialDelayMs: 1, maxDelayMs: 2, breakAfter: 100 });
    let calls = 0;
    const value = await r.run(async () => {
      calls++;
      if (calls < 4) throw new Error("transient");
      return "ok";
    });
    expect(value).toBe("ok");
    expect(calls).toBe(4);
  });

  it("gives up at once when its signal aborts, even in the middle of a long backoff", async () => {
    const r = new Resilience({ initialDelayMs: 10_000, maxDelayMs: 10_000, breakAfter: 100 });
    const abort = new AbortController();
    let calls = 0;
    const running = r.run(async () => {
      calls++;
      throw new Error("down");
    }, abort.signal);
    await new Promise((res) => setTimeout(res, 20));
    const started = Date.now();
    abort.abort();
    const err = await running.catch((e: unknown) => e);
    expect(isCancellation(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(100);
    expect(calls).toBe(1);
    // An already-aborted signal runs nothing.
    await expect(r.run(async () => calls++, abort.signal)).rejects.toSatisfy(isCancellation);
    expect(calls).toBe(1);
  });

  it("opens the circuit after repeated recorded failures and closes it on a success once half-open", async () => {
    const r = new Resilience({ breakAfter: 3, halfOpenAfterMs: 30 });
    for (let i = 0; i < 3; i++) r.recordFailure(new Error("stream down"));
    await new Promise((res) => setTimeout(res, 0));
    expect(r.circuitOpen).toBe(true);
    r.recordSuccess(); // too early: still open
    await new Promise((res) => setTimeout(res, 5));
    expect(r.circuitOpen).toBe(true);
    await new Promise((res) => setTimeout(res, 40));
    r.recordSuccess();
    await new Promise((res) => setTimeout(res, 5));
    expect(r.circuitOpen).toBe(false);
  });

  it("resets the failure count on a success, so scattered failures never open the circuit", async () => {
    const r = new Resilience({ breakAfter: 3, halfOpenAfterMs: 1_000 });
    for (let i = 0; i < 10; i++) {
      r.recordFailure(new Error("blip"));
      r.recordFailure(new Error("blip"));
      r.recordSuccess();
      await new Promise((res) => setTimeout(res, 0));
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
});
