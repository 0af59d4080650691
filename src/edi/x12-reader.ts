// Splits X12 text into segments with their 1-based positions. The delimiters are read from the
// ISA itself, never assumed: element separator = ISA character 4, component separator = ISA16,
// segment terminator = the character after ISA16 (position 106 in a well-formed ISA). Line breaks
// after a terminator (`~\n`, `~\r\n`) are tolerated and are not part of any segment.

/** One problem found in a file, at a 1-based segment position. */
export interface Violation {
  readonly segment: number;
  readonly id: string;
  readonly message: string;
}

export interface Segment {
  /** 1-based position in the file, counting every segment (ISA is 1). */
  readonly pos: number;
  readonly id: string;
  /** elements[0] is the segment id, elements[n] is element n (e.g. CLM01). */
  readonly elements: readonly string[];
}

export interface Delimiters {
  readonly element: string;
  readonly component: string;
  readonly segment: string;
  readonly repetition: string;
}

export interface ReadResult {
  readonly segments: Segment[];
  readonly delimiters?: Delimiters;
  readonly violations: Violation[];
}

const SEGMENT_ID = /^[A-Z][A-Z0-9]{1,2}$/;

/** Reads the delimiters from the ISA at `start`; undefined when the ISA is too short to hold them. */
function readIsaDelimiters(text: string, start: number): Delimiters | undefined {
  const element = text[start + 3];
  if (element === undefined) return undefined;
  let at = start + 3;
  // ISA has 16 elements: after the 16th separator come ISA16 and the terminator.
  for (let n = 1; n < 16; n++) {
    at = text.indexOf(element, at + 1);
    if (at < 0) return undefined;
  }
  const component = text[at + 1];
  const segment = text[at + 2];
  if (component === undefined || segment === undefined) return undefined;
  // ISA11 is the repetition separator in 00501: the element before ISA12.
  const isa11At = nthIndex(text, element, start, 11);
  const repetition = isa11At < 0 ? "" : (text[isa11At + 1] ?? "");
  return { element, component, segment, repetition };
}

function nthIndex(text: string, ch: string, from: number, n: number): number {
  let at = from + 2;
  for (let i = 0; i < n; i++) {
    at = text.indexOf(ch, at + 1);
    if (at < 0) return -1;
  }
  return at;
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
  const d = readIsaDelimiters(text, start);
  if (d === undefined) {
    violations.push({
      segment: 1,
      id: "ISA",
      message: "ISA is truncated: it must hold 16 elements and the segment terminator",
    });
    return { segments: [], violations };
  }
  if (d.segment === d.element || d.segment === d.component || d.element === d.component) {
    violations.push({
      segment: 1,
      id: "ISA",
      message: "element separator, component separator (ISA16) and segment terminator must differ",
    });
    return { segments: [], delimiters: d, violations };
  }

  const segments: Segment[] = [];
  let pos = 0;
  let at = start;
  const n = text.length;
  while (at < n) {
    // Skip the line break that may follow a terminator (unless the terminator is the line break).
    while (at < n && isLineBreak(text.charCodeAt(at)) && text[at] !== d.segment) at++;
    if (at >= n) break;
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
    segments.push({ pos, id, elements });
  }
  return { segments, delimiters: d, violations };
}
