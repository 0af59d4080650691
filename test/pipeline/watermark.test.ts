import { describe, expect, it } from "vitest";
import { InFlightLimiter } from "../../src/pipeline/in-flight.js";
import { Watermark } from "../../src/pipeline/watermark.js";

const tok = (n: number) => ({ token: { _data: `T${n}` } });

describe("Watermark", () => {
  it("never passes an event that is not yet done", () => {
    const w = new Watermark();
    const a = w.track(tok(1));
    const b = w.track(tok(2));
    const c = w.track(tok(3));
    w.ack(c);
    expect(w.safePosition.position).toBeUndefined();
    w.ack(a);
    expect(w.safePosition.position).toEqual(tok(1));
    w.ack(b);
    expect(w.safePosition.position).toEqual(tok(3));
    expect(w.pending).toBe(0);
  });

  it("moves to an idle post-batch token only once everything before it is done", () => {
    const w = new Watermark();
    const a = w.track(tok(1));
    w.mark(tok(2));
    w.mark(tok(3)); // coalesces with the previous mark
    expect(w.safePosition.position).toBeUndefined();
    w.ack(a);
    expect(w.safePosition.position).toEqual(tok(3));
  });

  it("keeps catch-up documents (no token) from moving the checkpoint until the scan end mark", () => {
    const w = new Watermark();
    const s1 = w.track(undefined);
    const s2 = w.track(undefined);
    w.mark({ clusterTime: { t: 100, i: 1 } });
    w.ack(s1);
    const before = w.safePosition.version;
    expect(w.safePosition.position).toBeUndefined();
    w.ack(s2);
    expect(w.safePosition.position).toEqual({ clusterTime: { t: 100, i: 1 } });
    expect(w.safePosition.version).toBeGreaterThan(before);
  });

  it("forgets queued tokens after a token loss", () => {
    const w = new Watermark();
    const a = w.track(tok(1));
    w.dropPositions();
    w.ack(a);
    expect(w.safePosition.position).toBeUndefined();
  });

  it("forgets the already-safe token after a token loss, so it can never be saved again", () => {
    const w = new Watermark();
    w.ack(w.track(tok(1)));
    const before = w.safePosition.version;
    expect(w.safePosition.position).toEqual(tok(1));
    w.dropPositions();
    expect(w.safePosition.position).toBeUndefined();
    expect(w.safePosition.version).not.toBe(before);
    // The catch-up scan's end mark becomes the next safe position.
    const s = w.track(undefined);
    w.mark({ clusterTime: { t: 5, i: 1 } });
    w.ack(s);
    expect(w.safePosition.position).toEqual({ clusterTime: { t: 5, i: 1 } });
  });

  it("moves past skipped events (marks) only behind unfinished work", () => {
    const w = new Watermark();
    const a = w.track(tok(1));
    w.mark(tok(2)); // a delete event: nothing to do
    const c = w.track(tok(3));
    w.ack(c);
    expect(w.safePosition.position).toBeUndefined();
    w.ack(a);
    expect(w.safePosition.position).toEqual(tok(3));
  });

  it("stays correct across many out-of-order acks (compaction)", () => {
    const w = new Watermark();
    const seqs = Array.from({ length: 5000 }, (_, i) => w.track(tok(i)));
    for (let i = seqs.length - 1; i >= 1; i -= 2) w.ack(seqs[i] as number);
    for (let i = 0; i < seqs.length; i += 2) w.ack(seqs[i] as number);
    expect(w.safePosition.position).toEqual(tok(4999));
    expect(w.pending).toBe(0);
  });
});

