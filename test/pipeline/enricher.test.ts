// Batched enrichment: one `$in` per lookup collection per batch, deduplicated keys, an
// LRU+TTL cache for client and npi (successes only), and per-claim reasons for what is missing.
import { describe, expect, it } from "vitest";
import { type Claim, parseClaim } from "../../src/domain/claim.js";
import { MemoryLookups } from "../../src/memory/memory-lookups.js";
import { Enricher } from "../../src/pipeline/enricher.js";
import { generate } from "../../src/seed/synthetic.js";

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

  it("serves clients and npis from its cache on the next batch, patients never", async () => {
    const { lookups, claims } = world();
    const enricher = new Enricher(lookups);
    await enricher.enrich(claims.slice(0, 6));
    await enricher.enrich(claims.slice(0, 6));
    expect(lookups.queries.patients).toBe(2);
    expect(lookups.queries.clients).toBe(1);
    expect(lookups.queries.npis).toBeLessThanOrEqual(2);
  });

  it("re-reads a cached client once its TTL has passed", async () => {
    const { lookups, claims } = world(4);
    const enricher = new Enricher(lookups, { cacheTtlMs: 20 });
    await enricher.enrich(claims);
    await new Promise((r) => setTimeout(r, 40));
    await enricher.enrich(claims);
    expect(lookups.queries.clients).toBe(2);
  });

  it("caches only successes: a client added upstream is found on the next batch", async () => {
    const { data, lookups, claims } = world(4);
    lookups.removeClients(data.clients.map((c) => c.client_id as string));
    const enricher = new Enricher(lookups);
    const first = await enricher.enrich(claims);
    expect(first.map((e) => (e.ok ? "ok" : e.reason))).toEqual(claims.map(() => "client_missing"));
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
});
