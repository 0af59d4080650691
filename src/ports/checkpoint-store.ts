// Where the stream resumes from: one document per stream name in `stream_checkpoints`.
import type { ClusterTime, ResumeToken } from "./change-feed.js";

export interface Checkpoint {
  readonly streamName: string;
  /** Resume after this token; absent after a reset to a time (then start at `clusterTime`). */
  readonly token?: ResumeToken | undefined;
  /** Cluster time of the token's event, or the start time set by a reset. */
  readonly clusterTime?: ClusterTime | undefined;
  readonly updatedAt: Date;
  /** Who wrote it last: "processor" or "operator:<user>" (token reset). */
  readonly source: string;
}

export interface CheckpointStore {
  load(streamName: string): Promise<Checkpoint | null>;
  save(checkpoint: Checkpoint): Promise<void>;
  clear(streamName: string): Promise<void>;
}
