// Coalesced reads: the per-batch `$in` reads (patients by patient_id, the history lookup) of
// batches that reach them at about the same time go to MongoDB as one query. Under load dozens
// of batches run at once and each used to pay its own round trip for 20-odd keys; on this
// machine's mongod a round trip costs ~1 ms of its CPU and, in the driver, more processor CPU
// than the claims' own work. Same group-commit rule as the writes (GroupCommit): an idle read
// goes at once, reads that wait go together.
import { GroupCommit } from "./group-commit.js";

export interface CoalescedReadOptions<K, D> {
  /** One query for all keys (deduplicated). */
  readonly fetch: (keys: readonly K[]) => Promise<D[]>;
  /** The key a document answers, to hand each caller the documents of its own keys. */
  readonly keyOfDoc: (doc: D) => K | undefined;
  /**
   * An error the server raised because of one document's data (not the network, not the
   * process): a merged query refused this way is run again per caller, so one caller's bad
   * document never fails another caller's keys.
   */
  readonly isolateOn?: (err: unknown) => boolean;
  /** Callers per query at most (the rest go in the next query). */
  readonly maxGroup?: number;
  /** Queries in flight at once. */
  readonly concurrency?: number;
}

type Outcome<D> = { readonly ok: true; readonly docs: D[] } | { readonly ok: false; readonly err: unknown };

export class CoalescedRead<K, D> {
  private readonly group: GroupCommit<readonly K[], Outcome<D>>;

  constructor(private readonly opts: CoalescedReadOptions<K, D>) {
    this.group = new GroupCommit((lists) => this.runGroup(lists), {
      maxGroup: opts.maxGroup ?? 64,
      concurrency: opts.concurrency ?? 2,
    });
  }

  /** The documents answering `keys`, read together with any other caller's waiting keys. */
  async read(keys: readonly K[]): Promise<D[]> {
    if (keys.length === 0) return [];
    const out = await this.group.submit(keys);
    if (!out.ok) throw out.err;
    return out.docs;
  }

  private async runGroup(lists: readonly (readonly K[])[]): Promise<Outcome<D>[]> {
    if (lists.length === 1) return [await this.one(lists[0] as readonly K[])];
    const all = [...new Set(lists.flat())];
    let docs: D[];
    try {
      docs = await this.opts.fetch(all);
    } catch (err) {
      if (this.opts.isolateOn?.(err)) return Promise.all(lists.map((l) => this.one(l)));
      throw err;
    }
    const byKey = new Map<K, D[]>();
    for (const d of docs) {
      const k = this.opts.keyOfDoc(d);
      if (k === undefined) continue;
      const list = byKey.get(k);
      if (list) list.push(d);
      else byKey.set(k, [d]);
    }
    return lists.map((l) => {
      const mine: D[] = [];
      for (const k of new Set(l)) for (const d of byKey.get(k) ?? []) mine.push(d);
      return { ok: true, docs: mine };
    });
  }

  private async one(keys: readonly K[]): Promise<Outcome<D>> {
    try {
      return { ok: true, docs: await this.opts.fetch(keys) };
    } catch (err) {
      return { ok: false, err };
    }
  }
}
