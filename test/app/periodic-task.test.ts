import { afterEach, describe, expect, it, vi } from "vitest";
import { PeriodicTask } from "../../src/app/services/periodic-task.js";

describe("PeriodicTask", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs first after firstRunAfterMs, then every intervalMs after the previous run ended", async () => {
    vi.useFakeTimers();
    const starts: number[] = [];
    let release: (() => void) | undefined;
    const task = new PeriodicTask(
      () => {
        starts.push(Date.now());
        return new Promise<void>((r) => {
          release = r;
        });
      },
      { intervalMs: 1_000, firstRunAfterMs: 50 },
    );
    const t0 = Date.now();
    task.start();
    await vi.advanceTimersByTimeAsync(49);
    expect(starts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toEqual([t0 + 50]);
    // A run that lasts longer than the interval is never overlapped.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(starts).toHaveLength(1);
    release?.();
    await vi.advanceTimersByTimeAsync(999);
    expect(starts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toEqual([t0 + 50, t0 + 6_050]);
    release?.();
    await task.stop();
  });

  it("keeps its schedule after a run that throws", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const task = new PeriodicTask(
      async () => {
        calls += 1;
        throw new Error("chore failed");
      },
      { intervalMs: 100 },
    );
    task.start();
    await vi.advanceTimersByTimeAsync(250);
    expect(calls).toBe(3);
    await task.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(3);
  });

  it("stop() waits for the run in flight and schedules no other", async () => {
    let finished = false;
    let calls = 0;
    const task = new PeriodicTask(
      async () => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 30));
        finished = true;
      },
      { intervalMs: 1 },
    );
    task.start();
    await new Promise((r) => setTimeout(r, 5));
    await task.stop();
    expect(finished).toBe(true);
    const after = calls;
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toBe(after);
  });
});
