// Versions in order (issue 15 item 8): two windows holding the same claim number run one after
// the other, in the order they started. A claim updated while its previous version's batch is
// still being reserved and written lands in a later window; without this, that later window
// could write version 2's file first and version 1's file after it — an older version emitted
// after a newer one. With it, the later window reads the ledger only once the earlier batch has
// settled, so version 1 is emitted first, or (a late event of an older version) found superseded.
// Windows with no claim in common never wait for each other.
export class ClaimOrder {
  /** The last batch (its settle promise) to have entered, per claim number. */
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Waits until every batch that entered earlier with one of these claim numbers has left;
   * returns `leave`, which must be called once this batch has settled (whatever its outcome).
   */
  async enter(claimNumbers: readonly string[]): Promise<() => void> {
    const numbers = [...new Set(claimNumbers)];
    let release: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const earlier = new Set<Promise<void>>();
    for (const n of numbers) {
      const prev = this.tails.get(n);
      if (prev !== undefined) earlier.add(prev);
      this.tails.set(n, mine);
    }
    const leave = () => {
      for (const n of numbers) if (this.tails.get(n) === mine) this.tails.delete(n);
      release();
    };
    // Earlier batches always leave (in a finally), so this never waits for ever; and an earlier
    // batch never waits for a later one, so there is no cycle.
    await Promise.all(earlier);
    return leave;
  }

  /** Claim numbers currently held by some batch (tests check nothing is left behind). */
  get size(): number {
    return this.tails.size;
  }
}
