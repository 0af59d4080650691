// `npm run bench:validate`: CPU per claim of the two per-claim steps this module owns — claim
// validation (the hand-written fast path against zod alone, its oracle) and enrichment (the
// batched lookups over the in-memory twin, patient parsing and joins) — on the synthetic data
// set the demo uses. A micro-benchmark, never a timed test: figures depend on the machine.
//
//   node dist/bench/validate.js [--claims 20000] [--batch 500] [--rounds 7]
//
// Prints one JSON object: microseconds of process CPU (user + system) per claim, the median of
// `rounds` rounds after one warm-up round.
import type { Claim } from "../src/domain/claim.js";
import { claimSchema, parseClaim } from "../src/domain/claim.js";
import { parseDocument } from "../src/domain/schema-parts.js";
import { Enricher } from "../src/pipeline/enricher.js";
import { generate } from "../src/seed/synthetic.js";
import { MemoryLookups } from "../test/memory/memory-lookups.js";
import { median, readMicroArgs } from "./micro-args.js";

const { claims: CLAIMS, batch: BATCH, rounds: ROUNDS } = readMicroArgs(2_0000);

const data = generate({
  claims: CLAIMS,
  groups: 10,
  clients: 10,
  seed: 7,
  now: new Date("2026-03-14T15:09:26Z"),
});

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function perClaim(rounds: number, work: () => unknown | Promise<unknown>): Promise<number> {
  await work(); // warm-up: JIT, caches
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = cpuMicros();
    await work();
    samples.push((cpuMicros() - t0) / CLAIMS);
  }
  return Math.round(median(samples) * 100) / 100;
}

const zodOnly = (doc: unknown) => parseDocument(claimSchema, doc);
let rejected = 0;
const parseWith = (parse: (doc: unknown) => { ok: boolean }) => () => {
  for (const doc of data.claims) if (!parse(doc).ok) rejected++;
};

const claims: Claim[] = data.claims.map((d) => {
  const r = parseClaim(d);
  if (!r.ok) throw new Error("synthetic claim does not parse");
  return r.value;
});
const lookups = new MemoryLookups();
lookups.upsertPatients(data.patients);
lookups.upsertClients(data.clients);
lookups.upsertNpis(data.npis);
// The twin copies every document it returns (structuredClone), as a driver decodes BSON: that
// copy is counted separately so the enricher's own work can be read off.
const enricher = new Enricher(lookups);
const batches: Claim[][] = [];
for (let i = 0; i < claims.length; i += BATCH) batches.push(claims.slice(i, i + BATCH));
let joined = 0;
const enrichAll = async () => {
  for (const b of batches) for (const e of await enricher.enrich(b)) if (e.ok) joined++;
};
const lookupOnly = async () => {
  for (const b of batches) {
    await lookups.patients(
      b.map((c) => c.patient_id),
      [],
    );
  }
};

const result = {
  claims: CLAIMS,
  batch: BATCH,
  rounds: ROUNDS,
  node: process.version,
  cpuMicrosPerClaim: {
    validateFastPath: await perClaim(ROUNDS, parseWith(parseClaim)),
    validateZodOnly: await perClaim(ROUNDS, parseWith(zodOnly)),
    enrich: await perClaim(ROUNDS, enrichAll),
    enrichTwinLookupCopy: await perClaim(ROUNDS, lookupOnly),
  },
  rejected,
  joinedPerRound: joined / (ROUNDS + 1),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
