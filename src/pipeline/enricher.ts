// Batched enrichment: one `$in` per lookup collection per batch (deduplicated keys), with an
// LRU+TTL cache for `client` and `npi` — few, slow-changing documents read by every batch (a
// key being read is read once: other batches wanting it wait for that read).
// Patients are per claim and not cached: fetched by `patient_id` (one query for all the batches
// enriching at about the same time: CoalescedRead), and by `claim_number` only for the claims
// that found none (a second query only when there are misses). Each claim
// comes out joined or with the reason it cannot be billed; one bad reference never stops the
// rest of the batch — not even a lookup the server refuses for one document's data.
import { LRUCache } from "lru-cache";
import type { Claim } from "../domain/claim.js";
import { type Client, parseClient } from "../domain/client.js";
import type { DeadLetterReason, InputIssue } from "../domain/errors.js";
import type { JoinedClaim } from "../domain/joined-claim.js";
import { type NpiRecord, parseNpiRecord } from "../domain/npi-record.js";
import { type Patient, parsePatient } from "../domain/patient.js";
import type { ParseResult } from "../domain/schema-parts.js";
import { scrubMongoMessage } from "../observability/logger.js";
import type { Lookups } from "../ports/lookups.js";
import { CoalescedRead } from "./coalesced-read.js";
import { classifyFault } from "./fault-class.js";

export interface EnricherOptions {
  readonly cacheMax?: number;
  readonly cacheTtlMs?: number;
}

export type Enriched =
  | { readonly ok: true; readonly joined: JoinedClaim }
  | {
      readonly ok: false;
      readonly claim: Claim;
      readonly reason: DeadLetterReason;
      readonly issues: InputIssue[];
    };

type Doc = Record<string, unknown>;

/** What one key's lookup came to: its documents, or the server's refusal to read them. */
interface Found {
  readonly docs: Map<string, Doc[]>;
  /** Keys whose lookup the server refused (a data problem in their documents), with why. */
  readonly refused: Map<string, string>;
}

function prefixed(prefix: string, issues: readonly InputIssue[]): InputIssue[] {
  return issues.map((i) => ({ path: i.path ? `${prefix}.${i.path}` : prefix, message: i.message }));
}

/** The server's refusal as an issue message: error class and code, quoted values scrubbed. */
function refusalText(err: unknown): string {
  const e = err as { codeName?: unknown; code?: unknown; message?: unknown };
  const code =
    e.code !== undefined
      ? ` (${typeof e.codeName === "string" ? `${e.codeName}, ` : ""}code ${String(e.code)})`
      : "";
  const message = typeof e.message === "string" ? scrubMongoMessage(e.message.split("\n", 1)[0] ?? "") : "";
  return `MongoDB could not read it${code}: ${message}`.slice(0, 300);
}

/**
 * A MongoDB error no retry fixes that is not about the process (auth, a bug, size): the kind a
 * document's own data causes (a view's `$toDate` on bad text, a bad type for an expression).
 */
function isDataRefusal(err: unknown): boolean {
  const f = classifyFault(err);
  return f.kind === "process" && f.reason === "server";
}

/**
 * Runs `fetch` for `keys`, one query in the common case. When the server refuses the batch for
 * data reasons, halves it until the keys it refuses are found alone: those fail (claim-level),
 * the rest are read. Transient and process-level errors go up unchanged (retry or stop); so
 * does a refusal of every key of a batch of several, which is not about any one document.
 */
async function fetchIsolating(
  keys: readonly string[],
  keyField: string,
  fetch: (keys: readonly string[]) => Promise<Doc[]>,
): Promise<Found> {
  const found: Found = { docs: new Map(), refused: new Map() };
  const add = (docs: readonly Doc[]) => {
    for (const d of docs) {
      const k = d[keyField];
      if (typeof k !== "string") continue;
      const list = found.docs.get(k);
      if (list) list.push(d);
      else found.docs.set(k, [d]);
    }
  };
  if (keys.length === 0) return found;
  try {
    add(await fetch(keys));
    return found;
  } catch (err) {
    if (!isDataRefusal(err)) throw err;
    await bisect(keys, fetch, add, found.refused, err);
    if (keys.length > 1 && found.refused.size === keys.length) throw err;
    return found;
  }
}

