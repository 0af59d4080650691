// The Acker keeps the books of what is in flight: the source admits and tracks each item through
// it, and every item ends through it (its watermark entry is done, its backpressure permit
// returns and the buffered-claims gauge drops, once per item).
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/observability/metrics.js";
import { Acker } from "../../src/pipeline/acker.js";
import { InFlightLimiter } from "../../src/pipeline/in-flight.js";
import { Watermark } from "../../src/pipeline/watermark.js";

const tok = (n: number) => ({ token: { _data: `T${n}` } });

async function setup(claims: number, metrics?: Metrics) {
  const watermark = new Watermark();
  const limiter = new InFlightLimiter(10);
  const seqs: number[] = [];
  const acker = new Acker(watermark, limiter, metrics);
  for (let i = 1; i <= claims; i++) {
    await acker.admit();
    seqs.push(acker.track(tok(i)));
  }
  return { watermark, limiter, seqs, acker };
}

const buffered = async (m: Metrics) => (await m.bufferedClaims.get()).values[0]?.value;

describe("Acker", () => {
  it("acks a batch's claims at once: every entry done, one permit and one gauge step each", async () => {
    const metrics = new Metrics({ collectDefaults: false });
    const { watermark, limiter, seqs, acker } = await setup(4, metrics);
    acker.ack(seqs.slice(0, 3));
    expect(watermark.pending).toBe(1);
    expect(watermark.safePosition.position).toEqual(tok(3));
    expect(limiter.inFlight).toBe(1);
    expect(await buffered(metrics)).toBe(1);
    acker.ackOne(seqs[3] as number);
    expect(watermark.pending).toBe(0);
    expect(watermark.safePosition.position).toEqual(tok(4));
    expect(limiter.inFlight).toBe(0);
    expect(await buffered(metrics)).toBe(0);
  });

  it("releases nothing for an empty batch", async () => {
    const metrics = new Metrics({ collectDefaults: false });
    const { limiter, acker } = await setup(2, metrics);
    acker.ack([]);
    expect(limiter.inFlight).toBe(2);
    expect(await buffered(metrics)).toBe(2);
  });

  it("works without metrics (tools that run the pipeline without an exporter)", async () => {
    const { watermark, limiter, seqs, acker } = await setup(3);
    acker.ack(new Set([seqs[0] as number]));
    acker.ackOne(seqs[1] as number);
    acker.skip(seqs[2] as number, "delete");
    expect(limiter.inFlight).toBe(0);
    expect(watermark.pending).toBe(0);
  });

  it("tracks an admitted item as buffered; a skip counts its reason and ends it like an ack", async () => {
    const metrics = new Metrics({ collectDefaults: false });
    const { watermark, limiter, seqs, acker } = await setup(2, metrics);
    expect(await buffered(metrics)).toBe(2);
    expect(limiter.inFlight).toBe(2);
    acker.skip(seqs[0] as number, "delete");
    expect((await metrics.eventsSkipped.get()).values).toEqual([
      expect.objectContaining({ labels: { reason: "delete" }, value: 1 }),
    ]);
    expect(watermark.safePosition.position).toEqual(tok(1));
    expect(watermark.pending).toBe(1);
    expect(limiter.inFlight).toBe(1);
    expect(await buffered(metrics)).toBe(1);
  });

  it("gives a permit back for a read that produced no item, without a watermark entry", async () => {
    const metrics = new Metrics({ collectDefaults: false });
    const { watermark, limiter, acker } = await setup(1, metrics);
    await acker.admit();
    expect(limiter.inFlight).toBe(2);
    acker.unadmit();
    expect(limiter.inFlight).toBe(1);
    expect(watermark.pending).toBe(1);
    expect(await buffered(metrics)).toBe(1);
  });

  it("passes a position that needs no item once everything before it has ended", async () => {
    const { watermark, seqs, acker } = await setup(1);
    acker.pass({ token: { _data: "IDLE" } });
    expect(watermark.safePosition.position).toBeUndefined();
    acker.ack(seqs);
    expect(watermark.safePosition.position).toEqual({ token: { _data: "IDLE" } });
    acker.dropPositions();
    expect(watermark.safePosition.position).toBeUndefined();
  });

  it("at the bound a reader waits in admit until an item ends; wakeAll lets it through to stop", async () => {
    const watermark = new Watermark();
    const limiter = new InFlightLimiter(1);
    const acker = new Acker(watermark, limiter);
    await acker.admit();
    const seq = acker.track(tok(1));
    let admitted = 0;
    void acker.admit().then(() => admitted++);
    void acker.admit().then(() => admitted++);
    await Promise.resolve();
    expect(admitted).toBe(0);
    acker.ackOne(seq);
    await Promise.resolve();
    expect(admitted).toBe(1);
    acker.wakeAll();
    await Promise.resolve();
    expect(admitted).toBe(2);
  });
});
