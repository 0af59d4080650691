// `npm run bench:render`: how fast render837 turns joined claims into 837P text, against the
// fastest serialiser the runtime has (JSON.stringify of the same joined claims) as a ceiling.
// The claims are the synthetic data set the demo uses, parsed by the real domain schemas and
// joined as the enricher joins them, then cut into batches of one client each.
//
//   node dist/bench/render.js [--claims 10000] [--batch 500] [--rounds 7]
//
// Prints one JSON object. Every rendered file is also run through validate837 (outside the timed
// part): a fast renderer that writes broken files would be worth nothing.
import type { Client } from "../src/domain/client.js";
import { parseClaim, parseClient, parseNpiRecord, parsePatient } from "../src/domain/index.js";
import type { JoinedClaim } from "../src/domain/joined-claim.js";
import type { NpiRecord } from "../src/domain/npi-record.js";
import type { Patient } from "../src/domain/patient.js";
import type { ParseResult } from "../src/domain/schema-parts.js";
import { render837 } from "../src/edi/render.js";
import { validate837 } from "../src/edi/validate.js";
import { generate } from "../src/seed/synthetic.js";
import { median, readMicroArgs } from "./micro-args.js";

const { claims: CLAIMS, batch: BATCH, rounds: ROUNDS } = readMicroArgs(1_0000);
const CREATED_AT = new Date("2026-03-14T15:09:26Z");

function must<T>(r: ParseResult<T>): T {
  if (!r.ok) throw new Error(`synthetic document does not parse: ${JSON.stringify(r.issues)}`);
  return r.value;
}

/** Synthetic documents → parsed, joined claims, in batches of at most BATCH claims of one client. */
function buildBatches(): JoinedClaim[][] {
  const data = generate({ claims: CLAIMS, groups: 4, clients: 4, seed: 7, now: CREATED_AT });
  const clients = new Map<string, Client>(
    data.clients.map((d) => [d.client_id as string, must(parseClient(d))]),
  );
  const npis = new Map<string, NpiRecord>(data.npis.map((d) => [d.npi as string, must(parseNpiRecord(d))]));
  const patients = new Map<string, Patient>(
    data.patients.map((d) => [d.patient_id as string, must(parsePatient(d))]),
  );
  const byClient = new Map<string, JoinedClaim[]>();
  for (const d of data.claims) {
    const claim = must(parseClaim(d));
    const client = clients.get(claim.client_id);
    const patient = patients.get(claim.patient_id);
    if (client === undefined || patient === undefined) throw new Error("synthetic data is inconsistent");
    const rendering = claim.rendering_npi === undefined ? undefined : npis.get(claim.rendering_npi);
    const list = byClient.get(client.client_id) ?? [];
    list.push({ claim, patient, client, ...(rendering === undefined ? {} : { rendering }) });
    byClient.set(client.client_id, list);
  }
  const batches: JoinedClaim[][] = [];
  for (const list of byClient.values()) {
    for (let i = 0; i < list.length; i += BATCH) batches.push(list.slice(i, i + BATCH));
  }
  return batches;
}

interface Round {
  readonly ms: number;
  readonly chars: number;
}

function renderRound(batches: readonly JoinedClaim[][]): Round {
  let chars = 0;
  const start = performance.now();
  for (let b = 0; b < batches.length; b++) {
    const claims = batches[b] as JoinedClaim[];
    const text = render837({
      batchId: `B${b}`,
      client: (claims[0] as JoinedClaim).client,
      claims,
      controlNumber: b + 1,
      createdAt: CREATED_AT,
    });
    chars += text.length;
  }
  return { ms: performance.now() - start, chars };
}

function stringifyRound(batches: readonly JoinedClaim[][]): Round {
  let chars = 0;
  const start = performance.now();
  for (const claims of batches) chars += JSON.stringify(claims).length;
  return { ms: performance.now() - start, chars };
}

function summary(rounds: readonly Round[], claims: number) {
  const ms = median(rounds.map((r) => r.ms));
  // Both outputs are ASCII (JSON escapes nothing here that is not ASCII), so characters = bytes.
  const bytes = (rounds[0] as Round).chars;
  return {
    claimsPerSec: Math.round((claims / ms) * 1000),
    mbPerSec: Number(((bytes / 1_048_576 / ms) * 1000).toFixed(1)),
    msPerRound: Number(ms.toFixed(2)),
    bytes,
  };
}

function main(): void {
  const batches = buildBatches();
  const claims = batches.reduce((n, b) => n + b.length, 0);

  // Correctness first, untimed: every file must pass the structural validator.
  let invalid = 0;
  batches.forEach((b, i) => {
    const text = render837({
      batchId: `B${i}`,
      client: (b[0] as JoinedClaim).client,
      claims: b,
      controlNumber: i + 1,
      createdAt: CREATED_AT,
    });
    if (!validate837(text).ok) invalid++;
  });

  // Warm-up lets both paths reach optimised code before anything is timed.
  for (let i = 0; i < 2; i++) {
    renderRound(batches);
    stringifyRound(batches);
  }
  const render: Round[] = [];
  const stringify: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, so a noisy neighbour on a shared machine slows both alike.
    render.push(renderRound(batches));
    stringify.push(stringifyRound(batches));
  }
  const r = summary(render, claims);
  const s = summary(stringify, claims);
  const result = {
    bench: "render837",
    node: process.version,
    claims,
    batchSize: BATCH,
    batches: batches.length,
    rounds: ROUNDS,
    invalidFiles: invalid,
    render: r,
    ceiling: { what: "JSON.stringify of the same joined claims", ...s },
    ratio: Number((r.claimsPerSec / s.claimsPerSec).toFixed(3)),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (invalid > 0) process.exitCode = 1;
}

main();
