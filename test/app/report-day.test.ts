// A report day is the local calendar day: 24 hours in UTC, 23 or 25 when the clocks change,
// and zones off the hour keep their minutes.
import { describe, expect, it } from "vitest";
import { assertTimeZone, dayRange } from "../../src/app/services/report-day.js";

const iso = (r: { from: Date; until: Date }) => [r.from.toISOString(), r.until.toISOString()];

describe("dayRange", () => {
  it("is midnight to midnight UTC by default", () => {
    expect(iso(dayRange("2026-11-29", "UTC"))).toEqual([
      "2026-11-29T00:00:00.000Z",
      "2026-11-30T00:00:00.000Z",
    ]);
    expect(iso(dayRange("2028-02-29", "UTC"))).toEqual([
      "2028-02-29T00:00:00.000Z",
      "2028-03-01T00:00:00.000Z",
    ]);
    expect(iso(dayRange("2026-12-31", "UTC"))).toEqual([
      "2026-12-31T00:00:00.000Z",
      "2027-01-01T00:00:00.000Z",
    ]);
  });

  it("follows the zone, including days of 23 and 25 hours", () => {
    expect(iso(dayRange("2026-07-01", "America/Chicago"))).toEqual([
      "2026-07-01T05:00:00.000Z",
      "2026-07-02T05:00:00.000Z",
    ]);
    // US clocks go forward on 2026-03-08 and back on 2026-11-01.
    expect(iso(dayRange("2026-03-08", "America/Chicago"))).toEqual([
      "2026-03-08T06:00:00.000Z",
      "2026-03-09T05:00:00.000Z",
    ]);
    expect(iso(dayRange("2026-11-01", "America/Chicago"))).toEqual([
      "2026-11-01T05:00:00.000Z",
      "2026-11-02T06:00:00.000Z",
    ]);
    expect(iso(dayRange("2026-05-10", "Asia/Kolkata"))).toEqual([
      "2026-05-09T18:30:00.000Z",
      "2026-05-10T18:30:00.000Z",
    ]);
    expect(iso(dayRange("2026-05-10", "Pacific/Kiritimati"))).toEqual([
      "2026-05-09T10:00:00.000Z",
      "2026-05-10T10:00:00.000Z",
    ]);
  });

  it("knows IANA zones and refuses others", () => {
    expect(() => assertTimeZone("Europe/Paris")).not.toThrow();
    expect(() => assertTimeZone("Mars/Base")).toThrow(RangeError);
  });
});
