// The low watermark: events get increasing sequence numbers as they are read, and the
// checkpoint may only move to the position of the newest event whose every predecessor is
// done (durably batched, skipped or dead-lettered). Out-of-order acks are the norm, since
// windows of different groups flush at different times.
import type { ClusterTime, ResumeToken } from "../ports/change-feed.js";

/** Where a restart may resume: after a token, or (catch-up complete) at a cluster time. */
export interface StreamPosition {
  readonly token?: ResumeToken | undefined;
  readonly clusterTime?: ClusterTime | undefined;
}

interface Entry {
  readonly seq: number;
  position: StreamPosition | undefined;
  done: boolean;
}

export class Watermark {
  private nextSeq = 1;
  private readonly queue: Entry[] = [];
  private head = 0;
  private safe: StreamPosition | undefined;
  private version = 0;

  /** Registers a read item; `position` is undefined for catch-up documents (no token). */
  track(position: StreamPosition | undefined): number {
    const seq = this.nextSeq++;
    this.queue.push({ seq, position, done: false });
    return seq;
  }

  /**
   * Registers a position that needs no work (a post-batch token while idle, the end of a
   * catch-up scan). Consecutive marks coalesce so an idle stream does not grow the queue.
   */
  mark(position: StreamPosition): void {
    const last = this.queue[this.queue.length - 1];
    if (last?.done && this.queue.length - 1 >= this.head) {
      last.position = position;
    } else {
      this.queue.push({ seq: this.nextSeq++, position, done: true });
    }
    this.advance();
  }

  ack(seq: number): void {
    const idx = this.indexOf(seq);
    const entry = idx === undefined ? undefined : this.queue[idx];
    if (!entry) return;
    entry.done = true;
    this.advance();
  }

  /**
   * Forget every token, queued or already safe: after a lost token they point nowhere, and a
   * checkpoint saved from one of them would make the next start fail the same way.
   */
  dropPositions(): void {
    for (let i = this.head; i < this.queue.length; i++) {
      const e = this.queue[i];
      if (e) e.position = undefined;
    }
    if (this.safe !== undefined) {
      this.safe = undefined;
      this.version++;
    }
  }

  /** The newest position safe to checkpoint, and a version that changes whenever it moves. */
  get safePosition(): { position: StreamPosition | undefined; version: number } {
    return { position: this.safe, version: this.version };
  }

  get pending(): number {
    let n = 0;
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i]?.done) n++;
    return n;
  }

  /** True once item `seq` is done (a backfill waits on its claims with this). */
  isDone(seq: number): boolean {
    const idx = this.indexOf(seq);
    return idx === undefined ? seq < this.nextSeq : (this.queue[idx]?.done ?? true);
  }

  private indexOf(seq: number): number | undefined {
    const first = this.queue[this.head];
    if (!first) return undefined;
    const idx = this.head + (seq - first.seq);
    return idx >= this.head && idx < this.queue.length && this.queue[idx]?.seq === seq ? idx : undefined;
  }

  private advance(): void {
    let moved = false;
    while (this.head < this.queue.length) {
      const e = this.queue[this.head];
      if (!e?.done) break;
      if (e.position) {
        this.safe = e.position;
        moved = true;
      }
      this.head++;
    }
    if (moved) this.version++;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
