// Issue 15.10: a renderer exception caused by one claim dead-letters that claim, not its whole
// window: the other claims of the window are filed.
import { describe, expect, it } from "vitest";
import { type RenderBatch, render837 } from "../../src/edi/render.js";
import { checkOutput, makeWorld, moreClaims, readyVersions, startEngine, waitFor } from "./harness.js";

const POISON = "PSN-00000002";

// A renderer bug that only this claim triggers (it passes every validation).
function buggyRender(batch: RenderBatch): string {
  if (batch.claims.some((j) => j.claim.claim_number === POISON)) throw new TypeError("renderer bug");
  return render837(batch);
}

describe("Renderer failure", () => {
  it("dead-letters only the claim the renderer fails on; the rest of its window is filed", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const claims = moreClaims(w, 6, "PSN").map(
      (c): Record<string, unknown> => ({ ...c, group_id: "GRP_001", client_id: "CLIENT001" }),
    );
    const { engine } = await startEngine(w.ports, { windowMs: 100 }, { render: buggyRender });
    w.db.claims.insertMany(claims);
    await waitFor(
      "the window handled",
      async () => (await w.ports.deadLetters.count()) === 1 && w.db.files.size > 0,
    );
    await engine.stop();
    const dead = await w.ports.deadLetters.list({ limit: 10 });
    expect(dead.map((d) => [d.claimNumber, d.reason])).toEqual([[POISON, "not_renderable"]]);
    const filed = await checkOutput(w.db);
    expect(filed).toEqual(readyVersions(claims.filter((c) => c.claim_number !== POISON)));
  });
});