async function bisect(
  keys: readonly string[],
  fetch: (keys: readonly string[]) => Promise<Doc[]>,
  add: (docs: readonly Doc[]) => void,
  refused: Map<string, string>,
  knownFailure: unknown,
): Promise<void> {
  if (keys.length === 1) {
    refused.set(keys[0] as string, refusalText(knownFailure));
    return;
  }
  const mid = keys.length >> 1;
  for (const half of [keys.slice(0, mid), keys.slice(mid)]) {
    try {
      add(await fetch(half));
    } catch (err) {
      if (!isDataRefusal(err)) throw err;
      await bisect(half, fetch, add, refused, err);
    }
  }
}

export class Enricher {
  // Only successful lookups are cached: a reference added upstream must be seen on the next batch.
  private readonly clientCache: LRUCache<string, ParseResult<Client>>;
  private readonly npiCache: LRUCache<string, ParseResult<NpiRecord>>;
  /**
   * Per cache, the keys being read right now and what each read will say about them: a batch
   * that misses a key another batch is already reading waits for that read instead of sending
   * its own. Without it every batch of a burst (a start, a backlog: hundreds of windows
   * enriching before the first client read returns) read the same ten clients again: measured,
   * 242 client and 64 npi queries for 20,000 claims, an eighth of all round trips.
   */
  private readonly clientReads = new Map<string, Promise<Lookup<Client> | undefined>>();
  private readonly npiReads = new Map<string, Promise<Lookup<NpiRecord> | undefined>>();
  /** Patients by patient_id: one query for every batch enriching at about the same time. */
  private readonly patientsById: CoalescedRead<string, Doc>;

  constructor(
    private readonly lookups: Lookups,
    opts: EnricherOptions = {},
  ) {
    const base = { max: opts.cacheMax ?? 10_000, ttl: opts.cacheTtlMs ?? 60_000 };
    this.clientCache = new LRUCache(base);
    this.npiCache = new LRUCache(base);
    this.patientsById = new CoalescedRead<string, Doc>({
      fetch: (ids) => this.lookups.patients(ids, []),
      keyOfDoc: (d) => (typeof d.patient_id === "string" ? d.patient_id : undefined),
      // A merged read the server refuses for one document's data is read again per batch, and
      // each batch's own halving (fetchIsolating) finds the document.
      isolateOn: isDataRefusal,
    });
  }

