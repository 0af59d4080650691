// The stream-control twin: one pause state per stream name and the backfill requests, stored
// as copies.
import type { ClaimSlice } from "../../src/ports/claim-store.js";
import type {
  BackfillRequest,
  BackfillUpdate,
  PauseState,
  StreamControlStore,
} from "../../src/ports/stream-control.js";

export class MemoryStreamControl implements StreamControlStore {
  private readonly rows = new Map<string, PauseState>();
  private readonly backfills = new Map<string, BackfillRequest>();
  private nextId = 1;

  async pauseState(streamName: string): Promise<PauseState> {
    return structuredClone(this.rows.get(streamName) ?? { paused: false });
  }

  async setPaused(
    streamName: string,
    state: { paused: boolean; by: string; reason?: string | undefined; at: Date },
  ): Promise<PauseState> {
    const before = await this.pauseState(streamName);
    this.rows.set(streamName, {
      paused: state.paused,
      by: state.by,
      at: new Date(state.at),
      ...(state.reason === undefined ? {} : { reason: state.reason }),
    });
    return before;
  }

  async requestBackfill(req: {
    streamName: string;
    slice: ClaimSlice;
    requestedAt: Date;
    requestedBy: string;
  }): Promise<BackfillRequest> {
    const row: BackfillRequest = {
      id: `bf${String(this.nextId++).padStart(6, "0")}`,
      streamName: req.streamName,
      slice: structuredClone(req.slice),
      state: "pending",
      requestedAt: new Date(req.requestedAt),
      requestedBy: req.requestedBy,
      attempts: 0,
      total: 0,
      scanned: 0,
      alreadyEmitted: 0,
      queued: 0,
      billed: 0,
    };
    this.backfills.set(row.id, row);
    return structuredClone(row);
  }

  async nextBackfill(streamName: string): Promise<BackfillRequest | null> {
    const open = this.ordered(streamName).filter((r) => r.state === "pending" || r.state === "running");
    return open[0] ? structuredClone(open[0]) : null;
  }

  async updateBackfill(id: string, update: BackfillUpdate): Promise<boolean> {
    const row = this.backfills.get(id);
    if (!row || row.state === "done" || row.state === "failed") return false;
    const defined = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined));
    this.backfills.set(id, { ...row, ...structuredClone(defined) });
    return true;
  }

  async listBackfills(streamName: string, limit: number): Promise<BackfillRequest[]> {
    return this.ordered(streamName)
      .reverse()
      .slice(0, limit)
      .map((r) => structuredClone(r));
  }

  /** Oldest first, as MongoDB sorts by requested_at then _id. */
  private ordered(streamName: string): BackfillRequest[] {
    return [...this.backfills.values()]
      .filter((r) => r.streamName === streamName)
      .sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime() || (a.id < b.id ? -1 : 1));
  }
}
