// The enricher's dead-letter reasons, one row per rule: the exact reason and issues an operator
// reads in dead_letters for a missing patient, client or npi, and the prefixed issues of an
// invalid client or npi.
import { MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { type Claim, parseClaim } from "../../src/domain/claim.js";
import { Enricher } from "../../src/pipeline/enricher.js";
import type { Lookups } from "../../src/ports/lookups.js";
import { generate } from "../../src/seed/synthetic.js";
import { MemoryLookups } from "../memory/memory-lookups.js";

function world() {
  const data = generate({ claims: 1, groups: 1, clients: 1, seed: 5, now: new Date() });
  const lookups = new MemoryLookups();
  lookups.upsertClients(data.clients);
  lookups.upsertNpis(data.npis);
  lookups.upsertPatients(data.patients);
  lookups.upsertClients([{ client_id: "C-BAD" }]);
  lookups.upsertNpis([{ npi: "1999999999" }]);
  const p = parseClaim(data.claims[0]);
  if (!p.ok) throw new Error("synthetic claim does not parse");
  return { lookups, claim: p.value };
}

describe("Enricher: what a dead letter says", () => {
  it.each<[string, (c: Claim) => Claim, string, { path: string; message: string }[] | string]>([
    [
      "no patient by id or claim number",
      (c) => ({ ...c, patient_id: "P-NONE", claim_number: "CN-NONE" }),
      "patient_missing",
      [{ path: "patient_id", message: "no patient document with this patient_id or claim_number" }],
    ],
    [
      "no client",
      (c) => ({ ...c, client_id: "C-NONE" }),
      "client_missing",
      [{ path: "client_id", message: "no client document with this id" }],
    ],
    [
      "no rendering npi",
      (c) => ({ ...c, rendering_npi: "1000000004" }),
      "npi_missing",
      [{ path: "rendering_npi", message: "no npi document with this number" }],
    ],
    [
      "no referring npi",
      (c) => ({ ...c, referring_npi: "1000000004" }),
      "npi_missing",
      [{ path: "referring_npi", message: "no npi document with this number" }],
    ],
    ["an invalid client", (c) => ({ ...c, client_id: "C-BAD" }), "client_invalid", "client"],
    [
      "an invalid referring npi",
      (c) => ({ ...c, referring_npi: "1999999999" }),
      "npi_invalid",
      "referring_npi",
    ],
  ])("%s", async (_what, edit, reason, issues) => {
    const { lookups, claim } = world();
    const [out] = await new Enricher(lookups).enrich([edit(claim)]);
    if (out?.ok !== false) throw new Error("expected a dead letter");
    expect(out.reason).toBe(reason);
    if (typeof issues === "string") {
      expect(out.issues.length).toBeGreaterThan(0);
      for (const i of out.issues) expect(i.path.startsWith(`${issues}.`) || i.path === issues).toBe(true);
    } else {
      expect(out.issues).toEqual(issues);
    }
  });
});

describe("Enricher: a client or npi the server refuses to read", () => {
  const refusal = () =>
    new MongoServerError({
      ok: 0,
      code: 241,
      codeName: "ConversionFailure",
      errmsg: "Error parsing date string '1937-02-31'; at $toDate\nsecond line",
    });
  const expected =
    "MongoDB could not read it (ConversionFailure, code 241): Error parsing date string '[redacted]'; at $toDate";

  it.each<[string, "clients" | "npis", (c: Claim) => Claim, string, string]>([
    ["its client", "clients", (c) => c, "client_invalid", "client"],
    [
      "its rendering npi",
      "npis",
      (c) => ({ ...c, rendering_npi: c.rendering_npi ?? "1999999999" }),
      "npi_invalid",
      "rendering_npi",
    ],
  ])(
    "dead-letters the claim (%s), naming the error class and code, values scrubbed, first line only",
    async (_w, refused, edit, reason, path) => {
      const { lookups: inner, claim } = world();
      const lookups: Lookups = {
        patients: (ids, numbers) => inner.patients(ids, numbers),
        clients: refused === "clients" ? async () => Promise.reject(refusal()) : (ids) => inner.clients(ids),
        npis: refused === "npis" ? async () => Promise.reject(refusal()) : (ids) => inner.npis(ids),
      };
      const [out] = await new Enricher(lookups).enrich([edit(claim)]);
      expect(out).toMatchObject({ ok: false, reason, issues: [{ path, message: expected }] });
      expect(out?.ok === false && out.issues).toHaveLength(1);
    },
  );
});
