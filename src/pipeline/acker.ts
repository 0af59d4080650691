// The one place that keeps the books of what is in flight. The source admits each event through
// it (a backpressure permit, then a watermark entry) and every way an item ends goes back
// through it: written in a batch, a repeat, a dead letter, filtered or skipped — at the source
// (a delete) or in the engine (not ready, deleted since) — all end in `ack`/`skip`, which mark
// the watermark entry done, return the permit and step the buffered-claims gauge, once per item.
// Neither the source nor the batch path touches the watermark or the limiter themselves.
import type { Metrics } from "../observability/metrics.js";
import type { InFlightLimiter } from "./in-flight.js";
import type { StreamPosition, Watermark } from "./watermark.js";

export class Acker {
  constructor(
    private readonly watermark: Watermark,
    private readonly limiter: InFlightLimiter,
    private readonly metrics?: Metrics,
  ) {}

  /** Resolves when the next item may be read (backpressure: EDI_MAX_IN_FLIGHT). */
  admit(): Promise<void> {
    return this.limiter.acquire();
  }

  /** Gives back a permit `admit` gave for a read that produced no item (idle, failed, stopping). */
  unadmit(): void {
    this.limiter.release(1);
  }

  /**
   * Registers an admitted item (its permit is now its own) and returns the sequence number it
   * must end with; `position` is undefined for catch-up documents (they carry no token).
   */
  track(position: StreamPosition | undefined): number {
    const seq = this.watermark.track(position);
    this.metrics?.bufferedClaims.inc();
    return seq;
  }

  /** Items that ended (a batch's claims: written, repeats, dead letters, superseded). */
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

  /** One item that ended (a dead letter decided at once). */
  ackOne(seq: number): void {
    this.watermark.ack(seq);
    this.limiter.release(1);
    this.metrics?.bufferedClaims.dec();
  }

  /** One item that ended as nothing to bill, counted under `reason` (claimflow_events_skipped_total). */
  skip(seq: number, reason: string): void {
    this.metrics?.eventsSkipped.inc({ reason });
    this.ackOne(seq);
  }

  /**
   * A position that needs no item (an idle stream's post-batch token, the end of a catch-up
   * scan): the checkpoint may move to it once everything before it has ended.
   */
  pass(position: StreamPosition): void {
    this.watermark.mark(position);
  }

  /** After a lost token: every queued or safe position points nowhere (see Watermark). */
  dropPositions(): void {
    this.watermark.dropPositions();
  }

  /** Shutdown: wakes every reader waiting in `admit`; each sees the stop and calls `unadmit`. */
  wakeAll(): void {
    this.limiter.wakeAll();
  }
}
