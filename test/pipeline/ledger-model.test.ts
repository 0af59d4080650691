// Model test of the ledger (issue 16): random schedules over the in-memory twins — two or three
// processors on two streams with overlapping group filters (a second processor on a stream is a
// standby that takes over when the first dies), each maybe killed at some call of some port,
// claims arriving and being corrected (new versions, so conflicts and superseded versions) while
// they run. After the schedule, one clean processor per stream finishes the work. Then:
//   - every current version of every claim is in exactly one written batch (nothing acked was
//     left unreserved: the checkpoint never passed a claim that no batch holds);
//   - no claim version is in two batches, and no batch stays reserved;
//   - every claim marked billed is billed for a version whose batch is written.
// fast-check prints the seed and the shrunk schedule of a failing run; replay it with
// `{ seed, path }` in fc.assert.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/observability/metrics.js";
import { Engine } from "../../src/pipeline/engine.js";
import { systemClock } from "../../src/ports/clock.js";
import type { FaultPoint } from "../memory/faults.js";
import {
  baseOptions,
  batchesPerVersion,
  checkOutput,
  makeWorld,
  moreClaims,
  refKey,
  silentLogger,
  waitFor,
} from "./harness.js";

const KILL_POINTS: readonly FaultPoint[] = [
  "ledger.lookupHistory",
  "ledger.nextControlNumber",
  "ledger.reserve",
  "sink.write",
  "ledger.markWritten",
  "claims.markBilled",
  "audit.append",
  "checkpoints.save",
  "cursor.tryNext",
];

interface ProcPlan {
  readonly stream: 0 | 1;
  readonly kill: { readonly point: FaultPoint; readonly skip: number } | null;
}

const procArb: fc.Arbitrary<ProcPlan> = fc.record({
  stream: fc.constantFrom(0 as const, 1 as const),
  kill: fc.option(fc.record({ point: fc.constantFrom(...KILL_POINTS), skip: fc.nat({ max: 5 }) }), {
    nil: null,
  }),
});

const scheduleArb = fc.record({
  procs: fc.array(procArb, { minLength: 2, maxLength: 3 }),
  /** Stream 0's filter covers every group, or only the first two (overlapping stream 1's). */
  wideFirst: fc.boolean(),
  steps: fc.array(
    fc.record({
      insert: fc.integer({ min: 1, max: 8 }),
      bumps: fc.nat({ max: 3 }),
      pauseMs: fc.nat({ max: 40 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  pick: fc.nat({ max: 1_000 }),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Schedule = typeof scheduleArb extends fc.Arbitrary<infer T> ? T : never;

async function runSchedule(s: Schedule, run: number): Promise<void> {
  const w = makeWorld({ groups: 3, clients: 2 });
  let inserted = 0;
  const insert = (n: number) => {
    const docs = moreClaims(w, n, `M${run}X${inserted}`, 100 + inserted);
    inserted += n;
    w.db.claims.insertMany(docs);
    return docs;
  };
  // The synthetic groups, sorted: stream 1 covers the last two, stream 0 the first two or all.
  const groups = [...new Set(moreClaims(w, 30, "PROBE").map((d) => d.group_id as string))].sort();
  const only = (gs: string[]) => `^(${gs.join("|")})$`;
  const filters = [s.wideFirst ? ".*" : only(groups.slice(0, 2)), only(groups.slice(-2))];

  const started: { running: { engine: Engine }; killed: () => boolean }[] = [];
  for (const [i, p] of s.procs.entries()) {
    const conn = w.db.connect();
    if (p.kill) conn.faults.arm(p.kill.point, { kill: true, skip: p.kill.skip });
    // Not awaited: a standby's start() returns only once it holds the lease, a killed one's never.
    const engine = new Engine(
      {
        ...baseOptions,
        streamName: `s${p.stream}`,
        groupFilter: filters[p.stream],
        holder: `p${i}`,
        leaseTtlMs: 200,
        batchSize: 6,
        windowMs: 15,
      },
      {
        ports: conn.ports,
        metrics: new Metrics({ collectDefaults: false }),
        logger: silentLogger,
        clock: systemClock,
      },
    );
    void engine.start().catch(() => undefined);
    const running = { engine };
    started.push({ running, killed: () => conn.faults.killed });
  }

  let pick = s.pick;
  for (const step of s.steps) {
    const docs = insert(step.insert);
    // Corrections of claims already in (a new version each): conflicts and superseded versions.
    const all = w.db.claims.all();
    for (let b = 0; b < step.bumps && all.length > 0; b++) {
      pick = (pick * 31 + 7) % 1_009;
      const doc = all[pick % all.length] as Record<string, unknown>;
      w.db.claims.bumpVersion(doc.claim_number as string);
    }
    if (docs.length > 0) await sleep(step.pauseMs);
  }
  await sleep(30);
  // Live processors stop cleanly; killed ones stay as dead processes (their calls never return).
  for (const p of started) if (!p.killed()) await p.running.engine.stop();

  // One clean processor per stream finishes (after a dead holder's lease lapses).
  const finishers: Engine[] = [];
  for (const stream of [0, 1]) {
    const engine = new Engine(
      {
        ...baseOptions,
        streamName: `s${stream}`,
        groupFilter: filters[stream],
        holder: `f${stream}`,
        leaseTtlMs: 200,
      },
      {
        ports: w.db.connect().ports,
        metrics: new Metrics({ collectDefaults: false }),
        logger: silentLogger,
        clock: systemClock,
      },
    );
    void engine.start().catch(() => undefined);
    finishers.push(engine);
  }
  const current = () =>
    new Set(
      w.db.claims.all().map((d) => refKey(d.claim_number as string, (d.version as number | undefined) ?? 1)),
    );
  const emitted = () => {
    const out = new Set<string>();
    for (const b of w.db.ledger.allBatches())
      if (b.state === "written") for (const c of b.claims) out.add(refKey(c.claim_number, c.version));
    return out;
  };
  try {
    await waitFor(
      "every current claim version in a written batch, nothing reserved",
      async () => {
        const e = emitted();
        return [...current()].every((k) => e.has(k)) && (await w.db.ledger.countReserved()) === 0;
      },
      15_000,
    ).catch(async (err: unknown) => {
      const e = emitted();
      const missing = [...current()].filter((k) => !e.has(k));
      throw new Error(
        `${String(err)}; missing ${missing.length}: ${missing.slice(0, 5).join(", ")}; reserved ${await w.db.ledger.countReserved()}; finishers ${finishers.map((f) => `${f.state}/${f.sourceState}`).join(",")}`,
      );
    });
  } finally {
    for (const f of finishers) await f.stop();
  }

  for (const [k, n] of batchesPerVersion(w.db)) expect(n, `${k} is in ${n} batches`).toBe(1);
  await checkOutput(w.db);
  const e = emitted();
  for (const d of w.db.claims.all()) {
    if (d.status !== "billed") continue;
    const k = refKey(d.claim_number as string, (d.version as number | undefined) ?? 1);
    expect(e.has(k), `${k} billed without a written batch`).toBe(true);
  }
}

describe("ledger model", () => {
  it("random schedules of processors, takeovers, kills and corrections: exactly once", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scheduleArb, async (s) => {
        await runSchedule(s, run++);
      }),
      {
        numRuns: Number(process.env.MODEL_RUNS ?? 20),
        endOnFailure: true,
        seed: process.env.MODEL_SEED ? Number(process.env.MODEL_SEED) : undefined,
      },
    );
  }, 240_000);
});
