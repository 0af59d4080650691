import { describe, expect, it } from "vitest";
import { parseClaim, parseClient, parseNpiRecord, parsePatient } from "../src/domain/index.js";
import { generate } from "../src/seed/synthetic.js";

describe("synthetic data", () => {
  it("generates documents that every schema accepts", () => {
    const data = generate({ claims: 300, groups: 5, clients: 3, now: new Date("2026-11-01T12:00:00Z") });
    for (const c of data.claims) expect(parseClaim(c)).toMatchObject({ ok: true });
    for (const p of data.patients) expect(parsePatient(p)).toMatchObject({ ok: true });
    for (const c of data.clients) expect(parseClient(c)).toMatchObject({ ok: true });
    for (const n of data.npis) expect(parseNpiRecord(n)).toMatchObject({ ok: true });
  });
});
