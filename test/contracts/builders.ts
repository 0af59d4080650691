// What the contract suites seed: a reserved batch of one sender, its ISA13 and GS06 derived from
// one number so that tests can name them.
import type { ClaimVersionRef } from "../../src/domain/joined-claim.js";
import type { BatchRecord } from "../../src/ports/ledger.js";

export const CONTRACT_SENDER = "ZZ:SENDER1        ";

export function contractBatch(
  id: string,
  claims: readonly ClaimVersionRef[],
  isa: number,
  opts: Partial<BatchRecord> = {},
): BatchRecord {
  return {
    batchId: id,
    state: "reserved",
    streamName: "s1",
    groupId: "GRP_001",
    clientId: "CLIENT001",
    senderId: CONTRACT_SENDER,
    isaControlNumber: isa,
    gsControlNumber: isa,
    path: `GRP_001/20250101/CLIENT001-ZZ_SENDER1-${String(isa).padStart(9, "0")}.837`,
    content: `content ${id}`,
    sha256: `sha-${id}`,
    claims,
    claimCount: claims.length,
    createdAt: new Date(1_700_000_000_000 + isa * 1000),
    ...opts,
  };
}
