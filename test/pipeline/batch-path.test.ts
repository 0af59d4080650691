// File naming (SPEC section 3): `<group_id>/<YYYYMMDD>/<client_id>-<sender>-<ISA13>.837`, the
// date being the batch's creation day in UTC. Operators and pickup jobs find files by it.
import { describe, expect, it } from "vitest";
import { batchPath, isa13 } from "../../src/pipeline/batch-path.js";

describe("batchPath", () => {
  it("names the group, the UTC creation day, the client, the sender as rendered and ISA13", () => {
    expect(
      batchPath("GRP_001", "CLIENT001", "ZZ:ACME PHARM     ", 27, new Date("2026-11-29T12:00:00Z")),
    ).toBe("GRP_001/20261129/CLIENT001-ZZ_ACME_PHARM-000000027.837");
  });

  it("takes the day in UTC, whatever the hour (the last and first second of a day)", () => {
    const at = (iso: string) => batchPath("G", "C", "ZZ:S", 1, new Date(iso));
    expect(at("2026-12-31T23:59:59.999Z")).toBe("G/20261231/C-ZZ_S-000000001.837");
    expect(at("2027-01-01T00:00:00.000Z")).toBe("G/20270101/C-ZZ_S-000000001.837");
    expect(at("2026-02-09T05:06:07Z")).toBe("G/20260209/C-ZZ_S-000000001.837");
  });

  it("pads ISA13 to nine digits", () => {
    expect(isa13(1)).toBe("000000001");
    expect(isa13(999_999_999)).toBe("999999999");
  });
});
