// The stream-control twin: one pause state per stream name, stored as a copy.
import type { PauseState, StreamControlStore } from "../../src/ports/stream-control.js";

export class MemoryStreamControl implements StreamControlStore {
  private readonly rows = new Map<string, PauseState>();

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
}
