// DailyReportSource over edi_batches and dead_letters: one aggregation each, grouped on the
// server. Files are found through state_1_created_at_1 (a batch is created shortly before it is
// written; recovery may write it later, hence the day of slack before `from`), dead letters
// through last_seen_-1 (a row first seen in the range was last seen at or after its start).
import type { Db, Document } from "mongodb";
import type { DailyDeadLetterRow, DailyFilesRow, DailyReportSource } from "../ports/daily-report.js";
import { COLLECTIONS } from "./collections.js";

/** How long before the range a file's batch may have been created (recovery after a crash). */
const CREATED_SLACK_MS = 86_400_000;

export class MongoDailyReportSource implements DailyReportSource {
  constructor(private readonly db: Db) {}

  async filesWritten(from: Date, until: Date): Promise<DailyFilesRow[]> {
    const isReissue = { $ne: [{ $type: "$reissue_of" }, "missing"] };
    const noTotal = { $eq: [{ $type: "$total_charge_cents" }, "missing"] };
    const rows = await this.db
      .collection(COLLECTIONS.batches)
      .aggregate<Document>([
        {
          $match: {
            state: { $in: ["written", "superseded"] },
            created_at: { $gte: new Date(from.getTime() - CREATED_SLACK_MS), $lt: until },
            written_at: { $gte: from, $lt: until },
          },
        },
        {
          $group: {
            _id: { g: "$group_id", c: "$client_id" },
            files: { $sum: 1 },
            reissued: { $sum: { $cond: [isReissue, 1, 0] } },
            claims: { $sum: { $cond: [isReissue, 0, "$claim_count"] } },
            chargeCents: { $sum: { $cond: [isReissue, 0, { $ifNull: ["$total_charge_cents", 0] }] } },
            unrecorded: {
              $push: { $cond: [{ $and: [{ $not: [isReissue] }, noTotal] }, "$batch_id", "$$REMOVE"] },
            },
          },
        },
        { $sort: { "_id.g": 1, "_id.c": 1 } },
      ])
      .toArray();
    return rows.map((r) => ({
      groupId: r._id.g as string,
      clientId: r._id.c as string,
      files: r.files as number,
      reissued: r.reissued as number,
      claims: r.claims as number,
      chargeCents: Number(r.chargeCents),
      unrecordedBatchIds: r.unrecorded as string[],
    }));
  }

  async deadLettersFirstSeen(from: Date, until: Date): Promise<DailyDeadLetterRow[]> {
    const rows = await this.db
      .collection(COLLECTIONS.deadLetters)
      .aggregate<Document>([
        { $match: { last_seen: { $gte: from }, first_seen: { $gte: from, $lt: until } } },
        {
          $group: {
            _id: { r: "$reason", g: { $ifNull: ["$group_id", null] }, c: { $ifNull: ["$client_id", null] } },
            count: { $sum: 1 },
          },
        },
        { $sort: { "_id.r": 1, "_id.g": 1, "_id.c": 1 } },
      ])
      .toArray();
    return rows.map((r) => ({
      reason: r._id.r,
      groupId: r._id.g ?? null,
      clientId: r._id.c ?? null,
      count: r.count as number,
    }));
  }
}
