// What mongod did while a run went on, from serverStatus counters read before and after: how a
// run's mongod CPU splits into commands, transactions (aborted ones are work done twice),
// documents written and index keys and documents read. Counters are server-wide: the bench runs
// alone on its replica set, so the deltas are the run's.
import type { MongoClient } from "mongodb";

export interface ServerWork {
  /** Requests received (round trips, getMores included). */
  readonly requests: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly transactionsCommitted: number;
  readonly transactionsAborted: number;
  readonly docsInserted: number;
  readonly docsUpdated: number;
  readonly keysExamined: number;
  readonly docsExamined: number;
}

type Counters = Record<keyof ServerWork, number>;

async function read(client: MongoClient): Promise<Counters> {
  const s = await client.db("admin").command({ serverStatus: 1 });
  const n = (x: unknown) => Number(x ?? 0);
  return {
    requests: n(s.network?.numRequests),
    bytesIn: n(s.network?.bytesIn),
    bytesOut: n(s.network?.bytesOut),
    transactionsCommitted: n(s.transactions?.totalCommitted),
    transactionsAborted: n(s.transactions?.totalAborted),
    docsInserted: n(s.metrics?.document?.inserted),
    docsUpdated: n(s.metrics?.document?.updated),
    keysExamined: n(s.metrics?.queryExecutor?.scanned),
    docsExamined: n(s.metrics?.queryExecutor?.scannedObjects),
  };
}

/** Starts counting now; `read()` gives the deltas since (two serverStatus commands count too). */
export async function serverWorkMeter(client: MongoClient): Promise<{ read(): Promise<ServerWork> }> {
  const before = await read(client);
  return {
    async read() {
      const after = await read(client);
      const out = {} as Counters;
      for (const k of Object.keys(before) as (keyof ServerWork)[]) out[k] = after[k] - before[k];
      return out;
    },
  };
}
