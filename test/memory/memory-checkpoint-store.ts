// The checkpoint-store twin: one document per stream name, stored as a copy (callers can
// never change what was saved by mutating their object afterwards).
import type { Checkpoint, CheckpointStore } from "../../src/ports/checkpoint-store.js";

export class MemoryCheckpointStore implements CheckpointStore {
  private readonly rows = new Map<string, Checkpoint>();
  /** Every save, in order (tests check the watermark never ran ahead of unfinished work). */
  readonly saves: Checkpoint[] = [];

  async load(streamName: string): Promise<Checkpoint | null> {
    const row = this.rows.get(streamName);
    return row ? structuredClone(row) : null;
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    const copy = structuredClone(checkpoint);
    this.rows.set(checkpoint.streamName, copy);
    this.saves.push(structuredClone(copy));
  }

  async clear(streamName: string): Promise<void> {
    this.rows.delete(streamName);
  }

  /** Synchronous peek for assertions. */
  peek(streamName: string): Checkpoint | null {
    const row = this.rows.get(streamName);
    return row ? structuredClone(row) : null;
  }
}
