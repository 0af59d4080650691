// `npm run chaos`: a 3-member replica set, a stream of ready claims inserted over time, and while
// it flows the processor child (`node bin/claimflow.js run`) is killed with SIGKILL at random
// moments and restarted at once, and the primary is made to step down (replSetStepDown).
// At the end: every ready valid claim version is in exactly one file, every file validates
// (checkExactlyOnce: sha256 = ledger, validate837, claims = ledger, history consistent), no
// batch is left reserved, and dead_letters holds exactly the invalid claims seeded on purpose.
//
//   node dist/bench/chaos.js [--claims 20000] [--seconds 90] [--min-gap-ms 3000]
//                            [--max-gap-ms 9000] [--kill-share 0.5] [--seed 1]
//
// A killed processor is replaced at once, as a supervisor would, and the replacement waits for
// the killed one's lease (15 s TTL) to lapse: nothing is shortcut. One summary line on stdout:
//   chaos: trials=… kills=… step-downs=… lost=0 duplicates=0 …
// and exit 0 only when lost = duplicates = 0 and every other check holds.
import { rm } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type Db, MongoClient, MongoServerError } from "mongodb";
import { COLLECTIONS } from "../src/mongo/collections.js";
import { isDuplicateKeyError } from "../src/mongo/connect.js";
import { generate, makeInvalidClaims, prng } from "../src/seed/synthetic.js";
import { countEmitted } from "../test/support/emitted.js";
import { checkExactlyOnce, refKey } from "../test/support/exactly-once.js";
import { startBenchMongo } from "./lib/mongo.js";
import { freshScenario, processorEnv, writeReferenceData } from "./lib/scenario.js";
import { Supervisor } from "./lib/supervisor.js";
import { sweepTempFilesOfKilled, tally, tallyProblems } from "./lib/tally.js";

const { values } = parseArgs({
  options: {
    claims: { type: "string", default: "20000" },
    seconds: { type: "string", default: "90" },
    "min-gap-ms": { type: "string", default: "3000" },
    "max-gap-ms": { type: "string", default: "9000" },
    "kill-share": { type: "string", default: "0.5" },
    seed: { type: "string", default: "1" },
  },
});

function num(name: keyof typeof values, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(`--${name} must be a number in [${min}, ${max}]\n`);
    process.exit(2);
  }
  return n;
}

