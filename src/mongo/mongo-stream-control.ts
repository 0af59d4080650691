// StreamControlStore over `stream_controls`: `_id` = stream name.
import type { Db } from "mongodb";
import type { PauseState, StreamControlStore } from "../ports/stream-control.js";
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

export class MongoStreamControl implements StreamControlStore {
  constructor(private readonly db: Db) {}

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
