// `claimflow seed`: synthetic, realistic input data (src/seed) for demos and benchmarks, plus
// optionally some claims built to fail (missing patient, bad NPI, unbalanced total, unsafe key,
// replacement without payer claim number, unknown client) so dead-letter handling can be seen.
import type { Db } from "mongodb";
import { ClaimflowError } from "../../domain/errors.js";
import { COLLECTIONS } from "../../mongo/collections.js";
import { type SeedResult, writeSynthetic } from "../../seed/seed-database.js";
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
}

export interface SeedReport extends SeedResult {
  readonly invalid: number;
  readonly prefix: string;
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
  // claim_number is unique only once `indexes ensure` has run; check rather than rely on it.
  const first = data.claims[0]?.claim_number;
  if (
    first !== undefined &&
    (await db.collection(COLLECTIONS.claims).findOne({ claim_number: first })) !== null
  ) {
    throw new SeedConflictError(opts.prefix);
  }
  try {
    const result = await writeSynthetic(db, { ...data, claims: [...data.claims, ...invalid] });
    return { ...result, claims: data.claims.length, invalid: invalid.length, prefix: opts.prefix };
  } catch (err) {
    const { isDuplicateKeyError } = await import("../../mongo/connect.js");
    if (isDuplicateKeyError(err)) throw new SeedConflictError(opts.prefix);
    throw err;
  }
}
