// Ledger v2 reading of "emitted": a claim version is emitted exactly when the batch its history
// row names is `written`; history rows are never updated. These read it that way on MongoDB.
import type { Db } from "mongodb";
import { COLLECTIONS } from "../../src/mongo/collections.js";

/** Claim versions in written batches (each version is in at most one batch). */
export async function countEmitted(db: Db): Promise<number> {
  const [row] = await db
    .collection(COLLECTIONS.batches)
    .aggregate<{ n: number }>([
      { $match: { state: "written" } },
      { $group: { _id: null, n: { $sum: "$claim_count" } } },
    ])
    .toArray();
  return row?.n ?? 0;
}

/** Claim numbers with some version in a written batch. */
export async function emittedClaimNumbers(db: Db): Promise<string[]> {
  return db.collection(COLLECTIONS.batches).distinct("claims.claim_number", { state: "written" });
}
