// Claims that cannot be billed: one row per claim version with reason and issue paths
// (never values), first/last seen and attempts.
import type { DeadLetterReason, InputIssue } from "../domain/errors.js";

export interface DeadLetter {
  /** The claim number when it is a usable key, else `_id:<document id>`. */
  readonly claimNumber: string;
  readonly version: number;
  readonly reason: DeadLetterReason;
  readonly issues: readonly InputIssue[];
  readonly groupId?: string | undefined;
  readonly clientId?: string | undefined;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  readonly attempts: number;
}

export interface DeadLetterEntry {
  readonly claimNumber: string;
  readonly version: number;
  readonly reason: DeadLetterReason;
  readonly issues: readonly InputIssue[];
  readonly groupId?: string | undefined;
  readonly clientId?: string | undefined;
}

export interface DeadLetterStore {
  /** Upsert: first time inserts, again bumps attempts and lastSeen. */
  record(entries: readonly DeadLetterEntry[], at: Date): Promise<void>;
  list(opts: { limit: number; reason?: DeadLetterReason | undefined }): Promise<DeadLetter[]>;
  get(claimNumber: string): Promise<DeadLetter[]>;
  remove(claimNumber: string, version?: number): Promise<number>;
  purgeBefore(before: Date): Promise<number>;
  count(): Promise<number>;
}
