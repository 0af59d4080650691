// The dead-letter twin: one row per claim version (the unique {claim_number, version} index),
// upserted so a claim read again bumps attempts and lastSeen instead of adding a row.
import type { DeadLetterReason } from "../../src/domain/errors.js";
import type { DeadLetter, DeadLetterEntry, DeadLetterStore } from "../../src/ports/dead-letters.js";

const keyOf = (claimNumber: string, version: number) => `${claimNumber}\u0000${version}`;

export class MemoryDeadLetters implements DeadLetterStore {
  private readonly rows = new Map<string, DeadLetter>();

  async record(entries: readonly DeadLetterEntry[], at: Date): Promise<void> {
    for (const e of entries) {
      const key = keyOf(e.claimNumber, e.version);
      const prev = this.rows.get(key);
      this.rows.set(key, {
        claimNumber: e.claimNumber,
        version: e.version,
        reason: e.reason,
        issues: structuredClone([...e.issues]),
        // As MongoDeadLetters' `$set` of defined fields: a row seen again without its group or
        // client keeps what it knew.
        groupId: e.groupId ?? prev?.groupId,
        clientId: e.clientId ?? prev?.clientId,
        firstSeen: prev ? prev.firstSeen : new Date(at),
        lastSeen: new Date(at),
        attempts: (prev?.attempts ?? 0) + 1,
      });
    }
  }

  /** Most recently seen first. */
  async list(opts: { limit: number; reason?: DeadLetterReason | undefined }): Promise<DeadLetter[]> {
    return [...this.rows.values()]
      .filter((r) => opts.reason === undefined || r.reason === opts.reason)
      .sort(
        (a, b) =>
          b.lastSeen.getTime() - a.lastSeen.getTime() ||
          (a.claimNumber < b.claimNumber ? -1 : a.claimNumber > b.claimNumber ? 1 : a.version - b.version),
      )
      .slice(0, Math.max(0, opts.limit))
      .map((r) => structuredClone(r));
  }

  async get(claimNumber: string): Promise<DeadLetter[]> {
    return [...this.rows.values()]
      .filter((r) => r.claimNumber === claimNumber)
      .sort((a, b) => a.version - b.version)
      .map((r) => structuredClone(r));
  }

  async remove(claimNumber: string, version?: number): Promise<number> {
    let n = 0;
    for (const [key, r] of this.rows) {
      if (r.claimNumber === claimNumber && (version === undefined || r.version === version)) {
        this.rows.delete(key);
        n++;
      }
    }
    return n;
  }

  async purgeBefore(before: Date): Promise<number> {
    let n = 0;
    for (const [key, r] of this.rows) {
      if (r.lastSeen.getTime() < before.getTime()) {
        this.rows.delete(key);
        n++;
      }
    }
    return n;
  }

  async count(): Promise<number> {
    return this.rows.size;
  }

  /** Every row (copies), for assertions. */
  all(): DeadLetter[] {
    return [...this.rows.values()].map((r) => structuredClone(r));
  }
}
