// Content keys for operators (`claimflow keys status|rotate`). Rotation re-wraps the data key of
// every batch sealed under another key with EDI_CONTENT_KEY (the ciphertext itself does not
// change, so each row rewrite is small), and seals batches still stored as plain text (written
// before a key was configured). A previous key may be dropped from EDI_CONTENT_KEY_PREVIOUS once
// `keys status` shows no batch under it. Each update is conditional on the row still holding
// what was read, so a retention purge or a second rotation running meanwhile is never undone.
import type { AnyBulkWriteOperation, Db, Document } from "mongodb";
import { currentActor } from "../../audit/actor.js";
import type { ContentKey, ContentKeyring } from "../../crypto/content-key.js";
import { rewrapEnvelope, sealEnvelope, storedKeyId } from "../../crypto/envelope.js";
import { ClaimflowError } from "../../domain/errors.js";
import { COLLECTIONS } from "../../mongo/collections.js";
import type { AuditEntry, AuditLog } from "../../ports/audit-log.js";
import type { Clock } from "../../ports/clock.js";
import { ContentUnreadableError } from "../../ports/content-codec.js";

export interface KeysDeps {
  readonly db: Db;
  readonly keyring: ContentKeyring;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly actor?: () => AuditEntry["actor"];
}

/** `keys rotate` without EDI_CONTENT_KEY: there is nothing to rotate to. */
export class KeyRotationRefusedError extends ClaimflowError {
  readonly code = "KEY_ROTATION_REFUSED";
}

export interface UnreadableBatch {
  readonly batchId: string;
  readonly keyId: string | null;
  readonly reason: string;
}

export interface RotationReport {
  readonly currentKeyId: string;
  /** Key ids whose batches were re-wrapped. */
  readonly fromKeyIds: readonly string[];
  /** Data keys re-wrapped with the current key. */
  readonly rewrapped: number;
  /** Plain-text batches now sealed. */
  readonly sealed: number;
  /** Batches that could not be rotated (key not configured, failed authentication, sha256 mismatch). */
  readonly unreadable: number;
  /** The first of them, for the operator to look at. */
  readonly unreadableSample: readonly UnreadableBatch[];
}

const CHUNK = 200;
const SAMPLE = 20;

interface Row {
  _id: unknown;
  batch_id: string;
  content: unknown;
  sha256: string;
}

export async function rotateKeys(deps: KeysDeps): Promise<RotationReport> {
  const current = deps.keyring.current;
  if (!current) {
    throw new KeyRotationRefusedError(
      "EDI_CONTENT_KEY is not set: set the new key there (and the old ones in EDI_CONTENT_KEY_PREVIOUS), then rotate",
    );
  }
  const col = deps.db.collection<Row>(COLLECTIONS.batches);
  const inUse = (await col.distinct("content.kid")).filter((k): k is string => typeof k === "string");
  const others = inUse.filter((k) => k !== current.id).sort();
  const filter: Document = {
    $or: [{ "content.kid": { $in: others } }, { "content.kid": null, content: { $type: "string" } }],
  };
  const { sha256 } = await import("../../pipeline/batch-processor.js");
  const fromKeyIds = new Set<string>();
  let rewrapped = 0;
  let sealed = 0;
  let unreadable = 0;
  const sample: UnreadableBatch[] = [];
  const failed = (u: UnreadableBatch) => {
    unreadable++;
    if (sample.length < SAMPLE) sample.push(u);
  };
  let ops: AnyBulkWriteOperation<Row>[] = [];
  const flush = async () => {
    if (ops.length === 0) return;
    await col.bulkWrite(ops, { ordered: false });
    ops = [];
  };
  const cursor = col.find(filter, { projection: { batch_id: 1, content: 1, sha256: 1 }, batchSize: CHUNK });
  for await (const row of cursor) {
    const op = rotateOne(deps.keyring, current, row, sha256, failed);
    if (!op) continue;
    if (op.kind === "sealed") sealed++;
    else {
      rewrapped++;
      fromKeyIds.add(op.from);
    }
    ops.push(op.write);
    if (ops.length >= CHUNK) await flush();
  }
  await flush();
  const report: RotationReport = {
    currentKeyId: current.id,
    fromKeyIds: [...fromKeyIds].sort(),
    rewrapped,
    sealed,
    unreadable,
    unreadableSample: sample,
  };
  await deps.audit.append({
    action: "key_rotation",
    actor: (deps.actor ?? currentActor)(),
    at: deps.clock.now(),
    details: {
      key_id: current.id,
      from_key_ids: report.fromKeyIds.join(",") || null,
      rewrapped,
      sealed,
      unreadable,
    },
  });
  return report;
}

type RotateOp =
  | { kind: "sealed"; write: AnyBulkWriteOperation<Row> }
  | { kind: "rewrapped"; from: string; write: AnyBulkWriteOperation<Row> };

function rotateOne(
  keyring: ContentKeyring,
  current: ContentKey,
  row: Row,
  sha256: (text: string) => string,
  failed: (u: UnreadableBatch) => void,
): RotateOp | null {
  if (typeof row.content === "string") {
    // Plain text is sealed only when it is what the ledger recorded.
    if (sha256(row.content) !== row.sha256) {
      failed({ batchId: row.batch_id, keyId: null, reason: "stored content does not match its sha256" });
      return null;
    }
    return {
      kind: "sealed",
      write: {
        updateOne: {
          filter: { _id: row._id, "content.kid": null, content: { $type: "string" } } as Document,
          update: { $set: { content: sealEnvelope(current, row.batch_id, row.content) } },
        },
      },
    };
  }
  const from = storedKeyId(row.content);
  try {
    const next = rewrapEnvelope(keyring, current, row.batch_id, row.content);
    if (!next || from === null) return null;
    return {
      kind: "rewrapped",
      from,
      write: {
        updateOne: {
          filter: { _id: row._id, "content.kid": from } as Document,
          update: { $set: { content: next } },
        },
      },
    };
  } catch (err) {
    if (!(err instanceof ContentUnreadableError)) throw err;
    failed({ batchId: row.batch_id, keyId: err.keyId, reason: err.reason });
    return null;
  }
}
