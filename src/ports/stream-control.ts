// Operator controls of a stream: pause (`stream_controls`, one document per stream name) and
// backfill requests (`stream_backfills`). `claimflow pause` / `resume` / `backfill` write them;
// the active processor reads them every EDI_CONTROL_POLL_SECONDS and obeys, so they survive
// restarts and lease takeovers.
import type { ClaimSlice } from "./claim-store.js";

export interface PauseState {
  readonly paused: boolean;
  /** Who changed it last ("user@host") and why; absent before the first pause. */
  readonly by?: string | undefined;
  readonly reason?: string | undefined;
  readonly at?: Date | undefined;
}

export interface StreamControlStore extends BackfillStore {
  /** The stream's pause state; not paused when no document exists. */
  pauseState(streamName: string): Promise<PauseState>;
  /** Sets it; returns the state before the change. */
  setPaused(
    streamName: string,
    state: { paused: boolean; by: string; reason?: string | undefined; at: Date },
  ): Promise<PauseState>;
}

/**
 * `claimflow backfill` requests (`stream_backfills`): the operator inserts one, the stream's
 * active processor carries it out once. A request lives in the database, not in a process, so a
 * restart or a standby taking over carries it on: whoever holds the lease next runs an
 * unfinished one again (the ledger skips what it already emitted).
 */
export type BackfillState = "pending" | "running" | "done" | "failed";

export interface BackfillCounts {
  /** Ready claims in the slice when the (last) run started. */
  readonly total: number;
  /** Claims of the slice read so far. */
  readonly scanned: number;
  /** Read claims that were already emitted (skipped). */
  readonly alreadyEmitted: number;
  /** Handed to the batch path. */
  readonly queued: number;
  /** Of the queued ones, emitted in a written batch by this run (counted when done). */
  readonly billed: number;
}

export interface BackfillRequest extends BackfillCounts {
  readonly id: string;
  readonly streamName: string;
  readonly slice: ClaimSlice;
  readonly state: BackfillState;
  readonly requestedAt: Date;
  /** "user@host" of the operator. */
  readonly requestedBy: string;
  /** Runs started (more than one: a restart or takeover interrupted it). */
  readonly attempts: number;
  readonly startedAt?: Date | undefined;
  readonly finishedAt?: Date | undefined;
  /** The lease holder that ran it last. */
  readonly runBy?: string | undefined;
  /** The last run's error, when one failed. */
  readonly error?: string | undefined;
}

export interface BackfillUpdate extends Partial<BackfillCounts> {
  readonly state?: BackfillState;
  readonly attempts?: number;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
  readonly runBy?: string;
  readonly error?: string;
}

export interface BackfillStore {
  /** Records a pending request; returns it. */
  requestBackfill(req: {
    streamName: string;
    slice: ClaimSlice;
    requestedAt: Date;
    requestedBy: string;
  }): Promise<BackfillRequest>;
  /** The stream's oldest request not finished (pending or running), or null. */
  nextBackfill(streamName: string): Promise<BackfillRequest | null>;
  /** Updates a request; a finished one (done or failed) never changes again: false then. */
  updateBackfill(id: string, update: BackfillUpdate): Promise<boolean>;
  /** The stream's latest requests, newest first. */
  listBackfills(streamName: string, limit: number): Promise<BackfillRequest[]>;
}
