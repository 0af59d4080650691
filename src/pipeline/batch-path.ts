// File naming of SPEC section 3: `<group_id>/<YYYYMMDD>/<client_id>-<sender>-<ISA13>.837`.
// Both ids are restricted by the claim schema to path-safe characters; the sender part
// (ISA05 + ISA06, see senderFileTag) keeps two senders' ISA13 sequences of one client apart
// (a client whose sender id changes starts a new counter).
import { senderFileTag } from "../edi/sender-key.js";

export function isa13(controlNumber: number): string {
  return String(controlNumber).padStart(9, "0");
}

export function batchPath(
  groupId: string,
  clientId: string,
  senderKey: string,
  controlNumber: number,
  createdAt: Date,
): string {
  const d = createdAt.toISOString();
  const ymd = `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}`;
  return `${groupId}/${ymd}/${clientId}-${senderFileTag(senderKey)}-${isa13(controlNumber)}.837`;
}
