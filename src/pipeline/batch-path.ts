// File naming of SPEC section 3: `<group_id>/<YYYYMMDD>/<client_id>-<ISA13>.837`. Both ids are
// restricted by the claim schema to path-safe characters.

export function isa13(controlNumber: number): string {
  return String(controlNumber).padStart(9, "0");
}

export function batchPath(groupId: string, clientId: string, controlNumber: number, createdAt: Date): string {
  const d = createdAt.toISOString();
  const ymd = `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}`;
  return `${groupId}/${ymd}/${clientId}-${isa13(controlNumber)}.837`;
}
