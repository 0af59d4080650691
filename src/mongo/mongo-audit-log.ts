// AuditLog over `audit_log`: append-only rows, newest first when listed. Never PHI.
import type { Db, Document } from "mongodb";
import type { AuditEntry, AuditLog } from "../ports/audit-log.js";
import { COLLECTIONS } from "./collections.js";

interface AuditDoc {
  action: string;
  actor: { user: string; host: string; pid: number };
  at: Date;
  stream_name?: string;
  batch_id?: string;
  claim_numbers?: string[];
  details?: Record<string, string | number | boolean | null>;
}

export class MongoAuditLog implements AuditLog {
  constructor(private readonly db: Db) {}

  private get col() {
    return this.db.collection<AuditDoc>(COLLECTIONS.audit);
  }

  async append(e: AuditEntry): Promise<void> {
    await this.col.insertOne(toDoc(e));
  }

  async appendMany(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.col.insertMany(entries.map(toDoc), { ordered: false });
  }

  async list(opts: { since: Date; action?: string | undefined; limit: number }): Promise<AuditEntry[]> {
    const q: Document = { at: { $gte: opts.since } };
    if (opts.action) q.action = opts.action;
    const docs = await this.col.find(q, { sort: { at: -1 }, limit: opts.limit }).toArray();
    return docs.map((d) => ({
      action: d.action,
      actor: d.actor,
      at: d.at,
      streamName: d.stream_name,
      batchId: d.batch_id,
      claimNumbers: d.claim_numbers,
      details: d.details,
    }));
  }
}

function toDoc(e: AuditEntry): AuditDoc {
  const doc: AuditDoc = { action: e.action, actor: { ...e.actor }, at: e.at };
  if (e.streamName !== undefined) doc.stream_name = e.streamName;
  if (e.batchId !== undefined) doc.batch_id = e.batchId;
  if (e.claimNumbers !== undefined) doc.claim_numbers = [...e.claimNumbers];
  if (e.details !== undefined) doc.details = { ...e.details };
  return doc;
}
