// Every operator action and every emitted file, for the audit trail. Never PHI: claim numbers,
// batch ids and counts only.

export interface AuditEntry {
  readonly action: string;
  readonly actor: { readonly user: string; readonly host: string; readonly pid: number };
  readonly at: Date;
  readonly streamName?: string | undefined;
  readonly batchId?: string | undefined;
  readonly claimNumbers?: readonly string[] | undefined;
  readonly details?: Readonly<Record<string, string | number | boolean | null>> | undefined;
}

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** Several rows in one insert (the group commit's file_emitted rows). */
  appendMany(entries: readonly AuditEntry[]): Promise<void>;
  list(opts: { since: Date; action?: string | undefined; limit: number }): Promise<AuditEntry[]>;
}
