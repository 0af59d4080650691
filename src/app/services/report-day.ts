// One calendar day in a time zone as a UTC range [from, until): what "the day" means to a
// billing office is its local day, and a day is 23 or 25 hours long when the clocks change.
// Intl (ICU, shipped with Node) knows the zones; no dependency is needed for one conversion.

const DAY_MS = 86_400_000;

/** Throws RangeError for a zone Intl does not know. */
export function assertTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat("en-US", { timeZone });
}

/** The zone's offset from UTC at `instant`, in ms (positive east of Greenwich). */
function offsetAt(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The UTC instant of local midnight starting `y-m-d` in `timeZone`. */
function localMidnight(y: number, m: number, d: number, timeZone: string): Date {
  const wall = Date.UTC(y, m - 1, d);
  // Two steps: the offset at a first guess, then at the corrected instant (crossing a change).
  const guess = wall - offsetAt(wall, timeZone);
  return new Date(wall - offsetAt(guess, timeZone));
}

/** `date` is YYYY-MM-DD (already validated as a calendar date). */
export function dayRange(date: string, timeZone: string): { from: Date; until: Date } {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y, m - 1, d) + DAY_MS);
  return {
    from: localMidnight(y, m, d, timeZone),
    until: localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone),
  };
}
