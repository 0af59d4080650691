// Element length limits of 005010X222A1 that the renderer and `checkRenderable` both rely on.
// Free text is cut to its maximum; an identifier that exceeds its maximum makes a claim
// not renderable (a cut identifier would name a different claim, member or payer).

export const MAX = {
  /** NM103: last name or organization name. */
  nameLast: 60,
  /** NM104: first name. */
  nameFirst: 35,
  /** NM105: middle name. */
  nameMiddle: 25,
  /** NM109: member id, payer id, submitter/receiver id (min 2). */
  nm109: 80,
  /** N301/N302: address lines. */
  addressLine: 55,
  /** N401: city. */
  city: 30,
  /** PER02: contact name. */
  contactName: 60,
  /** PER04/PER06: communication number (phone, e-mail). */
  communication: 256,
  /** REF02: prior authorization, payer claim control number, prescription number. */
  ref02: 50,
  /** CLM01: patient control number (the claim number). */
  clm01: 38,
  /** BHT03: reference identification of this batch. */
  bht03: 30,
  /** GS02/GS03: application sender/receiver codes (min 2). */
  gsCode: 15,
  /** ISA06/ISA08: interchange sender/receiver ids (fixed width, padded). */
  isaId: 15,
} as const;

export const MIN = {
  nm109: 2,
  /** N401: the element dictionary's minimum for a city name. */
  city: 2,
  gsCode: 2,
} as const;
