// Counts for a chaos run's summary, from the ledger: claim versions in no file (lost), in more
// than one file (duplicates), batches still reserved, and dead letters against the claims seeded
// invalid on purpose. checkExactlyOnce then checks every file itself (content, sha256, 837P).
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Db } from "mongodb";
import { COLLECTIONS } from "../../src/mongo/collections.js";
import { listFiles, refKey } from "../../test/support/exactly-once.js";

export interface Tally {
  readonly expected: number;
  readonly inFiles: number;
  readonly files: number;
  readonly lost: string[];
  readonly duplicates: string[];
  readonly reserved: number;
  readonly deadLetters: number;
  /** Dead letters for claims that were not seeded invalid. */
  readonly unexpectedDeadLetters: string[];
  /** Invalid claims that did not reach dead_letters. */
  readonly missingDeadLetters: string[];
}

export async function tally(
  db: Db,
  validVersions: ReadonlySet<string>,
  invalidClaimNumbers: ReadonlySet<string>,
): Promise<Tally> {
  const seen = new Map<string, number>();
  let files = 0;
  let reserved = 0;
  const batches = db
    .collection(COLLECTIONS.batches)
    .find({}, { projection: { _id: 0, state: 1, claims: 1 } });
  for await (const b of batches) {
    if (b.state !== "written") {
      reserved++;
      continue;
    }
    files++;
    for (const c of b.claims as { claim_number: string; version: number }[]) {
      const k = refKey(c.claim_number, c.version);
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
  }
  const dead = await db
    .collection(COLLECTIONS.deadLetters)
    .find({}, { projection: { _id: 0, claim_number: 1 } })
    .toArray();
  const deadNumbers = new Set(dead.map((d) => d.claim_number as string));
  return {
    expected: validVersions.size,
    inFiles: seen.size,
    files,
    lost: [...validVersions].filter((k) => !seen.has(k)),
    duplicates: [...seen].filter(([, n]) => n > 1).map(([k]) => k),
    reserved,
    deadLetters: deadNumbers.size,
    unexpectedDeadLetters: [...deadNumbers].filter((n) => !invalidClaimNumbers.has(n)),
    missingDeadLetters: [...invalidClaimNumbers].filter((n) => !deadNumbers.has(n)),
  };
}

export function tallyProblems(t: Tally): string[] {
  const p: string[] = [];
  if (t.lost.length)
    p.push(`${t.lost.length} claim versions in no file (e.g. ${t.lost.slice(0, 3).join(", ")})`);
  if (t.duplicates.length)
    p.push(
      `${t.duplicates.length} claim versions in two files (e.g. ${t.duplicates.slice(0, 3).join(", ")})`,
    );
  if (t.reserved) p.push(`${t.reserved} batches left reserved`);
  if (t.inFiles !== t.expected - t.lost.length)
    p.push(
      `${t.inFiles - (t.expected - t.lost.length)} claim versions in files that were never ready and valid`,
    );
  if (t.unexpectedDeadLetters.length)
    p.push(`dead letters for valid claims: ${t.unexpectedDeadLetters.slice(0, 3).join(", ")}`);
  if (t.missingDeadLetters.length)
    p.push(`invalid claims not dead-lettered: ${t.missingDeadLetters.slice(0, 3).join(", ")}`);
  return p;
}

/** The sink's temp name: `<file>.837.<pid>.<8 hex>.tmp` (temp file, fsync, rename). */
const TEMP_FILE = /\.837\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * A kill -9 inside a file write leaves that write's temp file behind (never a partial .837; the
 * batch stays reserved and the next start writes the file again under its real name). Removes
 * the temp files of the `killed` processes and returns every other non-.837 file, which no
 * process should have left.
 */
export async function sweepTempFilesOfKilled(
  outputDir: string,
  killed: ReadonlySet<number>,
): Promise<{ removed: number; unexplained: string[] }> {
  let removed = 0;
  const unexplained: string[] = [];
  for (const f of await listFiles(outputDir)) {
    if (f.endsWith(".837")) continue;
    const pid = TEMP_FILE.exec(f)?.[1];
    if (pid !== undefined && killed.has(Number(pid))) {
      await rm(join(outputDir, f));
      removed++;
    } else unexplained.push(f);
  }
  return { removed, unexplained };
}
