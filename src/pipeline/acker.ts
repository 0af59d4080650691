// One place where a read claim stops being "in flight": the watermark may pass it and its
// backpressure permit goes back to the source.
import type { Metrics } from "../observability/metrics.js";
import type { InFlightLimiter } from "./in-flight.js";
import type { Watermark } from "./watermark.js";

export class Acker {
  constructor(
    private readonly watermark: Watermark,
    private readonly limiter: InFlightLimiter,
    private readonly metrics?: Metrics,
  ) {}

  ack(seqs: Iterable<number>): void {
    let n = 0;
    for (const s of seqs) {
      this.watermark.ack(s);
      n++;
    }
    if (n > 0) {
      this.limiter.release(n);
      this.metrics?.bufferedClaims.dec(n);
    }
  }

  ackOne(seq: number): void {
    this.watermark.ack(seq);
    this.limiter.release(1);
    this.metrics?.bufferedClaims.dec();
  }
}
