// The unit the renderer consumes: a claim joined with everything its 837 loops need.
import type { Claim } from "./claim.js";
import type { Client } from "./client.js";
import type { NpiRecord } from "./npi-record.js";
import type { Patient } from "./patient.js";

export interface JoinedClaim {
  readonly claim: Claim;
  readonly patient: Patient;
  readonly client: Client;
  /** Present when claim.rendering_npi is set. */
  readonly rendering?: NpiRecord;
  /** Present when claim.referring_npi is set. */
  readonly referring?: NpiRecord;
}

/** Identity of one emitted claim version (the idempotency key). */
export interface ClaimVersionRef {
  readonly claim_number: string;
  readonly version: number;
}
