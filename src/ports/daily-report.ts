// What `report daily` reads: the files written in a time range per (group, client), and the
// dead letters first seen in it per reason. Aggregated where the data lives; identifiers,
// counts and amounts only.
import type { DeadLetterReason } from "../domain/errors.js";

export interface DailyFilesRow {
  readonly groupId: string;
  readonly clientId: string;
  /** Files written in the range (reissues and since-superseded files included: each was sent). */
  readonly files: number;
  /** Of those, files that `batches reissue` wrote (their claims were billed before). */
  readonly reissued: number;
  /** Claim versions billed in the range: claims of the files that are not reissues. */
  readonly claims: number;
  /** Sum of recorded total charges of those files (cents). */
  readonly chargeCents: number;
  /** Non-reissue files whose batch has no recorded total (written before it was recorded). */
  readonly unrecordedBatchIds: readonly string[];
}

export interface DailyDeadLetterRow {
  readonly reason: DeadLetterReason;
  readonly groupId: string | null;
  readonly clientId: string | null;
  readonly count: number;
}

export interface DailyReportSource {
  /** Files with written_at in [from, until). */
  filesWritten(from: Date, until: Date): Promise<DailyFilesRow[]>;
  /** Dead letters with first_seen in [from, until) (still open: a retried claim leaves the set). */
  deadLettersFirstSeen(from: Date, until: Date): Promise<DailyDeadLetterRow[]>;
}
