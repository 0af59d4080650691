// Batched enrichment: one `$in` per lookup collection per batch, deduplicated keys, an
// LRU+TTL cache for client and npi (successes only), and per-claim reasons for what is missing.
import { MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { type Claim, parseClaim } from "../../src/domain/claim.js";
import { Enricher } from "../../src/pipeline/enricher.js";
import type { Lookups } from "../../src/ports/lookups.js";
import { generate } from "../../src/seed/synthetic.js";
import { MemoryLookups } from "../memory/memory-lookups.js";

function world(claims = 12) {
  const data = generate({ claims, groups: 2, clients: 2, seed: 3, now: new Date() });
  const lookups = new MemoryLookups();
  lookups.upsertClients(data.clients);
  lookups.upsertNpis(data.npis);
  lookups.upsertPatients(data.patients);
  const parsed = data.claims.map((c) => {
    const p = parseClaim(c);
    if (!p.ok) throw new Error("synthetic claim does not parse");
    return p.value;
  });
  return { data, lookups, claims: parsed };
}

describe("Enricher", () => {
  it("makes one query per collection per batch and joins every claim", async () => {
    const { lookups, claims } = world();
    const out = await new Enricher(lookups).enrich(claims);
    expect(lookups.queries).toEqual({ patients: 1, clients: 1, npis: 1 });
    expect(out.every((e) => e.ok)).toBe(true);
    for (const [i, e] of out.entries()) {
      if (!e.ok) continue;
      expect(e.joined.claim).toBe(claims[i]);
      expect(e.joined.client.client_id).toBe(claims[i]?.client_id);
      expect(e.joined.patient.patient_id).toBe(claims[i]?.patient_id);
      if (claims[i]?.rendering_npi) expect(e.joined.rendering?.npi).toBe(claims[i]?.rendering_npi);
    }
  });

  it("reads the patients of batches enriching at once in one query, each batch joined with its own", async () => {
    const { lookups, claims } = world(30);
    const enricher = new Enricher(lookups);
    const batches = [0, 5, 10, 15, 20, 25].map((at) => claims.slice(at, at + 5));
    const outs = await Promise.all(batches.map((b) => enricher.enrich(b)));
    // Two reads go at once (two may be in flight); the four batches that waited go together.
    expect(lookups.queries.patients).toBe(3);
    outs.forEach((out, b) => {
      expect(out).toHaveLength(batches[b]?.length ?? -1);
      for (const [i, e] of out.entries()) {
        expect(e.ok).toBe(true);
        if (e.ok) expect(e.joined.patient.patient_id).toBe(batches[b]?.[i]?.patient_id);
      }
    });
  });

  it("serves clients and npis from its cache on the next batch, patients never", async () => {
    const { lookups, claims } = world();
    const enricher = new Enricher(lookups);
    await enricher.enrich(claims.slice(0, 6));
    await enricher.enrich(claims.slice(0, 6));
    expect(lookups.queries.patients).toBe(2);
    expect(lookups.queries.clients).toBe(1);
    expect(lookups.queries.npis).toBeLessThanOrEqual(2);
  });

  /** The lookups, with each client read recorded, slowed a little, and failing when told. */
  function clientSpy(lookups: MemoryLookups) {
    const reads: string[][] = [];
    const spy = { reads, failNext: undefined as Error | undefined, failCount: 0 };
    const wrapped: Lookups = {
      patients: (ids, numbers) => lookups.patients(ids, numbers),
      npis: (ids) => lookups.npis(ids),
      clients: async (ids) => {
        reads.push([...ids]);
        await new Promise((r) => setTimeout(r, 5));
        const err = spy.failNext;
        if (spy.failCount > 0) spy.failCount--;
        else spy.failNext = undefined;
        if (err) throw err;
        return lookups.clients(ids);
      },
    };
    return { spy, wrapped };
  }

  it("batches enriching at once read each client once: a miss joins the read in flight", async () => {
    const { lookups, claims } = world(30);
    const { spy, wrapped } = clientSpy(lookups);
    const enricher = new Enricher(wrapped);
    const batches = [0, 5, 10, 15, 20, 25].map((at) => claims.slice(at, at + 5));
    const outs = await Promise.all(batches.map((b) => enricher.enrich(b)));
    // Each client id is read once, by the first batch that needed it; the others waited for it.
    const read = spy.reads.flat();
    expect(read.sort()).toEqual([...new Set(claims.map((c) => c.client_id))].sort());
    outs.forEach((out, b) => {
      expect(out).toHaveLength(5);
      for (const [i, e] of out.entries()) {
        expect(e.ok).toBe(true);
        if (e.ok) expect(e.joined.client.client_id).toBe(batches[b]?.[i]?.client_id);
      }
    });
  });

  it("a failed client read fails every batch waiting on it, and the next batch reads again", async () => {
    const { lookups, claims } = world(10);
    const { spy, wrapped } = clientSpy(lookups);
    const enricher = new Enricher(wrapped);
    spy.failNext = new Error("network down");
    const both = await Promise.allSettled([
      enricher.enrich(claims.slice(0, 5)),
      enricher.enrich(claims.slice(0, 5)),
    ]);
    expect(both.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(spy.reads).toHaveLength(1);
    const again = await enricher.enrich(claims.slice(0, 5));
    expect(again.every((e) => e.ok)).toBe(true);
    expect(spy.reads).toHaveLength(2);
  });

  it("a batch whose own read fails while it waits on another's failing read rejects, and nothing else", async () => {
    const { lookups, claims } = world(30);
    const { spy, wrapped } = clientSpy(lookups);
    const enricher = new Enricher(wrapped);
    const [c1, c2] = [...new Set(claims.map((c) => c.client_id))];
    const a = claims.filter((c) => c.client_id === c1).slice(0, 2);
    const b = [...a, ...claims.filter((c) => c.client_id === c2).slice(0, 2)];
    expect(a.length + b.length).toBe(6);
    // Both reads fail: A's of c1 (which B waits on) and B's own of c2.
    spy.failNext = new Error("network down");
    spy.failCount = 1;
    const both = await Promise.allSettled([enricher.enrich(a), enricher.enrich(b)]);
    expect(both.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(spy.reads).toEqual([[c1], [c2]]);
    // A failed wait must not surface later as an unhandled rejection (vitest fails the run).
    await new Promise((r) => setTimeout(r, 20));
  });

  it("re-reads a cached client once its TTL has passed", async () => {
    const { lookups, claims } = world(4);
    const enricher = new Enricher(lookups, { cacheTtlMs: 20 });
    await enricher.enrich(claims);
    await new Promise((r) => setTimeout(r, 40));
    await enricher.enrich(claims);
    expect(lookups.queries.clients).toBe(2);
  });

  it.each<[string, string, (w: ReturnType<typeof world>) => void]>([
    [
      "a client added upstream is found on the next batch",
      "client_missing",
      ({ data, lookups }) => lookups.removeClients(data.clients.map((c) => c.client_id as string)),
    ],
    [
      "a client fixed upstream after failing its schema is read again",
      "client_invalid",
      ({ data, lookups }) =>
        lookups.upsertClients(data.clients.map((c) => ({ client_id: c.client_id, name: "ONLY A NAME" }))),
    ],
  ])("caches only successes: %s", async (_, reason, breakClients) => {
    const w = world(4);
    const { data, lookups, claims } = w;
    breakClients(w);
    const enricher = new Enricher(lookups);
    const first = await enricher.enrich(claims);
    expect(first.map((e) => (e.ok ? "ok" : e.reason))).toEqual(claims.map(() => reason));
    lookups.upsertClients(data.clients);
    const second = await enricher.enrich(claims);
    expect(second.every((e) => e.ok)).toBe(true);
  });

  it("names what is missing or invalid per claim, and the rest of the batch still joins", async () => {
    const { lookups, claims } = world(6);
    const [a, b, c, d] = claims as [Claim, Claim, Claim, Claim];
    lookups.upsertPatients([{ patient_id: "P-BAD", first_name: "ONLY" }]);
    const batch: Claim[] = [
      { ...a, patient_id: "P-NONE" },
      { ...b, patient_id: "P-BAD" },
      { ...c, rendering_npi: "1000000004" },
      d,
    ];
    const out = await new Enricher(lookups).enrich(batch);
    expect(out.map((e) => (e.ok ? "ok" : e.reason))).toEqual([
      "patient_missing",
      "patient_invalid",
      "npi_missing",
      "ok",
    ]);
    const bad = out[1];
    if (bad?.ok !== false) throw new Error("expected a failure");
    expect(bad.issues.every((i) => i.path.startsWith("patient"))).toBe(true);
    expect(JSON.stringify(bad.issues)).not.toContain("ONLY");
  });

  it("finds a patient keyed by claim_number when patient_id matches nothing", async () => {
    const { lookups, claims } = world(2);
    const claim = claims[0] as Claim;
    lookups.upsertPatients([
      {
        ...(generate({ claims: 1, groups: 1, clients: 1, seed: 9, now: new Date() }).patients[0] as object),
        patient_id: "P-OTHER",
        claim_number: claim.claim_number,
      },
    ]);
    const [e] = await new Enricher(lookups).enrich([{ ...claim, patient_id: "P-UNKNOWN" }]);
    expect(e?.ok).toBe(true);
    if (e?.ok) expect(e.joined.patient.patient_id).toBe("P-OTHER");
  });

  it("asks for claim numbers only for the claims whose patient_id found nothing", async () => {
    const { lookups, claims } = world(6);
    await new Enricher(lookups).enrich(claims);
    expect(lookups.queries.patients).toBe(1);
    const claim = claims[0] as Claim;
    await new Enricher(lookups).enrich([...claims.slice(1), { ...claim, patient_id: "P-UNKNOWN" }]);
    expect(lookups.queries.patients).toBe(3);
  });

  it("dead-letters a claim whose patient_id two patient rows carry (ambiguous_patient), never picking one", async () => {
    const { data, lookups, claims } = world(4);
    const [a, b] = claims as [Claim, Claim];
    const twin = data.patients.find((p) => p.patient_id === a.patient_id) as Record<string, unknown>;
    lookups.insertPatients([{ ...twin, first_name: "OTHERPERSON" }]);
    const out = await new Enricher(lookups).enrich(claims);
    const byClaim = new Map(out.map((e) => [e.ok ? e.joined.claim.claim_number : e.claim.claim_number, e]));
    const dead = byClaim.get(a.claim_number);
    expect(dead).toMatchObject({
      ok: false,
      reason: "ambiguous_patient",
      issues: [{ path: "patient_id", message: "2 patient documents carry this patient_id" }],
    });
    expect(JSON.stringify(dead)).not.toContain("OTHERPERSON");
    // Claims of other patients are unaffected.
    if (b.patient_id !== a.patient_id) expect(byClaim.get(b.claim_number)?.ok).toBe(true);
  });

  it("dead-letters a claim whose claim-number fallback finds two patient rows", async () => {
    const { lookups, claims } = world(2);
    const claim = claims[0] as Claim;
    const patient = generate({ claims: 1, groups: 1, clients: 1, seed: 9, now: new Date() })
      .patients[0] as object;
    lookups.insertPatients([
      { ...patient, patient_id: "P-X1", claim_number: claim.claim_number },
      { ...patient, patient_id: "P-X2", claim_number: claim.claim_number },
    ]);
    const [e] = await new Enricher(lookups).enrich([{ ...claim, patient_id: "P-UNKNOWN" }]);
    expect(e).toMatchObject({ ok: false, reason: "ambiguous_patient", issues: [{ path: "claim_number" }] });
  });

  describe("a lookup the server refuses", () => {
    const conversionFailure = () =>
      new MongoServerError({
        ok: 0,
        code: 241,
        codeName: "ConversionFailure",
        errmsg: "Error parsing date string '1937-02-31'; 0: passing a time zone identifier...",
      });
    /** `patients` fails like a view whose $toDate chokes on the data of the listed patients. */
    function refusing(inner: MemoryLookups, bad: ReadonlySet<string>, error = conversionFailure) {
      let calls = 0;
      const lookups: Lookups = {
        patients: async (ids, numbers) => {
          calls++;
          if (ids.some((id) => bad.has(id))) throw error();
          return inner.patients(ids, numbers);
        },
        clients: (ids) => inner.clients(ids),
        npis: (ids) => inner.npis(ids),
      };
      return { lookups, calls: () => calls };
    }

    it("dead-letters only the claims whose patient the server cannot read, naming the error without its values", async () => {
      const { lookups: inner, claims } = world(12);
      const badClaim = claims[5] as Claim;
      const { lookups, calls } = refusing(inner, new Set([badClaim.patient_id]));
      const out = await new Enricher(lookups).enrich(claims);
      for (const [i, e] of out.entries()) {
        if (claims[i]?.patient_id === badClaim.patient_id) {
          expect(e).toMatchObject({ ok: false, reason: "patient_invalid", issues: [{ path: "patient" }] });
          const message = e.ok ? "" : (e.issues[0]?.message ?? "");
          expect(message).toContain("ConversionFailure, code 241");
          expect(message).not.toContain("1937");
        } else expect(e.ok).toBe(true);
      }
      // Bisection: a handful of queries, not one per claim.
      expect(calls()).toBeLessThan(12);
    });

    it("stops (throws) when it refuses every patient of a batch of several: not one document's fault", async () => {
      const { lookups: inner, claims } = world(6);
      const { lookups } = refusing(inner, new Set(claims.map((c) => c.patient_id)));
      await expect(new Enricher(lookups).enrich(claims)).rejects.toMatchObject({ code: 241 });
    });

    it("batches enriching at once share one patient read, and one batch's bad patient fails no other batch", async () => {
      const { lookups: inner, claims } = world(24);
      // In the fourth batch: the third to the sixth wait for the first two and are read together.
      const badClaim = claims[13] as Claim;
      const { lookups } = refusing(inner, new Set([badClaim.patient_id]));
      const enricher = new Enricher(lookups);
      const batches = [0, 4, 8, 12, 16, 20].map((at) => claims.slice(at, at + 4));
      const outs = await Promise.all(batches.map((b) => enricher.enrich(b)));
      outs.forEach((out, b) => {
        for (const [i, e] of out.entries()) {
          const claim = batches[b]?.[i] as Claim;
          if (claim.patient_id === badClaim.patient_id)
            expect(e).toMatchObject({ ok: false, reason: "patient_invalid" });
          else {
            expect(e.ok, `batch ${b} claim ${i}`).toBe(true);
            if (e.ok) expect(e.joined.patient.patient_id).toBe(claim.patient_id);
          }
        }
      });
    });

    it("never isolates an Unauthorized error: it is the process's, not a claim's", async () => {
      const { lookups: inner, claims } = world(6);
      const unauthorized = () =>
        new MongoServerError({ ok: 0, code: 13, codeName: "Unauthorized", errmsg: "not authorized" });
      const { lookups, calls } = refusing(inner, new Set([(claims[0] as Claim).patient_id]), unauthorized);
      await expect(new Enricher(lookups).enrich(claims)).rejects.toMatchObject({ code: 13 });
      expect(calls()).toBe(1);
    });
  });
});
