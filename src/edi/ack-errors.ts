// Why a file could not be read as an acknowledgement. The message names a segment position and
// a rule, never element data: a 277CA carries patient names and member ids.
import { ClaimflowError } from "../domain/errors.js";

export type AckParseRule =
  /** Not X12 at all, or NUL / control bytes that no X12 file holds. */
  | "not_x12"
  /** An X12 file, but no TA1, 999 or 277CA in it (an 837, a 835 …). */
  | "not_an_acknowledgement"
  /** An envelope that does not close or whose counts/control numbers disagree. */
  | "envelope"
  /** A required segment or element missing or malformed. */
  | "segment";

export class AckParseError extends ClaimflowError {
  readonly code = "ACK_UNREADABLE";
  constructor(
    readonly rule: AckParseRule,
    /** 1-based segment position (0: the file as a whole). */
    readonly segment: number,
    readonly detail: string,
  ) {
    super(segment > 0 ? `segment ${segment}: ${detail} (${rule})` : `${detail} (${rule})`);
  }
}
