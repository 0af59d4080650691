// Batched enrichment: one `$in` query per collection per batch, raw documents out (the
// pipeline validates them, so a bad reference document dead-letters only its claims).

export interface Lookups {
  /** Patients by patient_id; `fallbackClaimNumbers` finds patients keyed by claim_number instead. */
  patients(
    patientIds: readonly string[],
    fallbackClaimNumbers: readonly string[],
  ): Promise<Record<string, unknown>[]>;
  clients(clientIds: readonly string[]): Promise<Record<string, unknown>[]>;
  npis(npis: readonly string[]): Promise<Record<string, unknown>[]>;
}
