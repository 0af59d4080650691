// The lookups twin: patient, client and npi collections in memory. Each call is one `$in`
// query, counted per collection so tests can check enrichment is batched and cached.
import type { Lookups } from "../../src/ports/lookups.js";

type Doc = Record<string, unknown>;

export interface LookupQueries {
  patients: number;
  clients: number;
  npis: number;
}

export class MemoryLookups implements Lookups {
  private readonly patientDocs: Doc[] = [];
  private readonly clientDocs: Doc[] = [];
  private readonly npiDocs: Doc[] = [];
  readonly queries: LookupQueries = { patients: 0, clients: 0, npis: 0 };

  async patients(patientIds: readonly string[], fallbackClaimNumbers: readonly string[]): Promise<Doc[]> {
    this.queries.patients++;
    const ids = new Set(patientIds);
    const numbers = new Set(fallbackClaimNumbers);
    return this.patientDocs
      .filter(
        (d) =>
          (typeof d.patient_id === "string" && ids.has(d.patient_id)) ||
          (typeof d.claim_number === "string" && numbers.has(d.claim_number)),
      )
      .map(withoutSsn);
  }

  async clients(clientIds: readonly string[]): Promise<Doc[]> {
    this.queries.clients++;
    return select(this.clientDocs, "client_id", clientIds);
  }

  async npis(npis: readonly string[]): Promise<Doc[]> {
    this.queries.npis++;
    return select(this.npiDocs, "npi", npis);
  }

  // ---- seeding for tests and the demo ----

  /** Inserts or replaces (by its key) each document. */
  upsertPatients(docs: readonly Doc[]): void {
    upsert(this.patientDocs, "patient_id", docs);
  }

  /** Appends each document, even when its patient_id is taken (upstream has no unique index). */
  insertPatients(docs: readonly Doc[]): void {
    for (const doc of docs) this.patientDocs.push(structuredClone(doc));
  }

  upsertClients(docs: readonly Doc[]): void {
    upsert(this.clientDocs, "client_id", docs);
  }

  upsertNpis(docs: readonly Doc[]): void {
    upsert(this.npiDocs, "npi", docs);
  }

  /** Removes the documents whose key is listed; returns how many went. */
  removeClients(ids: readonly string[]): number {
    return remove(this.clientDocs, "client_id", ids);
  }

  removeNpis(ids: readonly string[]): number {
    return remove(this.npiDocs, "npi", ids);
  }

  removePatients(ids: readonly string[]): number {
    return remove(this.patientDocs, "patient_id", ids);
  }
}

/** As MongoLookups' projection: SSNs never leave the collection. */
function withoutSsn(doc: Doc): Doc {
  const { ssn: _ssn, ...rest } = structuredClone(doc);
  const sub = rest.subscriber;
  if (sub !== null && typeof sub === "object" && !Array.isArray(sub) && "ssn" in sub) {
    const { ssn: _subSsn, ...subRest } = sub as Doc;
    rest.subscriber = subRest;
  }
  return rest;
}

function select(docs: readonly Doc[], key: string, values: readonly string[]): Doc[] {
  const wanted = new Set(values);
  return docs.filter((d) => typeof d[key] === "string" && wanted.has(d[key])).map((d) => structuredClone(d));
}

function upsert(into: Doc[], key: string, docs: readonly Doc[]): void {
  for (const doc of docs) {
    const copy = structuredClone(doc);
    const at = into.findIndex((d) => d[key] !== undefined && d[key] === copy[key]);
    if (at >= 0) into[at] = copy;
    else into.push(copy);
  }
}

function remove(from: Doc[], key: string, values: readonly string[]): number {
  const drop = new Set<unknown>(values);
  let n = 0;
  for (let i = from.length - 1; i >= 0; i--) {
    if (drop.has(from[i]?.[key])) {
      from.splice(i, 1);
      n++;
    }
  }
  return n;
}
