// Batched enrichment: one `$in` per lookup collection per batch (deduplicated keys), with an
// LRU+TTL cache for `client` and `npi` — few, slow-changing documents read by every batch.
// Patients are per claim and not cached. Each claim comes out joined or with the reason it
// cannot be billed; one bad reference never stops the rest of the batch.
import { LRUCache } from "lru-cache";
import type { Claim } from "../domain/claim.js";
import { type Client, parseClient } from "../domain/client.js";
import type { DeadLetterReason, InputIssue } from "../domain/errors.js";
import type { JoinedClaim } from "../domain/joined-claim.js";
import { type NpiRecord, parseNpiRecord } from "../domain/npi-record.js";
import { type Patient, parsePatient } from "../domain/patient.js";
import type { ParseResult } from "../domain/schema-parts.js";
import type { Lookups } from "../ports/lookups.js";

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

function prefixed(prefix: string, issues: readonly InputIssue[]): InputIssue[] {
  return issues.map((i) => ({ path: i.path ? `${prefix}.${i.path}` : prefix, message: i.message }));
}

export class Enricher {
  // Only successful lookups are cached: a reference added upstream must be seen on the next batch.
  private readonly clientCache: LRUCache<string, ParseResult<Client>>;
  private readonly npiCache: LRUCache<string, ParseResult<NpiRecord>>;

  constructor(
    private readonly lookups: Lookups,
    opts: EnricherOptions = {},
  ) {
    const base = { max: opts.cacheMax ?? 10_000, ttl: opts.cacheTtlMs ?? 60_000 };
    this.clientCache = new LRUCache(base);
    this.npiCache = new LRUCache(base);
  }

  async enrich(claims: readonly Claim[]): Promise<Enriched[]> {
    const patientIds = unique(claims.map((c) => c.patient_id));
    const claimNumbers = unique(claims.map((c) => c.claim_number));
    const [patientDocs, clients, npis] = await Promise.all([
      this.lookups.patients(patientIds, claimNumbers),
      this.cached(
        this.clientCache,
        unique(claims.map((c) => c.client_id)),
        (ids) => this.lookups.clients(ids),
        "client_id",
        parseClient,
      ),
      this.cached(
        this.npiCache,
        unique(claims.flatMap((c) => [c.rendering_npi, c.referring_npi].filter((n): n is string => !!n))),
        (ids) => this.lookups.npis(ids),
        "npi",
        parseNpiRecord,
      ),
    ]);

    const byPatientId = new Map<string, unknown>();
    const byClaimNumber = new Map<string, unknown>();
    for (const d of patientDocs) {
      if (typeof d.patient_id === "string") byPatientId.set(d.patient_id, d);
      if (typeof d.claim_number === "string") byClaimNumber.set(d.claim_number, d);
    }
    const parsedPatients = new Map<unknown, ParseResult<Patient>>();

    return claims.map((claim): Enriched => {
      const fail = (reason: DeadLetterReason, issues: InputIssue[]): Enriched => ({
        ok: false,
        claim,
        reason,
        issues,
      });
      const patientDoc = byPatientId.get(claim.patient_id) ?? byClaimNumber.get(claim.claim_number);
      if (!patientDoc) {
        return fail("patient_missing", [
          { path: "patient_id", message: "no patient document with this patient_id or claim_number" },
        ]);
      }
      let patient = parsedPatients.get(patientDoc);
      if (!patient) {
        patient = parsePatient(patientDoc);
        parsedPatients.set(patientDoc, patient);
      }
      if (!patient.ok) return fail("patient_invalid", prefixed("patient", patient.issues));

      const client = clients.get(claim.client_id);
      if (!client)
        return fail("client_missing", [{ path: "client_id", message: "no client document with this id" }]);
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
        if (!rec.ok) return fail("npi_invalid", prefixed(`${role}_npi`, rec.issues));
        joined[role] = rec.value;
      }
      return { ok: true, joined };
    });
  }

  private async cached<T>(
    cache: LRUCache<string, ParseResult<T>>,
    keys: readonly string[],
    fetch: (ids: readonly string[]) => Promise<Record<string, unknown>[]>,
    keyField: string,
    parse: (doc: unknown) => ParseResult<T>,
  ): Promise<Map<string, ParseResult<T>>> {
    const out = new Map<string, ParseResult<T>>();
    const missing: string[] = [];
    for (const k of keys) {
      const hit = cache.get(k);
      if (hit) out.set(k, hit);
      else missing.push(k);
    }
    if (missing.length > 0) {
      for (const doc of await fetch(missing)) {
        const k = doc[keyField];
        if (typeof k !== "string" || out.has(k)) continue;
        const parsed = parse(doc);
        out.set(k, parsed);
        if (parsed.ok) cache.set(k, parsed);
      }
    }
    return out;
  }
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}
