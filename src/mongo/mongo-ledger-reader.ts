// LedgerReader over processing_history and edi_batches. Every query projects the content away
// (it can be megabytes and is sealed) and rides an existing index: history by claim_number
// (the unique claim_number+version index), batches by batch_id, by isa_control_number, and
// lists by state+created_at when a state is given.
import type { Db, Document } from "mongodb";
import type { BatchListFilter, BatchSummary, HistoryRow, LedgerReader } from "../ports/ledger-reader.js";
import { COLLECTIONS } from "./collections.js";
import type { BatchDoc, HistoryDoc } from "./mongo-ledger.js";

const NO_CONTENT = { projection: { content: 0 } } as const;

export class MongoLedgerReader implements LedgerReader {
  constructor(private readonly db: Db) {}

  private get batches() {
    return this.db.collection<BatchDoc>(COLLECTIONS.batches);
  }

  async historyOf(claimNumber: string): Promise<HistoryRow[]> {
    const docs = await this.db
      .collection<HistoryDoc>(COLLECTIONS.history)
      .find({ claim_number: claimNumber }, { sort: { version: 1 } })
      .toArray();
    return docs.map((d) => ({
      claimNumber: d.claim_number,
      version: d.version,
      batchId: d.batch_id,
      streamName: d.stream_name,
      groupId: d.group_id,
      clientId: d.client_id,
      reservedAt: d.reserved_at,
    }));
  }

  async batchesByIds(batchIds: readonly string[]): Promise<BatchSummary[]> {
    if (batchIds.length === 0) return [];
    const docs = await this.batches.find({ batch_id: { $in: [...new Set(batchIds)] } }, NO_CONTENT).toArray();
    return docs.map(summaryOf);
  }

  async batchesByControlNumber(isaControlNumber: number): Promise<BatchSummary[]> {
    const docs = await this.batches
      .find({ isa_control_number: isaControlNumber }, { ...NO_CONTENT, sort: { created_at: -1 } })
      .toArray();
    return docs.map(summaryOf);
  }

  async listBatches(filter: BatchListFilter): Promise<BatchSummary[]> {
    const q: Document = {};
    if (filter.state !== undefined) q.state = filter.state;
    if (filter.since !== undefined || filter.until !== undefined) {
      const range: Document = {};
      if (filter.since !== undefined) range.$gte = filter.since;
      if (filter.until !== undefined) range.$lt = filter.until;
      q.created_at = range;
    }
    if (filter.groupId !== undefined) q.group_id = filter.groupId;
    if (filter.clientId !== undefined) q.client_id = filter.clientId;
    if (filter.senderId !== undefined) q.sender_id = filter.senderId;
    const docs = await this.batches
      .find(q, { ...NO_CONTENT, sort: { created_at: -1 }, limit: filter.limit })
      .toArray();
    return docs.map(summaryOf);
  }
}

function summaryOf(d: BatchDoc): BatchSummary {
  return {
    batchId: d.batch_id,
    state: d.state,
    streamName: d.stream_name,
    groupId: d.group_id,
    clientId: d.client_id,
    senderId: d.sender_id,
    isaControlNumber: d.isa_control_number,
    gsControlNumber: d.gs_control_number,
    path: d.path,
    sha256: d.sha256,
    claimCount: d.claim_count,
    claims: d.claims.map((c) => ({ claim_number: c.claim_number, version: c.version })),
    createdAt: d.created_at,
    writtenAt: d.written_at,
    contentPurged: d.content_purged_at !== undefined,
    reissueOf: d.reissue_of,
    supersededBy: d.superseded_by,
    supersededAt: d.superseded_at,
  };
}
