// StreamControlStore over `stream_controls` (`_id` = stream name: the pause state) and
// `stream_backfills` (one document per backfill request; identifiers, dates and counts only).
import { randomBytes } from "node:crypto";
import type { Db, Document } from "mongodb";
import type { ClaimSlice } from "../ports/claim-store.js";
import type {
  BackfillRequest,
  BackfillState,
  BackfillUpdate,
  PauseState,
  StreamControlStore,
} from "../ports/stream-control.js";
import { COLLECTIONS } from "./collections.js";

interface ControlDoc {
  _id: string;
  paused: boolean;
  paused_by?: string;
  reason?: string;
  changed_at?: Date;
}

function toState(d: ControlDoc | null): PauseState {
  if (!d) return { paused: false };
  return { paused: d.paused === true, by: d.paused_by, reason: d.reason, at: d.changed_at };
}

interface BackfillDoc {
  _id: string;
  stream: string;
  group: string;
  client?: string;
  since: Date;
  until?: Date;
  state: BackfillState;
  requested_at: Date;
  requested_by: string;
  attempts: number;
  total: number;
  scanned: number;
  already_emitted: number;
  queued: number;
  billed: number;
  started_at?: Date;
  finished_at?: Date;
  run_by?: string;
  error?: string;
}

const FINISHED: BackfillState[] = ["done", "failed"];

export class MongoStreamControl implements StreamControlStore {
  constructor(private readonly db: Db) {}

  private get backfills() {
    return this.db.collection<BackfillDoc>(COLLECTIONS.backfills);
  }

  async requestBackfill(req: {
    streamName: string;
    slice: ClaimSlice;
    requestedAt: Date;
    requestedBy: string;
  }): Promise<BackfillRequest> {
    const doc: BackfillDoc = {
      _id: `bf${req.requestedAt.getTime().toString(36)}${randomBytes(3).toString("hex")}`,
      stream: req.streamName,
      group: req.slice.group,
      since: req.slice.since,
      state: "pending",
      requested_at: req.requestedAt,
      requested_by: req.requestedBy,
      attempts: 0,
      total: 0,
      scanned: 0,
      already_emitted: 0,
      queued: 0,
      billed: 0,
    };
    if (req.slice.client !== undefined) doc.client = req.slice.client;
    if (req.slice.until !== undefined) doc.until = req.slice.until;
    await this.backfills.insertOne(doc);
    return toRequest(doc);
  }

  async nextBackfill(streamName: string): Promise<BackfillRequest | null> {
    const d = await this.backfills.findOne(
      { stream: streamName, state: { $in: ["pending", "running"] } },
      { sort: { requested_at: 1, _id: 1 } },
    );
    return d ? toRequest(d) : null;
  }

  async updateBackfill(id: string, u: BackfillUpdate): Promise<boolean> {
    const set: Document = {};
    if (u.state !== undefined) set.state = u.state;
    if (u.attempts !== undefined) set.attempts = u.attempts;
    if (u.total !== undefined) set.total = u.total;
    if (u.scanned !== undefined) set.scanned = u.scanned;
    if (u.alreadyEmitted !== undefined) set.already_emitted = u.alreadyEmitted;
    if (u.queued !== undefined) set.queued = u.queued;
    if (u.billed !== undefined) set.billed = u.billed;
    if (u.startedAt !== undefined) set.started_at = u.startedAt;
    if (u.finishedAt !== undefined) set.finished_at = u.finishedAt;
    if (u.runBy !== undefined) set.run_by = u.runBy;
    if (u.error !== undefined) set.error = u.error;
    const res = await this.backfills.updateOne({ _id: id, state: { $nin: FINISHED } }, { $set: set });
    return res.matchedCount === 1;
  }

  async listBackfills(streamName: string, limit: number): Promise<BackfillRequest[]> {
    const docs = await this.backfills
      .find({ stream: streamName }, { sort: { requested_at: -1, _id: -1 }, limit })
      .toArray();
    return docs.map(toRequest);
  }

  private get col() {
    return this.db.collection<ControlDoc>(COLLECTIONS.controls);
  }

  async pauseState(streamName: string): Promise<PauseState> {
    return toState(await this.col.findOne({ _id: streamName }));
  }

  async setPaused(
    streamName: string,
    state: { paused: boolean; by: string; reason?: string | undefined; at: Date },
  ): Promise<PauseState> {
    const set: Partial<ControlDoc> = { paused: state.paused, paused_by: state.by, changed_at: state.at };
    if (state.reason !== undefined) set.reason = state.reason;
    const before = await this.col.findOneAndUpdate(
      { _id: streamName },
      state.reason === undefined ? { $set: set, $unset: { reason: "" } } : { $set: set },
      { upsert: true, returnDocument: "before" },
    );
    return toState(before);
  }
}

function toRequest(d: BackfillDoc): BackfillRequest {
  return {
    id: d._id,
    streamName: d.stream,
    slice: { group: d.group, client: d.client, since: d.since, until: d.until },
    state: d.state,
    requestedAt: d.requested_at,
    requestedBy: d.requested_by,
    attempts: d.attempts ?? 0,
    total: d.total ?? 0,
    scanned: d.scanned ?? 0,
    alreadyEmitted: d.already_emitted ?? 0,
    queued: d.queued ?? 0,
    billed: d.billed ?? 0,
    startedAt: d.started_at,
    finishedAt: d.finished_at,
    runBy: d.run_by,
    error: d.error,
  };
}
