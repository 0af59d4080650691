// Splits X12 text into segments with their 1-based positions. The delimiters are read from each
// ISA, never assumed, and hold until the next ISA (every interchange declares its own): element
// separator = ISA character 4, component separator = ISA16, segment terminator = the character
// after ISA16 (position 106 in a well-formed ISA). Line breaks after a terminator (`~\n`,
// `~\r\n`) are tolerated and are not part of any segment.

/** One problem found in a file, at a 1-based segment position. */
export interface Violation {
  readonly segment: number;
  readonly id: string;
  readonly message: string;
}

export interface Delimiters {
  readonly element: string;
  readonly component: string;
  readonly segment: string;
  readonly repetition: string;
}

export interface Segment {
  /** 1-based position in the file, counting every segment (ISA is 1). */
  readonly pos: number;
  readonly id: string;
  /** elements[0] is the segment id, elements[n] is element n (e.g. CLM01). */
  readonly elements: readonly string[];
  /** The delimiters of the interchange this segment belongs to (one shared object per ISA). */
  readonly delimiters: Delimiters;
}

export interface ReadResult {
  readonly segments: Segment[];
  /** The delimiters of the first interchange; undefined when the file does not start with a usable ISA. */
  readonly delimiters?: Delimiters;
  readonly violations: Violation[];
}

const SEGMENT_ID = /^[A-Z][A-Z0-9]{1,2}$/;

type IsaDelimiters = { ok: true; delimiters: Delimiters } | { ok: false; message: string };

/** Reads the delimiters from the ISA at `start`. */
function readIsaDelimiters(text: string, start: number): IsaDelimiters {
  const element = text[start + 3];
  if (element === undefined)
    return { ok: false, message: "ISA is truncated: it must hold 16 elements and the segment terminator" };
  let at = start + 3;
  let isa11 = -1;
  // ISA has 16 elements: after the 16th separator come ISA16 and the terminator.
  for (let n = 1; n < 16; n++) {
    at = text.indexOf(element, at + 1);
    if (at < 0)
      return { ok: false, message: "ISA is truncated: it must hold 16 elements and the segment terminator" };
    if (n === 10) isa11 = at + 1; // the separator before ISA11
  }
  // Counting separators would walk into the next segment of a short ISA; a line break on the way
  // shows it did (in a file without line breaks a short ISA is caught by its width instead).
  for (let i = start; i < at; i++) {
    if (isLineBreak(text.charCodeAt(i)))
      return { ok: false, message: "ISA has fewer than 16 elements before the end of its line" };
  }
  const component = text[at + 1];
  const segment = text[at + 2];
  if (component === undefined || segment === undefined)
    return { ok: false, message: "ISA is truncated: it must hold 16 elements and the segment terminator" };
  if (segment === element || segment === component || element === component)
    return {
      ok: false,
      message: "element separator, component separator (ISA16) and segment terminator must differ",
    };
  return { ok: true, delimiters: { element, component, segment, repetition: text[isa11] ?? "" } };
}

function isLineBreak(c: number): boolean {
  return c === 0x0a || c === 0x0d;
}

export function readSegments(text: string): ReadResult {
  const violations: Violation[] = [];
  let start = 0;
  // A byte order mark or blank lines before the ISA are not data.
  while (start < text.length && (text.charCodeAt(start) === 0xfeff || /\s/.test(text[start] as string)))
    start++;
  if (!text.startsWith("ISA", start)) {
    violations.push({
      segment: 1,
      id: text.slice(start, start + 3),
      message: "a file must begin with an ISA segment",
    });
    return { segments: [], violations };
  }
  const first = readIsaDelimiters(text, start);
  if (!first.ok) {
    violations.push({ segment: 1, id: "ISA", message: first.message });
    return { segments: [], violations };
  }

  const segments: Segment[] = [];
  let d = first.delimiters;
  let pos = 0;
  let at = start;
  const n = text.length;
  while (at < n) {
    // Skip the line break that may follow a terminator (unless the terminator is the line break).
    while (at < n && isLineBreak(text.charCodeAt(at)) && text[at] !== d.segment) at++;
    if (at >= n) break;
    if (at !== start && text.startsWith("ISA", at)) {
      // A later interchange may declare other delimiters; a broken one keeps the current ones.
      const next = readIsaDelimiters(text, at);
      if (next.ok) d = next.delimiters;
      else violations.push({ segment: pos + 1, id: "ISA", message: next.message });
    }
    let end = text.indexOf(d.segment, at);
    const terminated = end >= 0;
    if (!terminated) end = n;
    let raw = text.slice(at, end);
    at = end + 1;
    if (d.segment === "\n" && raw.endsWith("\r")) raw = raw.slice(0, -1);
    pos++;
    if (!terminated) {
      if (raw.trim().length === 0) break;
      violations.push({
        segment: pos,
        id: raw.slice(0, 3),
        message: "the last segment has no segment terminator",
      });
    }
    if (raw.length === 0) {
      violations.push({ segment: pos, id: "", message: "empty segment (two terminators in a row)" });
      continue;
    }
    const elements = raw.split(d.element);
    const id = elements[0] as string;
    if (!SEGMENT_ID.test(id)) {
      violations.push({
        segment: pos,
        id: id.slice(0, 3),
        message: "segment id must be 2 or 3 upper-case letters or digits",
      });
      // Whatever stands where the id should be may be data; the violation above is enough.
      segments.push({ pos, id: id.slice(0, 3), elements, delimiters: d });
      continue;
    }
    if (elements.length > 1 && raw.endsWith(d.element)) {
      violations.push({
        segment: pos,
        id,
        message: "trailing empty element (a separator right before the terminator)",
      });
    } else if (id !== "ISA") {
      for (let e = 1; e < elements.length; e++) {
        const el = elements[e] as string;
        if (el.length > 1 && el.endsWith(d.component)) {
          violations.push({ segment: pos, id, message: `element ${e} ends with an empty component` });
          break;
        }
      }
    }
    segments.push({ pos, id, elements, delimiters: d });
  }
  return { segments, delimiters: first.delimiters, violations };
}
