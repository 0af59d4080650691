import { Subject } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { windowByGroup } from "../../src/pipeline/windows.js";

type Item = { g: string; n: number };

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe("windowByGroup", () => {
  it("flushes a group when its window closes, counted from its first claim", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Item>("a 3ms b 20ms |", { a: { g: "A", n: 1 }, b: { g: "A", n: 2 } });
      const out = src.pipe(windowByGroup({ windowMs: 10, batchSize: 100, key: (i) => i.g }));
      // first claim at 0ms → window closes at 10ms with both claims
      expectObservable(out).toBe("10ms x 14ms |", {
        x: {
          key: "A",
          reason: "time",
          items: [
            { g: "A", n: 1 },
            { g: "A", n: 2 },
          ],
        },
      });
    });
  });

  it("flushes a group as soon as it holds the batch size", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Item>("abc 50ms |", { a: { g: "A", n: 1 }, b: { g: "A", n: 2 }, c: { g: "A", n: 3 } });
      const out = src.pipe(windowByGroup({ windowMs: 10, batchSize: 2, key: (i) => i.g }));
      expectObservable(out).toBe("-x 10ms y 40ms |", {
        x: {
          key: "A",
          reason: "size",
          items: [
            { g: "A", n: 1 },
            { g: "A", n: 2 },
          ],
        },
        y: { key: "A", reason: "time", items: [{ g: "A", n: 3 }] },
      });
    });
  });

  it("keeps groups apart and flushes every open window on shutdown", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Item>("ab |", { a: { g: "A", n: 1 }, b: { g: "B", n: 2 } });
      const out = src.pipe(windowByGroup({ windowMs: 1000, batchSize: 100, key: (i) => i.g }));
      expectObservable(out).toBe("--(xy|)", {
        x: { key: "A", reason: "shutdown", items: [{ g: "A", n: 1 }] },
        y: { key: "B", reason: "shutdown", items: [{ g: "B", n: 2 }] },
      });
    });
  });

  it("releases idle groups: the open-window count returns to zero after each flush", () => {
    const counts: number[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Item>("a b 30ms c 30ms |", {
        a: { g: "A", n: 1 },
        b: { g: "B", n: 2 },
        c: { g: "C", n: 3 },
      });
      const out = src.pipe(
        windowByGroup({ windowMs: 5, batchSize: 100, key: (i) => i.g, onOpenWindows: (n) => counts.push(n) }),
      );
      expectObservable(out).toBe("5ms x y 30ms z 25ms |", {
        x: { key: "A", reason: "time", items: [{ g: "A", n: 1 }] },
        y: { key: "B", reason: "time", items: [{ g: "B", n: 2 }] },
        z: { key: "C", reason: "time", items: [{ g: "C", n: 3 }] },
      });
    });
    expect(counts).toEqual([1, 2, 1, 0, 1, 0]);
  });

  it("starts a fresh timer for the window opened after a size flush", () => {
    scheduler().run(({ cold, expectObservable }) => {
      // a,b fill the first window at 1ms; c opens a new one at 6ms, which closes at 16ms.
      const src = cold<Item>("ab 4ms c 30ms |", {
        a: { g: "A", n: 1 },
        b: { g: "A", n: 2 },
        c: { g: "A", n: 3 },
      });
      const out = src.pipe(windowByGroup({ windowMs: 10, batchSize: 2, key: (i) => i.g }));
      expectObservable(out).toBe("-x 14ms y 20ms |", {
        x: {
          key: "A",
          reason: "size",
          items: [
            { g: "A", n: 1 },
            { g: "A", n: 2 },
          ],
        },
        y: { key: "A", reason: "time", items: [{ g: "A", n: 3 }] },
      });
    });
  });

  it("passes a source error on and cancels every pending window timer", () => {
    const counts: number[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Item>("a 2ms #", { a: { g: "A", n: 1 } }, new Error("boom"));
      const out = src.pipe(
        windowByGroup({
          windowMs: 10,
          batchSize: 100,
          key: (i) => i.g,
          onOpenWindows: (n) => counts.push(n),
        }),
      );
      expectObservable(out).toBe("3ms #", undefined, new Error("boom"));
    });
    expect(counts).toEqual([1, 0]);
  });

  it("emits nothing after unsubscribe even when a window's time comes", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Item>("a 50ms |", { a: { g: "A", n: 1 } });
      const out = src.pipe(windowByGroup({ windowMs: 10, batchSize: 100, key: (i) => i.g }));
      expectObservable(out, "5ms !").toBe("");
    });
  });

  // Cases mutation testing found unchecked (test/MUTATION.md): on unsubscribe (a stopping
  // processor) no window timer may stay scheduled and the open-window gauge must read zero.
  describe("on unsubscribe", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("cancels every window timer and reports zero open windows", () => {
      vi.useFakeTimers();
      const counts: number[] = [];
      const src = new Subject<Item>();
      const seen: unknown[] = [];
      const sub = src
        .pipe(
          windowByGroup({
            windowMs: 1000,
            batchSize: 100,
            key: (i) => i.g,
            onOpenWindows: (n) => counts.push(n),
          }),
        )
        .subscribe((w) => seen.push(w));
      src.next({ g: "A", n: 1 });
      src.next({ g: "B", n: 2 });
      expect(vi.getTimerCount()).toBe(2);
      sub.unsubscribe();
      expect(vi.getTimerCount()).toBe(0);
      expect(counts).toEqual([1, 2, 0]);
      vi.advanceTimersByTime(5000);
      expect(seen).toEqual([]);
    });

    it("reports nothing when no window is open", () => {
      const counts: number[] = [];
      const src = new Subject<Item>();
      const sub = src
        .pipe(
          windowByGroup({
            windowMs: 1000,
            batchSize: 1,
            key: (i) => i.g,
            onOpenWindows: (n) => counts.push(n),
          }),
        )
        .subscribe();
      src.next({ g: "A", n: 1 }); // a size flush: the window opens and closes at once
      sub.unsubscribe();
      expect(counts).toEqual([1, 0]);
    });
  });
});