// Cases mutation testing found unchecked (test/MUTATION.md).
describe("Watermark edges", () => {
  it("moves at once to a mark when nothing is pending, each time, without growing", () => {
    const w = new Watermark();
    w.mark(tok(1));
    expect(w.safePosition).toEqual({ position: tok(1), version: 1 });
    w.ack(w.track(tok(2)));
    expect(w.safePosition).toEqual({ position: tok(2), version: 2 });
    // Every earlier entry is passed: the mark is a new entry, not a change to a passed one.
    w.mark(tok(3));
    expect(w.safePosition).toEqual({ position: tok(3), version: 3 });
    w.mark(tok(4));
    expect(w.safePosition).toEqual({ position: tok(4), version: 4 });
    expect(w.pending).toBe(0);
  });

  it("coalesces marks behind pending work into one entry (an idle stream behind one slow claim)", () => {
    const w = new Watermark();
    const queue = () => (w as unknown as { queue: unknown[] }).queue.length;
    const a = w.track(tok(0));
    for (let i = 1; i <= 5000; i++) w.mark(tok(i));
    expect(queue()).toBe(2);
    expect(w.safePosition.position).toBeUndefined();
    w.ack(a);
    expect(w.safePosition.position).toEqual(tok(5000));
  });

  it("changes the version only when the safe position moves", () => {
    const w = new Watermark();
    const a = w.track(tok(1));
    const b = w.track(tok(2));
    w.ack(b); // out of order: nothing moves
    expect(w.safePosition).toEqual({ position: undefined, version: 0 });
    const s = w.track(undefined);
    w.ack(a);
    expect(w.safePosition).toEqual({ position: tok(2), version: 1 });
    w.ack(s); // a catch-up document has no position: the checkpoint stays
    expect(w.safePosition).toEqual({ position: tok(2), version: 1 });
    w.dropPositions();
    expect(w.safePosition).toEqual({ position: undefined, version: 2 });
    w.dropPositions(); // nothing left to forget
    expect(w.safePosition).toEqual({ position: undefined, version: 2 });
  });

  it("ignores acks of unknown, repeated or not yet read sequence numbers", () => {
    const w = new Watermark();
    w.ack(1); // nothing tracked yet
    expect(w.safePosition).toEqual({ position: undefined, version: 0 });
    const a = w.track(tok(1));
    const b = w.track(tok(2));
    const c = w.track(tok(3));
    w.ack(a);
    w.ack(a);
    w.ack(0);
    w.ack(c + 1);
    expect(w.pending).toBe(2);
    expect(w.safePosition).toEqual({ position: tok(1), version: 1 });
    w.ack(c);
    expect(w.pending).toBe(1);
    w.ack(b);
    expect(w.safePosition).toEqual({ position: tok(3), version: 2 });
    expect(w.pending).toBe(0);
  });

  it("isDone: true for a finished or passed item, false for one pending or never read", () => {
    const w = new Watermark();
    expect(w.isDone(1)).toBe(false); // nothing read yet
    const a = w.track(tok(1));
    const b = w.track(tok(2));
    const c = w.track(tok(3));
    w.ack(c);
    expect([w.isDone(a), w.isDone(b), w.isDone(c)]).toEqual([false, false, true]);
    w.ack(a); // passed by the watermark
    expect([w.isDone(a), w.isDone(b), w.isDone(c)]).toEqual([true, false, true]);
    expect(w.isDone(c + 1)).toBe(false);
    w.ack(b); // the queue is now empty past its head
    expect([w.isDone(a), w.isDone(b), w.isDone(c), w.isDone(c + 1)]).toEqual([true, true, true, false]);
  });

  it("counts pending entries between head and tail, not marks", () => {
    const w = new Watermark();
    const a = w.track(tok(1));
    w.mark(tok(2));
    const c = w.track(tok(3));
    w.track(tok(4));
    expect(w.pending).toBe(3);
    w.ack(c);
    expect(w.pending).toBe(2);
    w.ack(a);
    expect(w.pending).toBe(1);
    expect(w.safePosition.position).toEqual(tok(3));
  });

  it("keeps its queue bounded on a long in-order stream (compaction), and stays correct after it", () => {
    const w = new Watermark();
    const queue = () => (w as unknown as { queue: unknown[] }).queue.length;
    let seq = 0;
    for (let i = 0; i < 10_000; i++) {
      const s = w.track(tok(i));
      if (i % 3 === 0) w.ack(s);
      else if (i % 3 === 2) {
        w.ack(s);
        w.ack(s - 1);
      }
      seq = s;
    }
    expect(w.pending).toBe(0);
    expect(w.safePosition.position).toEqual(tok(9999));
    expect(queue()).toBeLessThanOrEqual(2050);
    const next = w.track(tok(10_000));
    expect(next).toBe(seq + 1);
    w.ack(next);
    expect(w.safePosition.position).toEqual(tok(10_000));
  });
});

describe("InFlightLimiter", () => {
  it("pauses at the bound and resumes when a permit is released", async () => {
    const l = new InFlightLimiter(2);
    await l.acquire();
    await l.acquire();
    let third = false;
    const p = l.acquire().then(() => {
      third = true;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    expect(l.inFlight).toBe(2);
    l.release();
    await p;
    expect(third).toBe(true);
    expect(l.inFlight).toBe(2);
  });

  it("refuses to release more permits than it gave out", () => {
    const l = new InFlightLimiter(1);
    expect(() => l.release()).toThrow(/more permits/);
  });

  it("wakes every waiter on shutdown", async () => {
    const l = new InFlightLimiter(1);
    await l.acquire();
    let woke = 0;
    const waiters = [l.acquire(), l.acquire()].map((p) => p.then(() => woke++));
    l.wakeAll();
    await Promise.all(waiters);
    expect(woke).toBe(2);
  });
});
