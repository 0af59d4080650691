// Which input indexes (INPUT_INDEXES) are missing. `claimflow run` never creates them (they
// belong to upstream's collections), but without them every `billed` mark and every patient
// lookup scans its collection and throughput collapses as the collections grow. An index counts
// as present when an index with the same key pattern exists, whatever its name (a DBA may have
// created it under another one).
import { type Db, MongoServerError } from "mongodb";
import { INPUT_INDEXES, type IndexDef } from "./indexes.js";

/** 26 NamespaceNotFound: the collection does not exist yet (so neither do its indexes). */
const NAMESPACE_NOT_FOUND = 26;
/** 13 Unauthorized: the role lacks listIndexes on that collection. */
const UNAUTHORIZED = 13;

export interface InputIndexReport {
  readonly missing: readonly IndexDef[];
  /** Collections whose indexes this user may not list (their indexes are unknown, not missing). */
  readonly unchecked: readonly string[];
}

const keyText = (key: Record<string, unknown>) => JSON.stringify(Object.entries(key));

export async function checkInputIndexes(db: Db): Promise<InputIndexReport> {
  const byCollection = new Map<string, IndexDef[]>();
  for (const d of INPUT_INDEXES)
    byCollection.set(d.collection, [...(byCollection.get(d.collection) ?? []), d]);
  const missing: IndexDef[] = [];
  const unchecked: string[] = [];
  await Promise.all(
    [...byCollection].map(async ([collection, defs]) => {
      let keys: Set<string>;
      try {
        const current = await db.collection(collection).listIndexes().toArray();
        keys = new Set(current.map((ix) => keyText(ix.key as Record<string, unknown>)));
      } catch (err) {
        if (err instanceof MongoServerError && err.code === UNAUTHORIZED) {
          unchecked.push(collection);
          return;
        }
        if (!(err instanceof MongoServerError && err.code === NAMESPACE_NOT_FOUND)) throw err;
        keys = new Set();
      }
      for (const d of defs) if (!keys.has(keyText(d.key))) missing.push(d);
    }),
  );
  const order = (d: IndexDef) => INPUT_INDEXES.indexOf(d);
  return { missing: missing.sort((a, b) => order(a) - order(b)), unchecked: unchecked.sort() };
}

/** `claim_detail.claim_number_1`: how logs, status and readiness name an index. */
export function indexLabel(d: IndexDef): string {
  return `${d.collection}.${d.name}`;
}