  async enrich(claims: readonly Claim[]): Promise<Enriched[]> {
    const patientIds = new Set<string>();
    const clientIds = new Set<string>();
    const npiIds = new Set<string>();
    for (const c of claims) {
      patientIds.add(c.patient_id);
      clientIds.add(c.client_id);
      if (c.rendering_npi) npiIds.add(c.rendering_npi);
      if (c.referring_npi) npiIds.add(c.referring_npi);
    }
    const [byPatientId, clients, npis] = await Promise.all([
      fetchIsolating([...patientIds], "patient_id", (ids) => this.patientsById.read(ids)),
      this.cached(
        this.clientCache,
        this.clientReads,
        clientIds,
        (ids) => this.lookups.clients(ids),
        "client_id",
        parseClient,
      ),
      this.cached(
        this.npiCache,
        this.npiReads,
        npiIds,
        (ids) => this.lookups.npis(ids),
        "npi",
        parseNpiRecord,
      ),
    ]);

    // The claim-number fallback, only for the claims whose patient_id found nothing.
    const fallbackNumbers: string[] = [];
    for (const c of claims) {
      if (!byPatientId.docs.has(c.patient_id) && !byPatientId.refused.has(c.patient_id))
        fallbackNumbers.push(c.claim_number);
    }
    const byClaimNumber =
      fallbackNumbers.length > 0
        ? await fetchIsolating(fallbackNumbers, "claim_number", (numbers) =>
            this.lookups.patients([], numbers),
          )
        : undefined;

    // Each patient document is parsed once, however many claims of the batch name it.
    const parsedPatients = new Map<Doc, ParseResult<Patient>>();
    const parsePatientOnce = (doc: Doc): ParseResult<Patient> => {
      let p = parsedPatients.get(doc);
      if (!p) {
        p = parsePatient(doc);
        parsedPatients.set(doc, p);
      }
      return p;
    };

    return claims.map((claim): Enriched => {
      const fail = (reason: DeadLetterReason, issues: InputIssue[]): Enriched => ({
        ok: false,
        claim,
        reason,
        issues,
      });
      let key = "patient_id";
      let refusal = byPatientId.refused.get(claim.patient_id);
      let patientDocs = byPatientId.docs.get(claim.patient_id);
      if (!patientDocs && refusal === undefined && byClaimNumber) {
        key = "claim_number";
        refusal = byClaimNumber.refused.get(claim.claim_number);
        patientDocs = byClaimNumber.docs.get(claim.claim_number);
      }
      if (refusal !== undefined) return fail("patient_invalid", [{ path: "patient", message: refusal }]);
      if (!patientDocs) {
        return fail("patient_missing", [
          { path: "patient_id", message: "no patient document with this patient_id or claim_number" },
        ]);
      }
      // Two rows for one patient: billing whichever came last could bill the wrong person.
      if (patientDocs.length > 1) {
        return fail("ambiguous_patient", [
          { path: key, message: `${patientDocs.length} patient documents carry this ${key}` },
        ]);
      }
      const patient = parsePatientOnce(patientDocs[0] as Doc);
      if (!patient.ok) return fail("patient_invalid", prefixed("patient", patient.issues));

      const client = clients.get(claim.client_id);
      if (!client)
        return fail("client_missing", [{ path: "client_id", message: "no client document with this id" }]);
      if ("refused" in client) return fail("client_invalid", [{ path: "client", message: client.refused }]);
      if (!client.ok) return fail("client_invalid", prefixed("client", client.issues));

      const joined: { -readonly [K in keyof JoinedClaim]: JoinedClaim[K] } = {
        claim,
        patient: patient.value,
        client: client.value,
      };
      for (const role of ["rendering", "referring"] as const) {
        const id = claim[`${role}_npi`];
        if (!id) continue;
        const rec = npis.get(id);
        if (!rec)
          return fail("npi_missing", [{ path: `${role}_npi`, message: "no npi document with this number" }]);
        if ("refused" in rec) return fail("npi_invalid", [{ path: `${role}_npi`, message: rec.refused }]);
        if (!rec.ok) return fail("npi_invalid", prefixed(`${role}_npi`, rec.issues));
        joined[role] = rec.value;
      }
      return { ok: true, joined };
    });
  }

  private async cached<T>(
    cache: LRUCache<string, ParseResult<T>>,
    reading: Map<string, Promise<Lookup<T> | undefined>>,
    keys: ReadonlySet<string>,
    fetch: (ids: readonly string[]) => Promise<Doc[]>,
    keyField: string,
    parse: (doc: unknown) => ParseResult<T>,
  ): Promise<Map<string, Lookup<T>>> {
    const out = new Map<string, Lookup<T>>();
    const missing: string[] = [];
    const others: Promise<void>[] = [];
    for (const k of keys) {
      const hit = cache.get(k);
      if (hit) {
        out.set(k, hit);
        continue;
      }
      const pending = reading.get(k);
      if (pending)
        others.push(
          pending.then((r) => {
            if (r !== undefined) out.set(k, r);
          }),
        );
      else missing.push(k);
    }
    // Awaited last; marked handled now, so that a failure of our own read (thrown first) cannot
    // leave a failed wait on another batch's read as an unhandled rejection.
    const waited = Promise.all(others);
    waited.catch(() => undefined);
    if (missing.length > 0) {
      const read = fetchIsolating(missing, keyField, fetch).then((found) => {
        const got = new Map<string, Lookup<T>>();
        for (const [k, why] of found.refused) got.set(k, { refused: why });
        for (const [k, docs] of found.docs) {
          // As before: the first row a `find` returns wins (clients and npis are not per-person).
          const parsed = parse(docs[0]);
          got.set(k, parsed);
          if (parsed.ok) cache.set(k, parsed);
        }
        return got;
      });
      for (const k of missing) {
        const one = read.then((got) => got.get(k));
        // A failed read fails this batch (below) and each batch waiting on it (their own await);
        // the per-key promise itself must not count as an unhandled rejection.
        one.catch(() => undefined);
        reading.set(k, one);
      }
      try {
        for (const [k, v] of await read) out.set(k, v);
      } finally {
        for (const k of missing) reading.delete(k);
      }
    }
    await waited;
    return out;
  }
}

/** A cached lookup's answer for one key: parsed, or refused by the server for its data. */
type Lookup<T> = ParseResult<T> | { readonly refused: string };
