// Group commit: while `concurrency` round trips of one kind are in flight, further calls wait
// and then go together in the next one. Under load many batches finish rendering (or writing)
// at about the same time; each kind of ledger write then costs a fixed number of MongoDB round
// trips per group instead of per batch. When the system is idle a call goes at once (a group
// of one), so latency never waits for a timer; and more than one group may be in flight, so
// one slow round trip does not stop every other batch behind it.

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (o: O) => void;
  readonly reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  /** At most this many items per round trip (the rest go in the next one). */
  readonly maxGroup?: number;
  /** Round trips in flight at once. */
  readonly concurrency?: number;
}

export class GroupCommit<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private running = 0;
  private readonly maxGroup: number;
  private readonly concurrency: number;

  /**
   * @param run does the work for a whole group; returns one result per item, in order. A throw
   *   rejects every call of the group (each caller decides on retries).
   */
  constructor(
    private readonly run: (items: readonly I[]) => Promise<readonly O[]>,
    opts: GroupCommitOptions = {},
  ) {
    this.maxGroup = opts.maxGroup ?? 256;
    this.concurrency = opts.concurrency ?? 2;
    if (!Number.isInteger(this.maxGroup) || this.maxGroup < 1) throw new RangeError("maxGroup must be >= 1");
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1)
      throw new RangeError("concurrency must be >= 1");
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const group = this.queue.splice(0, this.maxGroup);
      this.running++;
      void this.runGroup(group).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async runGroup(group: readonly Pending<I, O>[]): Promise<void> {
    try {
      const out = await this.run(group.map((p) => p.item));
      group.forEach((p, i) => {
        p.resolve(out[i] as O);
      });
    } catch (err) {
      for (const p of group) p.reject(err);
    }
  }
}
