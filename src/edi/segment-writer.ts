// Accumulates segments into the file text. Every segment ends with `~` and a line feed: the `~`
// is the terminator (ISA position 106), the `\n` only makes files readable in a terminal and a
// diff; X12 receivers skip it, and our validator accepts `~`, `~\n` and `~\r\n` alike.
// Segments are built as template strings by the callers; `add` removes trailing empty elements
// (X12 forbids them), which is safe because element data can never contain `*` (x12-text.ts).
const STAR = 0x2a;

export const SEGMENT_END = "~\n";

export class SegmentWriter {
  /** One string grown by concatenation: V8 keeps it as a rope and flattens once at the end. */
  private text = "";
  private segments = 0;

  add(segment: string): void {
    let end = segment.length;
    while (end > 0 && segment.charCodeAt(end - 1) === STAR) end--;
    this.text += end === segment.length ? segment : segment.slice(0, end);
    this.text += SEGMENT_END;
    this.segments++;
  }

  /** Segments written so far (SE01 is the difference between two readings). */
  get count(): number {
    return this.segments;
  }

  toString(): string {
    return this.text;
  }
}
