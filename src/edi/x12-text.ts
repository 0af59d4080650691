// What data may look like inside an 837 element. Everything the renderer writes from a document
// passes through `x12Text`, so a delimiter, a control character or a letter outside the X12
// character set can never reach a file:
//   - upper-cased (SPEC section 3);
//   - the delimiters `* : ~ ^` and control characters become a space (the element keeps its
//     meaning: "A*B" reads "A B"), runs of spaces collapse, leading/trailing spaces go (X12 AN
//     elements suppress them);
//   - letters outside the basic/extended set are transliterated (NFD, combining marks removed:
//     "Ñ" → "N"; a few ligatures and typographic marks by table), anything else is dropped.
// Hot path: a clean ASCII value (the common case) is scanned once and returned as is, no copy.

/** Char classes for ASCII: what a code unit becomes in element data. */
const KEEP = 1; // basic/extended character set, not a delimiter
const LOWER = 2; // a-z: kept upper-cased
const SPACE = 3; // space, control characters and our delimiters: read as a space

const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c >= 0x41 && c <= 0x5a) ASCII[c] = KEEP;
  else if (c >= 0x30 && c <= 0x39) ASCII[c] = KEEP;
  else if (c >= 0x61 && c <= 0x7a) ASCII[c] = LOWER;
  else ASCII[c] = SPACE;
}
// X12 basic special characters, then the extended set (% @ [ ] _ { } \ | < > # $ `), less the
// four characters this renderer uses as delimiters (* element, : component, ~ segment, ^ repetition).
for (const ch of "!\"&'()+,-./;?=%@[]_{}\\|<>#$`") ASCII[ch.charCodeAt(0)] = KEEP;

/** Non-ASCII characters that NFD does not reduce to ASCII but have an obvious spelling. */
const TRANSLITERATE: Readonly<Record<string, string>> = {
  ß: "SS",
  ẞ: "SS",
  Æ: "AE",
  æ: "AE",
  Œ: "OE",
  œ: "OE",
  Ø: "O",
  ø: "O",
  Ł: "L",
  ł: "L",
  Đ: "D",
  đ: "D",
  Ð: "D",
  ð: "D",
  Þ: "TH",
  þ: "TH",
  ı: "I",
  ĸ: "K",
  "\u2018": "'",
  "\u2019": "'",
  "\u201a": "'",
  "\u201c": '"',
  "\u201d": '"',
  "\u201e": '"',
  "\u2010": "-",
  "\u2011": "-",
  "\u2012": "-",
  "\u2013": "-",
  "\u2014": "-",
  "\u2212": "-",
  "\u2026": "...",
};

/** Combining marks left by NFD (accents); dropped so "É" keeps its base letter. */
function isCombining(c: number): boolean {
  return (
    (c >= 0x300 && c <= 0x36f) ||
    (c >= 0x1ab0 && c <= 0x1aff) ||
    (c >= 0x1dc0 && c <= 0x1dff) ||
    (c >= 0x20d0 && c <= 0x20ff) ||
    (c >= 0xfe20 && c <= 0xfe2f)
  );
}

/** Non-ASCII whitespace and separators (NBSP, line/paragraph separators…) read as a space. */
function isUnicodeSpace(c: number): boolean {
  return (
    (c >= 0x80 && c <= 0xa0) || // C1 controls and NBSP
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200b) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * True when `s` is already what `x12Text` would return with no length limit: only kept ASCII,
 * no leading, trailing or doubled spaces. One pass over the code units, no allocation.
 */
function isClean(s: string): boolean {
  const n = s.length;
  if (n === 0) return true;
  let prevSpace = true; // a leading space is not clean
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20) {
      if (prevSpace) return false;
      prevSpace = true;
      continue;
    }
    if (c >= 128 || ASCII[c] !== KEEP) return false;
    prevSpace = false;
  }
  return !prevSpace;
}

/** Input is normalised and mapped in slices of this many code units, so a 10,000-character name
 * costs what its first few slices cost: the output is cut at the element's maximum anyway. */
const SLICE = 256;

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/**
 * The slow path: maps characters and collapses spaces until `limit` characters are produced.
 * Slicing before NFD changes nothing here: NFD never merges characters across a slice boundary,
 * and the combining marks it may leave at the start of a slice are dropped either way.
 */
