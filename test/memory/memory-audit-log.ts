// The audit-log twin: an append-only list, read back newest first like `audit_log`'s
// `{at: -1}` index serves it.
import type { AuditEntry, AuditLog } from "../../src/ports/audit-log.js";

export class MemoryAuditLog implements AuditLog {
  private readonly entries: AuditEntry[] = [];

  async append(entry: AuditEntry): Promise<void> {
    this.entries.push(structuredClone(entry));
  }

  async appendMany(entries: readonly AuditEntry[]): Promise<void> {
    for (const e of entries) this.entries.push(structuredClone(e));
  }

  async list(opts: { since: Date; action?: string | undefined; limit: number }): Promise<AuditEntry[]> {
    return this.entries
      .filter((e) => e.at.getTime() >= opts.since.getTime() && (!opts.action || e.action === opts.action))
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, Math.max(0, opts.limit))
      .map((e) => structuredClone(e));
  }

  /** Every entry (copies), for assertions. */
  all(): AuditEntry[] {
    return this.entries.map((e) => structuredClone(e));
  }
}
