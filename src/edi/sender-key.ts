// The interchange sender exactly as an 837 file carries it: ISA05 (qualifier) and ISA06
// (upper-cased, trimmed, right-padded to 15). A clearinghouse tells interchanges apart by this
// pair and ISA13, so control numbers are counted per this key, never per the raw `sender_id`
// (`acme pharm` and `ACME PHARM` render the same ISA06 and must share one counter).
import type { Client } from "../domain/client.js";
import { MAX } from "./elements.js";
import { padRight } from "./format.js";
import { x12Id } from "./x12-text.js";

/** `<ISA05>:<ISA06 padded to 15>`, or undefined when the client cannot be rendered. */
export function interchangeSenderKey(client: Pick<Client, "isa">): string | undefined {
  const id = x12Id(client.isa.sender_id, 1, MAX.isaId);
  if (id === undefined) return undefined;
  return `${client.isa.sender_qualifier}:${padRight(id.toUpperCase(), MAX.isaId)}`;
}

/** The sender as a file-name part: `ZZ_ACME_PHARM` (letters, digits, dot, dash, underscore). */
export function senderFileTag(senderKey: string): string {
  return senderKey
    .trimEnd()
    .replace(/[^A-Za-z0-9.-]+/g, "_")
    .replace(/_+$/, "");
}
