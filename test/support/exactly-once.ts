// The end-to-end invariant on a real database and output directory: every batch is `written`,
// its file exists with exactly the stored content (sha256), is a valid 837P holding exactly the
// batch's claims, no claim version is in two files, no stray file exists, and
// processing_history holds exactly one `emitted` row per claim version in a file.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Db } from "mongodb";
import { expect } from "vitest";
import { validate837 } from "../../src/edi/validate.js";

export const refKey = (n: string, v: number) => `${n}@${v}`;

export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  await walk(dir);
  return out.sort();
}

/** Returns the claim versions emitted ("CLAIM@version"). */
export async function checkExactlyOnce(db: Db, outputDir: string): Promise<Set<string>> {
  const batches = await db.collection("edi_batches").find({}).toArray();
  expect(batches.filter((b) => b.state !== "written").map((b) => b.batch_id)).toEqual([]);
  const files = await listFiles(outputDir);
  expect(
    files.filter((f) => !f.endsWith(".837")),
    "stray temp files",
  ).toEqual([]);
  expect(files).toEqual(batches.map((b) => b.path as string).sort());
  const seen = new Map<string, string>();
  for (const b of batches) {
    const text = await readFile(join(outputDir, b.path as string), "utf8");
    expect(createHash("sha256").update(text).digest("hex"), `sha256 of ${b.path}`).toBe(b.sha256);
    const result = validate837(text);
    expect(result.violations, b.path as string).toEqual([]);
    const claims = b.claims as { claim_number: string; version: number }[];
    expect([...result.claimNumbers].sort()).toEqual(claims.map((c) => c.claim_number).sort());
    for (const c of claims) {
      const key = refKey(c.claim_number, c.version);
      expect(seen.get(key), `${key} is in two files`).toBeUndefined();
      seen.set(key, b.path as string);
    }
  }
  const history = await db.collection("processing_history").find({}).toArray();
  expect(history.length).toBe(seen.size);
  // Every row names a batch, and that batch is written (checked above): all of them emitted.
  const paths = new Map(batches.map((b) => [b.batch_id as string, b.path as string]));
  for (const h of history) expect(seen.get(refKey(h.claim_number, h.version))).toBe(paths.get(h.batch_id));
  return new Set(seen.keys());
}

/** Claim versions that are ready-and-valid to bill: every claim whose number has `prefix`. */
export async function versionsInClaimDetail(
  db: Db,
  filter: Record<string, unknown> = {},
): Promise<Set<string>> {
  const docs = await db
    .collection("claim_detail")
    .find(filter, { projection: { claim_number: 1, version: 1 } })
    .toArray();
  return new Set(docs.map((d) => refKey(d.claim_number as string, (d.version as number | undefined) ?? 1)));
}
