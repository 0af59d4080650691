// What claimflow reads from the clearinghouse's answers to its 837 files: TA1 (interchange),
// 999 (005010X231A1, transaction set) and 277CA (005010X214, claim). Identifiers and codes only:
// the 277CA also names patients and providers (NM1), which the parser never reads into these
// types, so nothing downstream can store or log them by mistake.

/** The ISA of an acknowledgement. The clearinghouse is its sender; we are its receiver. */
export interface AckEnvelope {
  /** 1-based segment position of the ISA in the file. */
  readonly pos: number;
  readonly senderQualifier: string;
  readonly senderId: string;
  /** ISA07/ISA08 of the acknowledgement = ISA05/ISA06 of the 837 it answers. */
  readonly receiverQualifier: string;
  readonly receiverId: string;
  /** ISA13 of the acknowledgement itself. */
  readonly controlNumber: string;
}

/** TA104: A accepted, E accepted with errors, R rejected. */
export type Ta1Code = "A" | "E" | "R";

export interface Ta1Ack {
  readonly kind: "TA1";
  readonly pos: number;
  readonly envelope: AckEnvelope;
  /** TA101: the ISA13 of our interchange. */
  readonly interchangeControlNumber: number;
  /** TA102 (YYMMDD) + TA103 (HHMM) of our interchange, as written. */
  readonly interchangeDate: string;
  readonly interchangeTime: string;
  readonly ackCode: Ta1Code;
  /** TA105: 000 no error, 001-031 the interchange note codes. */
  readonly noteCode: string;
}

export interface ElementError {
  /** IK401: position in the segment (a composite as "n:m"). */
  readonly position: string;
  /** IK402: data element reference number. */
  readonly reference: string;
  /** IK403: implementation data element syntax error code. */
  readonly code: string;
}

export interface SegmentError {
  readonly pos: number;
  /** IK301: the segment id in error (an id, not data). */
  readonly segmentId: string;
  /** IK302: its position in our transaction set. */
  readonly position: number;
  /** IK303: the loop. */
  readonly loop: string;
  /** IK304: implementation segment syntax error code. */
  readonly code: string;
  readonly elementErrors: readonly ElementError[];
}

/** IK501: A accepted, E accepted with errors, M/R/W/X rejected. */
export interface SetResponse {
  readonly pos: number;
  /** AK201: 837. */
  readonly setId: string;
  /** AK202: ST02 of our transaction set. */
  readonly controlNumber: string;
  /** AK203: implementation guide. */
  readonly version: string;
  readonly segmentErrors: readonly SegmentError[];
  /** IK501. */
  readonly ackCode: string;
  /** IK502-IK506. */
  readonly errorCodes: readonly string[];
}

export interface Ack999 {
  readonly kind: "999";
  readonly pos: number;
  readonly envelope: AckEnvelope;
  /** AK101: HC for 837. */
  readonly functionalId: string;
  /** AK102: GS06 of our group. */
  readonly groupControlNumber: number;
  readonly sets: readonly SetResponse[];
  /** AK901: A accepted, E accepted with errors, P partially accepted, R rejected. */
  readonly groupAckCode: string;
  readonly setsIncluded: number;
  readonly setsReceived: number;
  readonly setsAccepted: number;
  /** AK905-AK909. */
  readonly groupErrorCodes: readonly string[];
}

/** One STC composite: category (A1, A2, A3 …), status code, entity. */
export interface ClaimStatusCode {
  readonly category: string;
  readonly status: string;
  readonly entity: string;
}

export interface ClaimStatus {
  readonly codes: readonly ClaimStatusCode[];
  /** STC02 as CCYYMMDD, when given. */
  readonly date?: string | undefined;
  /** STC03: action code (WQ accepted, U rejected …). */
  readonly action?: string | undefined;
  /** STC04: total claim charge in cents, when given. */
  readonly amountCents?: number | undefined;
}

/** A claim is accepted into adjudication, rejected (fix and re-bill), or neither yet. */
export type ClaimOutcome = "accepted" | "rejected" | "pended";

/** One claim of a 277CA (loop 2200D, under a patient HL). */
export interface ClaimAck {
  readonly pos: number;
  /** TRN02: our CLM01. */
  readonly claimNumber: string;
  /** Claim-level STC segments (service-line STCs after an SVC are not included). */
  readonly statuses: readonly ClaimStatus[];
  readonly outcome: ClaimOutcome;
  /** REF*1K: the payer's claim control number (quoted by a later replacement or void). */
  readonly payerClaimControlNumber?: string | undefined;
  /** REF*D9: the clearinghouse trace number. */
  readonly clearinghouseTraceNumber?: string | undefined;
  /** DTP*472: service date(s), CCYYMMDD. */
  readonly serviceFrom?: string | undefined;
  readonly serviceTo?: string | undefined;
}

export interface Ack277 {
  readonly kind: "277CA";
  readonly pos: number;
  readonly envelope: AckEnvelope;
  /** BHT04 (CCYYMMDD): when the 277CA was created. */
  readonly createdDate?: string | undefined;
  readonly claims: readonly ClaimAck[];
}

export type Acknowledgement = Ta1Ack | Ack999 | Ack277;

export interface ParsedAcknowledgements {
  /** In file order. */
  readonly acks: readonly Acknowledgement[];
}
