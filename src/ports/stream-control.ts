// Operator controls of a stream (`stream_controls`, one document per stream name): today, pause.
// `claimflow pause` / `resume` write it; the active processor reads it every
// EDI_CONTROL_POLL_SECONDS and obeys, so a pause survives restarts and lease takeovers.

export interface PauseState {
  readonly paused: boolean;
  /** Who changed it last ("user@host") and why; absent before the first pause. */
  readonly by?: string | undefined;
  readonly reason?: string | undefined;
  readonly at?: Date | undefined;
}

export interface StreamControlStore {
  /** The stream's pause state; not paused when no document exists. */
  pauseState(streamName: string): Promise<PauseState>;
  /** Sets it; returns the state before the change. */
  setPaused(
    streamName: string,
    state: { paused: boolean; by: string; reason?: string | undefined; at: Date },
  ): Promise<PauseState>;
}
