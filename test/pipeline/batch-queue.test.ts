// processWindows: closed windows wait for a batch slot, and a window of a group that already has
// one waiting joins it (up to the batch size) rather than becoming another tiny batch.
import { Subject } from "rxjs";
import { describe, expect, it } from "vitest";
import { processWindows } from "../../src/pipeline/batch-queue.js";
import type { Window } from "../../src/pipeline/windows.js";

interface Started {
  readonly key: string;
  readonly items: number[];
  finish(): void;
  fail(err: Error): void;
}

function harness(concurrency: number, maxItems: number) {
  const windows = new Subject<Window<number>>();
  const started: Started[] = [];
  const results: string[] = [];
  let running = 0;
  let peak = 0;
  let completed = false;
  let error: unknown;
  windows
    .pipe(
      processWindows<number, string>({
        concurrency,
        maxItems,
        process: (w) =>
          new Promise<string>((resolve, reject) => {
            running++;
            peak = Math.max(peak, running);
            started.push({
              key: w.key,
              items: [...w.items],
              finish: () => {
                running--;
                resolve(`${w.key}:${w.items.join(",")}`);
              },
              fail: (err) => {
                running--;
                reject(err);
              },
            });
          }),
      }),
    )
    .subscribe({
      next: (r) => results.push(r),
      complete: () => {
        completed = true;
      },
      error: (err) => {
        error = err;
      },
    });
  const send = (key: string, ...items: number[]) => windows.next({ key, items, reason: "time" });
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return {
    windows,
    started,
    results,
    send,
    settle,
    get peak() {
      return peak;
    },
    get completed() {
      return completed;
    },
    get error() {
      return error;
    },
  };
}

describe("processWindows", () => {
  it("joins a window to the waiting window of its group while every batch slot is busy", async () => {
    const h = harness(1, 10);
    h.send("A", 1, 2);
    h.send("A", 3, 4);
    h.send("B", 5);
    h.send("A", 6);
    expect(h.started.map((s) => s.items)).toEqual([[1, 2]]);
    h.started[0]?.finish();
    await h.settle();
    // The waiting A took 6; B keeps its place in the queue behind it.
    expect(h.started.map((s) => [s.key, s.items])).toEqual([
      ["A", [1, 2]],
      ["A", [3, 4, 6]],
    ]);
    h.started[1]?.finish();
    await h.settle();
    expect(h.started[2]).toMatchObject({ key: "B", items: [5] });
  });

  it("never lets a joined window grow past the batch size", async () => {
    const h = harness(1, 3);
    h.send("X", 0);
    h.send("A", 1, 2);
    h.send("A", 3, 4);
    h.send("A", 5);
    h.started[0]?.finish();
    await h.settle();
    h.started[1]?.finish();
    await h.settle();
    h.started[2]?.finish();
    await h.settle();
    expect(h.started.slice(1).map((s) => s.items)).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it("runs at most `concurrency` batches at once and starts the next as one finishes", async () => {
    const h = harness(3, 10);
    for (const key of ["A", "B", "C", "D", "E"]) h.send(key, 1);
    expect(h.started.length).toBe(3);
    h.started[1]?.finish();
    await h.settle();
    expect(h.started.map((s) => s.key)).toEqual(["A", "B", "C", "D"]);
    for (const s of h.started) if (s.key !== "B") s.finish();
    await h.settle();
    h.started[4]?.finish();
    await h.settle();
    expect(h.peak).toBe(3);
    expect(h.results.sort()).toEqual(["A:1", "B:1", "C:1", "D:1", "E:1"]);
  });

  it("completes only after the source completed and every waiting and running batch finished", async () => {
    const h = harness(1, 10);
    h.send("A", 1);
    h.send("B", 2);
    h.windows.complete();
    await h.settle();
    expect(h.completed).toBe(false);
    h.started[0]?.finish();
    await h.settle();
    expect(h.completed).toBe(false);
    h.started[1]?.finish();
    await h.settle();
    expect(h.completed).toBe(true);
    expect(h.results).toEqual(["A:1", "B:2"]);
  });

  it("fails with the first batch that fails", async () => {
    const h = harness(2, 10);
    h.send("A", 1);
    h.send("B", 2);
    h.started[0]?.fail(new Error("boom"));
    await h.settle();
    expect(h.error).toBeInstanceOf(Error);
    expect((h.error as Error).message).toBe("boom");
  });
});
