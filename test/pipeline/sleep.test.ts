// sleep(): an abort cuts it short, and a timer that fires takes its abort listener with it (a
// standby sleeps thousands of times on one signal while it waits for the lease).
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { sleep } from "../../src/pipeline/sleep.js";

describe("sleep", () => {
  it("leaves no abort listener behind once the timer fired", async () => {
    const ac = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(1, ac.signal);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });

  it("resolves early on abort, and at once when already aborted", async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    await p;
    await sleep(60_000, ac.signal);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });
});
