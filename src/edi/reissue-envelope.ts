// `batches reissue`: the same claims in a new interchange. A clearinghouse that rejected an
// envelope (a TA1 or 999 naming ISA13/GS06) takes the file again only under control numbers it
// has not seen, so the reissue keeps every segment of the transaction (the claims, byte for
// byte, as they were billed) and rewrites only what identifies the interchange: ISA09/ISA10 and
// ISA13, GS04/GS05 and GS06, BHT03 (our batch reference) and BHT04/BHT05, GE02 and IEA02.
// Re-rendering from claim_detail instead would bill whatever the documents say today, which is
// not "the same claims". Pure: the caller passes the time and the numbers.
import { MAX } from "./elements.js";
import { formatDate6, formatDate8, formatTime4, zeroPad } from "./format.js";
import { MAX_CONTROL_NUMBER } from "./render.js";
import { SEGMENT_END } from "./segment-writer.js";
import { x12Id } from "./x12-text.js";

export interface ReissueEnvelope {
  /** The new batch's id (BHT03, shortened as the renderer does). */
  readonly batchId: string;
  /** The new ISA13 / GS06 / GE02 / IEA02. */
  readonly controlNumber: number;
  /** ISA09/ISA10, GS04/GS05, BHT04/BHT05 (UTC). */
  readonly createdAt: Date;
}

/** The stored file is not one of ours in the shape the renderer writes; nothing is guessed. */
export class ReissueContentError extends Error {
  readonly code = "REISSUE_CONTENT";
  constructor(message: string) {
    super(message);
    this.name = "ReissueContentError";
  }
}

/** The ISA is fixed-width: ISA09 starts at character 70, ISA10 at 77, ISA13 at 90. */
const ISA09_AT = 70;
const ISA10_AT = 77;
const ISA13_AT = 90;
const ISA_LENGTH = 105;

/**
 * `content` (a file claimflow rendered: one interchange, one group, one transaction, `*` and
 * `~\n` delimiters) under a new envelope. `expectedControlNumber` is the old batch's ISA13 as the
 * ledger recorded it: a file whose envelope says otherwise is refused.
 */
export function reissueEnvelope(
  content: string,
  expectedControlNumber: number,
  next: ReissueEnvelope,
): string {
  if (
    !Number.isInteger(next.controlNumber) ||
    next.controlNumber < 1 ||
    next.controlNumber > MAX_CONTROL_NUMBER
  ) {
    throw new RangeError(`control number ${next.controlNumber} is not 1-${MAX_CONTROL_NUMBER}`);
  }
  if (!content.endsWith(SEGMENT_END))
    throw new ReissueContentError("the stored file does not end with ~ and a line feed");
  const segments = content.slice(0, -SEGMENT_END.length).split(SEGMENT_END);
  const count = (id: string) => segments.filter((s) => s.startsWith(`${id}*`)).length;
  for (const id of ["ISA", "GS", "ST", "BHT", "SE", "GE", "IEA"]) {
    if (count(id) !== 1)
      throw new ReissueContentError(`the stored file has ${count(id)} ${id} segment(s), not one`);
  }
  const old9 = zeroPad(expectedControlNumber, 9);
  const control9 = zeroPad(next.controlNumber, 9);
  const date8 = formatDate8(next.createdAt);
  const time4 = formatTime4(next.createdAt);
  const bht03 = x12Id(next.batchId, 1, MAX.bht03);
  if (bht03 === undefined) throw new RangeError("the new batch id gives no BHT03");

  return `${segments
    .map((seg) => {
      const e = seg.split("*");
      switch (e[0]) {
        case "ISA": {
          if (seg.length !== ISA_LENGTH || seg.slice(ISA13_AT, ISA13_AT + 9) !== old9) {
            throw new ReissueContentError(`the stored ISA does not carry ISA13 ${old9}`);
          }
          return (
            seg.slice(0, ISA09_AT) +
            formatDate6(next.createdAt) +
            "*" +
            time4 +
            seg.slice(ISA10_AT + 4, ISA13_AT) +
            control9 +
            seg.slice(ISA13_AT + 9)
          );
        }
        case "GS":
          if (e[6] !== String(expectedControlNumber)) {
            throw new ReissueContentError(`the stored GS does not carry GS06 ${expectedControlNumber}`);
          }
          e[4] = date8;
          e[5] = time4;
          e[6] = String(next.controlNumber);
          return e.join("*");
        case "BHT":
          e[3] = bht03;
          e[4] = date8;
          e[5] = time4;
          return e.join("*");
        case "GE":
          e[2] = String(next.controlNumber);
          return e.join("*");
        case "IEA":
          e[2] = control9;
          return e.join("*");
        default:
          return seg;
      }
    })
    .join(SEGMENT_END)}${SEGMENT_END}`;
}