function rebuild(s: string, limit: number): string {
  let out = "";
  let pendingSpace = false;
  const emit = (text: string): void => {
    if (pendingSpace && out.length > 0) out += " ";
    pendingSpace = false;
    out += text;
  };
  for (let from = 0; from < s.length && out.length < limit; ) {
    let to = Math.min(s.length, from + SLICE);
    if (to < s.length && isHighSurrogate(s.charCodeAt(to - 1))) to++;
    let src = s.slice(from, to);
    from = to;
    for (let i = 0; i < src.length; i++) {
      if (src.charCodeAt(i) >= 128) {
        src = src.normalize("NFD");
        break;
      }
    }
    for (let i = 0; i < src.length && out.length < limit; i++) {
      const c = src.charCodeAt(i);
      if (c < 128) {
        const k = ASCII[c];
        if (k === KEEP) emit(src[i] as string);
        else if (k === LOWER) emit(String.fromCharCode(c - 32));
        else pendingSpace = true;
        continue;
      }
      if (isCombining(c)) continue;
      if (isUnicodeSpace(c)) {
        pendingSpace = true;
        continue;
      }
      // Surrogate pairs (emoji, rare scripts) are dropped whole: no half pair may survive, and a
      // lone high surrogate takes nothing but itself with it.
      if (isHighSurrogate(c)) {
        const low = src.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) i++;
        continue;
      }
      if (c >= 0xdc00 && c <= 0xdfff) continue;
      const ch = src[i] as string;
      const mapped = TRANSLITERATE[ch];
      if (mapped !== undefined) {
        emit(mapped);
        continue;
      }
      // toUpperCase can reach ASCII for a few letters (e.g. "ſ" → "S"); anything else is dropped.
      const up = ch.toUpperCase();
      if (up.length === 1) {
        const u = up.charCodeAt(0);
        if (u < 128 && ASCII[u] === KEEP) emit(up);
      }
    }
  }
  return out;
}

/**
 * Element data for `s`: upper-cased, delimiter-free, within the X12 character set, trimmed,
 * and cut to `max` characters (free text is cut to fit, never rejected).
 * Returns "" when nothing carriable is left.
 */
export function x12Text(s: string, max: number): string {
  // Only the first max + 1 characters can reach the element when they need no mapping.
  const head = s.length > max + 1 ? s.slice(0, max + 1) : s;
  let t = isClean(head) ? head : rebuild(s, max);
  if (t.length > max) t = t.slice(0, max);
  // A cut may end on the space between two words (rebuild never leaves one otherwise).
  if (t.charCodeAt(t.length - 1) === 0x20) t = t.slice(0, -1);
  return t;
}

/**
 * True when an identifier survives sanitising unchanged apart from upper-casing and trimming
 * (plain ASCII, no delimiter or control character, no doubled space); otherwise the file would
 * carry a different identifier than the document.
 */
export function isFaithfulIdentifier(s: string): boolean {
  const t = s.trim();
  if (t.length === 0) return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x20) {
      if (t.charCodeAt(i - 1) === 0x20) return false;
      continue;
    }
    if (c >= 128 || ASCII[c] === SPACE) return false;
  }
  return true;
}

/**
 * The element data of an identifier when it can be carried faithfully within [min, max]
 * characters, else undefined (the caller reports why with `identifierIssue`).
 */
export function x12Id(s: string, min: number, max: number): string | undefined {
  let t = s;
  if (!isClean(s)) {
    if (!isFaithfulIdentifier(s)) return undefined;
    t = s.trim().toUpperCase();
  }
  return t.length >= min && t.length <= max ? t : undefined;
}

/** Why `x12Id` refuses an identifier (a rule text, never the value), or undefined when it fits. */
export function identifierIssue(s: string, min: number, max: number): string | undefined {
  if (!isFaithfulIdentifier(s)) {
    return s.trim().length === 0
      ? "must not be empty"
      : "contains characters an X12 identifier cannot carry (delimiters, control or non-ASCII characters)";
  }
  const n = s.trim().length;
  if (n > max) return `is longer than ${max} characters, the maximum of its X12 element`;
  if (n < min) return `is shorter than ${min} characters, the minimum of its X12 element`;
  return undefined;
}

/** The rule text for required free text that sanitising would leave empty. */
export const EMPTY_TEXT = "has no characters the X12 character set can carry";
