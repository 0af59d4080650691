// Shared by the compliance tests: the PHI of a synthetic run as byte strings to hunt for, the
// `claimflow` CLI run in-process (same code as the binary, without a build), and small waits.
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Db } from "mongodb";
import { main } from "../../src/cli/index.js";
import type { SyntheticData } from "../../src/seed/synthetic.js";
import { countEmitted } from "../support/emitted.js";

export { waitFor } from "../support/wait-for.js";

export const DAY_MS = 86_400_000;

export const emittedCount = (db: Db) => countEmitted(db);

const yyyymmdd = (d: Date) => d.toISOString().slice(0, 10).replaceAll("-", "");

/**
 * What must never be stored in the clear: every member id and date of birth of the run (as the
 * 837 writes them, YYYYMMDD, and as ISO dates), and each patient's and subscriber's
 * "LAST*FIRST" as NM1 carries it. Long enough (8+ bytes) that random ciphertext cannot contain
 * one by chance.
 */
export function phiNeedles(data: SyntheticData): string[] {
  const out = new Set<string>();
  const person = (p: Record<string, unknown>) => {
    out.add(String(p.member_id));
    const dob = p.dob as Date;
    out.add(yyyymmdd(dob));
    out.add(dob.toISOString().slice(0, 10));
    out.add(`${String(p.last_name).toUpperCase()}*${String(p.first_name).toUpperCase()}`);
  };
  for (const p of data.patients) {
    person(p);
    if (p.subscriber) person(p.subscriber as Record<string, unknown>);
  }
  return [...out];
}

const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;

/**
 * The needles found in `bytes`. A needle that starts or ends with a digit counts only where the
 * bytes beside it are not digits too: "19530528" inside a span's nanosecond timestamp
 * ("1796…19530528…000") is a coincidence (a few percent of runs), while PHI as we would leak it
 * (`DMG*D8*19530528*`, `"dob":"1953-05-28"`) always stands apart from other digits.
 */
export function needlesIn(bytes: Buffer, needles: readonly string[]): string[] {
  return needles.filter((n) => {
    const needle = Buffer.from(n, "utf8");
    const guardStart = isDigit(needle[0]);
    const guardEnd = isDigit(needle[needle.length - 1]);
    for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + 1)) {
      if (guardStart && isDigit(bytes[at - 1])) continue;
      if (guardEnd && isDigit(bytes[at + needle.length])) continue;
      return true;
    }
    return false;
  });
}

/** Every file under `dir` (relative paths) and every directory (absolute), recursively. */
export async function walk(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const files: string[] = [];
  const dirs: string[] = [dir];
  const visit = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        dirs.push(p);
        await visit(p);
      } else files.push(relative(dir, p));
    }
  };
  await visit(dir);
  return { files: files.sort(), dirs };
}

export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

export async function concatFiles(dir: string): Promise<Buffer> {
  const { files } = await walk(dir);
  return Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `claimflow <args>` in this process with exactly `env` as its EDI_* environment (the rest of
 * process.env is restored afterwards), capturing stdout and stderr.
 */
export async function runCli(
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<CliRun> {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env))
    if (k.startsWith("EDI_") || k.startsWith("OTEL_")) delete process.env[k];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) process.env[k] = v;
  const out: string[] = [];
  const err: string[] = [];
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(["node", "claimflow", ...args]);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}
