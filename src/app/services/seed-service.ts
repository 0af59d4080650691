// `claimflow seed`: synthetic, realistic input data (src/seed) for demos and benchmarks, plus
// optionally some claims built to fail (missing patient, bad NPI, unbalanced total, unsafe key,
// replacement without payer claim number, unknown client) so dead-letter handling can be seen.
import type { Db } from "mongodb";
import { ClaimflowError } from "../../domain/errors.js";
import { COLLECTIONS } from "../../mongo/collections.js";
import { type InsertOnlyResult, insertSynthetic, SEED_MARK_FIELD } from "../../seed/seed-database.js";
import { generate, makeInvalidClaims } from "../../seed/synthetic.js";

export interface SeedOptions {
  readonly claims: number;
  readonly groups: number;
  readonly clients: number;
  /** PRNG seed: the same seed and prefix give the same documents. */
  readonly seed: number;
  /** Claims inserted on top of `claims`, each failing one rule. */
  readonly invalid: number;
  /** Claim numbers are `<prefix>-<8 digits>`. */
  readonly prefix: string;
  readonly now: Date;
  /** Seed a database that holds input documents seed did not create (still insert-only). */
  readonly force: boolean;
}

export interface SeedReport {
  /** Valid claims inserted (`invalid` more on top). */
  readonly claims: number;
  readonly invalid: number;
  readonly prefix: string;
  /** Reference documents inserted. */
  readonly patients: number;
  readonly clients: number;
  readonly npis: number;
  /** Reference documents that already existed, left untouched. */
  readonly kept: InsertOnlyResult["kept"];
}

const INPUT_COLLECTIONS: readonly string[] = [
  COLLECTIONS.claims,
  COLLECTIONS.clients,
  COLLECTIONS.patients,
  COLLECTIONS.npis,
];

/** The database holds input documents seed did not write: it may be real data. */
export class SeedRefusedError extends ClaimflowError {
  readonly code = "SEED_REFUSED";
  constructor(collections: readonly string[]) {
    super(
      `${collections.join(", ")} already hold${collections.length === 1 ? "s" : ""} documents claimflow seed ` +
        "did not create; seed only a test database, or pass --force to add synthetic data anyway " +
        "(insert-only: existing documents are never changed)",
    );
  }
}

/** Input collections holding at least one document without seed's mark. */
export async function collectionsWithForeignDocuments(db: Db): Promise<string[]> {
  const found = await Promise.all(
    INPUT_COLLECTIONS.map(async (name) =>
      (await db
        .collection(name)
        .findOne({ [SEED_MARK_FIELD]: { $ne: true } }, { projection: { _id: 1 } })) === null
        ? undefined
        : name,
    ),
  );
  return found.filter((n): n is string => n !== undefined);
}

/** Seeding twice with one prefix would insert the same claim numbers again. */
export class SeedConflictError extends ClaimflowError {
  readonly code = "SEED_CONFLICT";
  constructor(prefix: string) {
    super(`claims with prefix ${prefix} already exist in claim_detail; seed with another --prefix`);
  }
}

export async function seedClaims(db: Db, opts: SeedOptions): Promise<SeedReport> {
  const data = generate({
    claims: opts.claims,
    groups: opts.groups,
    clients: opts.clients,
    seed: opts.seed,
    now: opts.now,
    claimPrefix: opts.prefix,
  });
  const invalid: Record<string, unknown>[] = [];
  const base = data.claims[0];
  for (let round = 0; base !== undefined && invalid.length < opts.invalid; round++) {
    invalid.push(...makeInvalidClaims(base, `${opts.prefix}-BAD${round}`));
  }
  invalid.length = Math.min(invalid.length, opts.invalid);
  if (!opts.force) {
    const foreign = await collectionsWithForeignDocuments(db);
    if (foreign.length > 0) throw new SeedRefusedError(foreign);
  }
  // claim_number is unique only once `indexes ensure` has run; check rather than rely on it.
  const first = data.claims[0]?.claim_number;
  if (
    first !== undefined &&
    (await db.collection(COLLECTIONS.claims).findOne({ claim_number: first })) !== null
  ) {
    throw new SeedConflictError(opts.prefix);
  }
  try {
    const r = await insertSynthetic(db, { ...data, claims: [...data.claims, ...invalid] });
    return {
      claims: data.claims.length,
      invalid: invalid.length,
      prefix: opts.prefix,
      patients: r.inserted.patients,
      clients: r.inserted.clients,
      npis: r.inserted.npis,
      kept: r.kept,
    };
  } catch (err) {
    const { isDuplicateKeyError } = await import("../../mongo/connect.js");
    if (isDuplicateKeyError(err)) throw new SeedConflictError(opts.prefix);
    throw err;
  }
}
