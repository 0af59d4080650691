// The Acker is where a read claim stops being in flight: its watermark entry is done, its
// backpressure permit returns and the buffered-claims gauge drops, once per claim.
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
  for (let i = 1; i <= claims; i++) {
    await limiter.acquire();
    seqs.push(watermark.track(tok(i)));
    metrics?.bufferedClaims.inc();
  }
  return { watermark, limiter, seqs, acker: new Acker(watermark, limiter, metrics) };
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
    const { watermark, limiter, seqs, acker } = await setup(2);
    acker.ack(new Set([seqs[0] as number]));
    acker.ackOne(seqs[1] as number);
    expect(limiter.inFlight).toBe(0);
    expect(watermark.pending).toBe(0);
  });
});