const CLAIMS = num("claims", 1);
const SECONDS = num("seconds", 1);
const MIN_GAP = num("min-gap-ms", 100);
const MAX_GAP = Math.max(MIN_GAP, num("max-gap-ms", 100));
const KILL_SHARE = num("kill-share", 0, 1);
const random = prng(num("seed", 0));
const STREAM = "chaos";
const log = (line: string) =>
  process.stderr.write(`[chaos] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (a: number, b: number) => a + random() * (b - a);

/** Inserts `docs` until each is in claim_detail; failover errors mean "try that chunk again". */
async function insertDurably(db: Db, docs: Record<string, unknown>[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.collection(COLLECTIONS.claims).insertMany(docs, { ordered: false });
      return;
    } catch (err) {
      // Already there from an attempt whose reply was lost: fine. Anything else: retry.
      const writeErrors = (err as { writeErrors?: unknown[] }).writeErrors;
      const onlyDuplicates =
        isDuplicateKeyError(err) &&
        Array.isArray(writeErrors) &&
        writeErrors.every((e) => (e as { code?: number }).code === 11000);
      if (onlyDuplicates) return;
      if (attempt >= 60) throw err;
      await sleep(500);
    }
  }
}

async function stepDown(admin: MongoClient): Promise<boolean> {
  try {
    await admin.db("admin").command({ replSetStepDown: 15, secondaryCatchUpPeriodSecs: 5 });
    return true;
  } catch (err) {
    // No electable secondary caught up yet, or an election is already under way.
    log(`step-down refused: ${err instanceof MongoServerError ? err.codeName : String(err)}`);
    return false;
  }
}

async function main(): Promise<void> {
  log("starting a 3-member replica set");
  const mongo = await startBenchMongo(3);
  const admin = await MongoClient.connect(mongo.uri, {
    writeConcern: { w: "majority" },
    serverSelectionTimeoutMS: 60_000,
  });
  const s = await freshScenario(admin, "chaos");
  let supervisor: Supervisor | undefined;
  try {
    const data = generate({
      claims: CLAIMS,
      groups: 50,
      clients: 10,
      seed: 5,
      now: new Date(),
      claimPrefix: "K",
    });
    await writeReferenceData(s.db, data);
    // Three sets of claims that must end in dead_letters, inserted early, midway and late.
    const invalid = [1, 2, 3].flatMap((i) =>
      makeInvalidClaims(data.claims[i] as Record<string, unknown>, `BAD${i}`),
    );
    const validVersions = new Set(data.claims.map((c) => refKey(c.claim_number as string, 1)));
    const invalidNumbers = new Set(invalid.map((c) => c.claim_number as string));

    supervisor = new Supervisor({
      env: processorEnv(mongo.uri, s, {
        EDI_STREAM_NAME: STREAM,
        EDI_WINDOW_MS: "500",
        // Fail over faster than the 30 s default: a reply lost in an election is retried sooner.
        EDI_TIMEOUT_MS: "10000",
        EDI_SHUTDOWN_TIMEOUT_MS: "60000",
      }),
    });
    const sup = supervisor;
    sup.start();

    // The upstream system: claims in chunks spread over --seconds, invalid ones among them.
    const chunk = 100;
    const chunks = Math.ceil(CLAIMS / chunk);
    const gap = (SECONDS * 1000) / chunks;
    let inserting = true;
    const inserter = (async () => {
      const start = Date.now();
      for (let k = 0; k < chunks; k++) {
        const wait = start + k * gap - Date.now();
        if (wait > 0) await sleep(wait);
        const docs = data.claims.slice(k * chunk, (k + 1) * chunk);
        const third = Math.floor(chunks / 3);
        if (k === 1 || k === third || k === 2 * third) docs.push(...invalid.splice(0, 6));
        await insertDurably(s.db, docs);
      }
      if (invalid.length > 0) await insertDurably(s.db, invalid.splice(0));
      inserting = false;
      log(`all ${CLAIMS} claims inserted`);
    })();

    // Chaos while the stream flows (and a little after, to hit the catch-up of the backlog).
    let stepDowns = 0;
    let tailUntil = Number.POSITIVE_INFINITY;
    while (Date.now() < tailUntil) {
      await sleep(between(MIN_GAP, MAX_GAP));
      if (!inserting && tailUntil === Number.POSITIVE_INFINITY) tailUntil = Date.now() + 15_000;
      if (random() < KILL_SHARE) {
        // Kill a processor that is working (holds the lease), at a random moment of its work.
        const child = sup.current;
        try {
          await child.until("the lease", () => child.leaseAcquiredAtMs !== undefined, 60_000);
        } catch {
          continue; // it exited on its own meanwhile; the supervisor restarts it
        }
        await sleep(between(200, 3000));
        if (child !== sup.current || child.exitInfo) continue;
        await sup.kill9();
        log(`kill -9 #${sup.kills} (pid ${child.pid}, ${child.emitted} claims filed by it)`);
      } else if (await stepDown(admin)) {
        stepDowns++;
        log(`primary stepped down #${stepDowns}`);
      }
    }
    await inserter;

    log("chaos over; waiting for the last processor to file everything");
    const deadLetters = s.db.collection(COLLECTIONS.deadLetters);
    const deadline = Date.now() + 20 * 60_000;
    for (;;) {
      const [emitted, dead] = await Promise.all([countEmitted(s.db), deadLetters.countDocuments()]);
      if (emitted >= validVersions.size && dead >= invalidNumbers.size) break;
      if (Date.now() > deadline) {
        log(
          `gave up waiting: ${emitted}/${validVersions.size} emitted, ${dead}/${invalidNumbers.size} dead letters`,
        );
        break;
      }
      await sleep(1000);
    }
    // The last replacement may have just been started: stop it once it runs (a SIGTERM before
    // its handlers are installed would only end it by the signal).
    for (const until = Date.now() + 120_000; !(await sup.current.ready()) && Date.now() < until; )
      await sleep(200);
    const exit = await sup.stop(90_000);
    if (exit.code !== 0) log(`last processor exited ${exit.signal ?? exit.code} on SIGTERM (expected 0)`);

    const t = await tally(s.db, validVersions, invalidNumbers);
    const problems = tallyProblems(t);
    if (exit.code !== 0) problems.push(`graceful stop exited ${exit.signal ?? exit.code}`);
    // kill -9 inside a file write leaves that write's temp file (the file itself is written
    // again by the next start); anything else in the directory is a failure.
    const temp = await sweepTempFilesOfKilled(s.outputDir, sup.killedPids);
    if (temp.unexplained.length > 0)
      problems.push(`unexpected files: ${temp.unexplained.slice(0, 3).join(", ")}`);
    let filesValid = true;
    try {
      await checkExactlyOnce(s.db, s.outputDir);
    } catch (err) {
      filesValid = false;
      problems.push(`file check: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    }
    for (const e of sup.selfExits)
      log(
        `processor exited on its own (${e.exit.signal ?? `code ${e.exit.code}`}): ${e.fatal ?? "no fatal line"}`,
      );
    process.stdout.write(
      `chaos: trials=${sup.kills + stepDowns} kills=${sup.kills} step-downs=${stepDowns} ` +
        `lost=${t.lost.length} duplicates=${t.duplicates.length} reserved=${t.reserved} ` +
        `files=${t.files} claims=${t.inFiles}/${t.expected} ` +
        `dead-letters=${t.deadLetters}(expected ${invalidNumbers.size}) files-valid=${filesValid} ` +
        `temp-files-of-killed=${temp.removed} processor-starts=${sup.starts} ` +
        `self-exits=${sup.selfExits.length}\n`,
    );
    if (problems.length > 0) {
      for (const p of problems) process.stderr.write(`chaos FAILED: ${p}\n`);
      process.exitCode = 1;
    }
  } finally {
    await supervisor?.abandon();
    await admin.close().catch(() => undefined);
    await rm(s.outputDir, { recursive: true, force: true });
    await mongo.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`chaos failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
