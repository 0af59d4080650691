// ClaimStore over `claim_detail`: the paged catch-up scan (by _id, so pages are stable while
// upstream keeps writing) and the one write claimflow makes there, the optional `billed` mark.
import {
  type ClientSession,
  type Db,
  type Document,
  type MongoClient,
  MongoServerError,
  type ObjectId,
} from "mongodb";
import type { ClaimVersionRef } from "../domain/joined-claim.js";
import type { FeedFilter } from "../ports/change-feed.js";
import type { ClaimSlice, ClaimStore, ScanPage } from "../ports/claim-store.js";
import { readyClaimQuery } from "./change-feed-filter.js";
import { COLLECTIONS } from "./collections.js";

export class MongoClaimStore implements ClaimStore {
  constructor(
    private readonly db: Db,
    /** For the billed mark's transaction (see markBilled). */
    private readonly client: MongoClient,
  ) {}

  private get claims() {
    return this.db.collection(COLLECTIONS.claims);
  }

  async scanReady(
    filter: FeedFilter,
    after: unknown,
    pageSize: number,
    slice?: ClaimSlice,
  ): Promise<ScanPage> {
    const q = readyClaimQuery(filter, slice);
    if (after !== undefined) q._id = { $gt: after as ObjectId };
    // "local": a ready claim written just before T0 but not yet majority-committed must still be
    // seen here, since the change stream (which starts at T0) will not return it.
    const docs = (await this.claims
      .find(q, { sort: { _id: 1 }, limit: pageSize, readConcern: { level: "local" } })
      .toArray()) as Record<string, unknown>[];
    const last = docs[docs.length - 1];
    return { docs, next: docs.length === pageSize && last ? last._id : undefined };
  }

  async countReady(filter: FeedFilter, slice?: ClaimSlice): Promise<number> {
    return this.claims.countDocuments(readyClaimQuery(filter, slice));
  }

  async markBilled(refs: readonly ClaimVersionRef[]): Promise<number> {
    // A group can hold as many claims as EDI_MAX_IN_FLIGHT allows (up to a million): one
    // transaction per slice keeps each well inside MongoDB's 60 s transaction lifetime.
    let modified = 0;
    for (let i = 0; i < refs.length; i += BILLED_PER_TRANSACTION)
      modified += await this.markBilledSlice(refs.slice(i, i + BILLED_PER_TRANSACTION));
    return modified;
  }

  private async markBilledSlice(refs: readonly ClaimVersionRef[]): Promise<number> {
    if (refs.length === 0) return 0;
    // One updateMany per version (almost always just version 1 and a few bumps).
    const byVersion = new Map<number, string[]>();
    for (const r of refs) {
      const list = byVersion.get(r.version) ?? [];
      list.push(r.claim_number);
      byVersion.set(r.version, list);
    }
    const now = new Date();
    const run = async (session?: ClientSession) => {
      let modified = 0;
      for (const [version, numbers] of byVersion) {
        // Only a claim still ready at exactly this version: a bumped version must stay ready.
        const versionMatch: Document =
          version === 1 ? { $or: [{ version: 1 }, { version: { $exists: false } }] } : { version };
        const res = await this.updateByClaimNumber(
          { claim_number: { $in: numbers }, status: "ready", ...versionMatch },
          { $set: { status: "billed", billed_at: now } },
          session,
        );
        modified += res.modifiedCount;
      }
      return modified;
    };
    if (refs.length < TRANSACTION_FROM) return run();
    // One transaction for the whole mark. Outside one, an updateMany commits each document on its
    // own (its own storage commit and oplog slot), and that is what the mark cost: measured on
    // this mongod, 0.2 ms of its CPU per claim, as much as the rest of the batch path together.
    // In a transaction the documents commit together, in one oplog entry. All or nothing suits
    // the mark too. A write conflict with upstream (a claim written while we mark it) aborts
    // the transaction; withTransaction runs it again, and the claim then no longer matches.
    const session = this.client.startSession();
    try {
      for (;;) {
        const hinted = this.claimNumberHint;
        try {
          let modified = 0;
          await session.withTransaction(
            async (s) => {
              modified = await run(s);
            },
            { writeConcern: { w: "majority" }, readConcern: { level: "local" } },
          );
          return modified;
        } catch (err) {
          // The refused hint aborted the transaction (nothing of it landed); once more without.
          if (!hinted || this.claimNumberHint) throw err;
        }
      }
    } finally {
      await session.endSession();
    }
  }

  /**
   * The unique claim_number index, named as a hint. Without it the planner may pick
   * `{status: 1, created_at: -1}`: in its trial both plans find the batch's claims equally fast
   * when they are the oldest ready ones (a backlog is billed oldest first), the tie goes to the
   * status index, and every billed mark then walks every ready claim (measured: 10,000 keys and
   * documents examined to bill 200 claims; quadratic over a backlog). Input indexes are the
   * operator's (`claimflow indexes ensure`); where this one is missing the server refuses the
   * hint, and from then on the planner chooses alone.
   */
  private claimNumberHint = true;

  private async updateByClaimNumber(filter: Document, update: Document, session?: ClientSession) {
    if (this.claimNumberHint) {
      try {
        return await this.claims.updateMany(filter, update, {
          hint: { claim_number: 1 },
          ...(session ? { session } : {}),
        });
      } catch (err) {
        if (!isBadHint(err)) throw err;
        this.claimNumberHint = false;
        // In a transaction the refusal aborted it: markBilled runs the transaction again.
        if (session) throw err;
      }
    }
    return this.claims.updateMany(filter, update, session ? { session } : {});
  }

  async findByClaimNumber(claimNumber: string): Promise<Record<string, unknown> | null> {
    return (await this.claims.findOne({ claim_number: claimNumber })) as Record<string, unknown> | null;
  }

  async requeue(ref: ClaimVersionRef, at: Date): Promise<boolean> {
    const versionMatch: Document =
      ref.version === 1
        ? { $or: [{ version: 1 }, { version: { $exists: false } }] }
        : { version: ref.version };
    const res = await this.claims.updateOne(
      { claim_number: ref.claim_number, status: "ready", ...versionMatch },
      { $set: { updated_at: at } },
    );
    return res.matchedCount === 1;
  }
}

/** Below this many claims, a transaction's extra commit round trip costs more than it saves. */
export const TRANSACTION_FROM = 8;

/** Claims billed per transaction at most (a 5,000-claim mark takes well under a second here). */
export const BILLED_PER_TRANSACTION = 5_000;

/** BadValue (2) "hint provided does not correspond to an existing index". */
function isBadHint(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 2 && /hint/i.test(err.message);
}
