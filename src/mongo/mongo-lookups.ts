// Lookups over `patient`, `client` and `npi`: one `$in` per collection per batch. SSNs are
// projected away at the source: claimflow never needs them, so they never enter the process.
import type { Db } from "mongodb";
import type { Lookups } from "../ports/lookups.js";
import { COLLECTIONS } from "./collections.js";

const PATIENT_PROJECTION = { ssn: 0, "subscriber.ssn": 0 } as const;

export class MongoLookups implements Lookups {
  constructor(private readonly db: Db) {}

  async patients(
    patientIds: readonly string[],
    fallbackClaimNumbers: readonly string[],
  ): Promise<Record<string, unknown>[]> {
    if (patientIds.length === 0 && fallbackClaimNumbers.length === 0) return [];
    const or: Record<string, unknown>[] = [];
    if (patientIds.length > 0) or.push({ patient_id: { $in: [...patientIds] } });
    if (fallbackClaimNumbers.length > 0) or.push({ claim_number: { $in: [...fallbackClaimNumbers] } });
    return (await this.db
      .collection(COLLECTIONS.patients)
      .find(or.length === 1 ? (or[0] as Record<string, unknown>) : { $or: or }, {
        projection: PATIENT_PROJECTION,
      })
      .toArray()) as Record<string, unknown>[];
  }

  async clients(clientIds: readonly string[]): Promise<Record<string, unknown>[]> {
    if (clientIds.length === 0) return [];
    return (await this.db
      .collection(COLLECTIONS.clients)
      .find({ client_id: { $in: [...clientIds] } })
      .toArray()) as Record<string, unknown>[];
  }

  async npis(npis: readonly string[]): Promise<Record<string, unknown>[]> {
    if (npis.length === 0) return [];
    return (await this.db
      .collection(COLLECTIONS.npis)
      .find({ npi: { $in: [...npis] } })
      .toArray()) as Record<string, unknown>[];
  }
}
