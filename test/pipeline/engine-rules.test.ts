// Readiness (/readyz) and operator pause as the engine reports them: the exact reasons and
// roles an orchestrator and an operator see, the claimflow_paused gauge, and the one log line
// per pause/resume transition (a repeated stream_controls read must not log again).
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/observability/metrics.js";
import { Engine } from "../../src/pipeline/engine.js";
import { systemClock } from "../../src/ports/clock.js";
import { baseOptions, makeWorld, metricValue, moreClaims, startEngine, waitFor } from "./harness.js";

function capturingEngine() {
  const lines: { msg: string; paused?: boolean; by?: string; reason?: string }[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  const w = makeWorld({});
  const metrics = new Metrics({ collectDefaults: false });
  const engine = new Engine(baseOptions, {
    ports: w.ports,
    metrics,
    logger: pino({ level: "info" }, stream),
    clock: systemClock,
  });
  return { engine, metrics, lines };
}

describe("Engine readiness and operator pause", () => {
  it("reports each state's readiness, pause reason and role exactly", async () => {
    const { engine, metrics, lines } = capturingEngine();
    expect(engine.readiness()).toEqual({ ready: false, reason: "engine idle" });
    expect(engine.paused).toEqual({ paused: false });
    await engine.start();
    try {
      await waitFor("streaming", () => engine.sourceState === "streaming");
      expect(engine.readiness()).toEqual({ ready: true, role: "active" });

      engine.setPaused({ paused: true, by: "ops", reason: "payer maintenance" });
      await waitFor("source paused", () => engine.sourceState === "paused");
      // Paused on purpose: still ready (no restart), saying who paused it and why.
      expect(engine.readiness()).toEqual({
        ready: true,
        reason: "paused by ops: payer maintenance",
        role: "active",
      });
      expect(engine.paused).toEqual({ paused: true, by: "ops", reason: "payer maintenance" });
      expect(await metricValue(metrics, "claimflow_paused")).toBe(1);

      // The same state read again: no second log line; without by/reason the defaults show.
      engine.setPaused({ paused: true });
      expect(engine.readiness()).toEqual({
        ready: true,
        reason: "paused by an operator: no reason given",
        role: "active",
      });

      engine.setPaused({ paused: false, by: "ops" });
      await waitFor("streaming again", () => engine.sourceState === "streaming");
      expect(engine.readiness()).toEqual({ ready: true, role: "active" });
      expect(await metricValue(metrics, "claimflow_paused")).toBe(0);
      engine.setPaused({ paused: false });

      const pauseLines = lines.filter((l) => l.msg.startsWith("stream ") && l.msg.endsWith("by an operator"));
      expect(pauseLines.map((l) => [l.msg, l.paused, l.by])).toEqual([
        ["stream paused by an operator", true, "ops"],
        ["stream resumed by an operator", false, "ops"],
      ]);
      expect(pauseLines[0]?.reason).toBe("payer maintenance");
    } finally {
      await engine.stop();
    }
    expect(engine.readiness()).toEqual({ ready: false, reason: "engine stopped" });
  });
});

describe("Dead-letter row identity", () => {
  it("names a claim without a usable number by its _id, defaults a non-integer version to 1, and clips group/client", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const { engine, metrics } = await startEngine(w.ports, { windowMs: 15 });
    try {
      const [a, b] = moreClaims(w, 2, "DLQ") as Record<string, unknown>[];
      const longId = `ID${"X".repeat(80)}`;
      w.db.claims.insertMany([
        // Lower case is not a claim number (A-Z, 0-9, '-'): the row is keyed by _id, cut to 64.
        {
          ...a,
          _id: longId,
          claim_number: "dlq-lower",
          version: 2.5,
          group_id: "G".repeat(50),
          client_id: 7,
        },
        // A valid number and integer version are kept; a missing required field makes it invalid.
        { ...b, claim_number: "DLQ-KEPT", version: 3, client_id: "C".repeat(70), total_charge: undefined },
      ]);
      await waitFor("both parked", () => w.db.deadLetters.all().length === 2);
      const rows = new Map(w.db.deadLetters.all().map((d) => [d.claimNumber, d]));
      const byId = rows.get(`_id:${longId.slice(0, 64)}`);
      expect(byId).toMatchObject({ version: 1, reason: "invalid_claim", groupId: "G".repeat(40) });
      expect(byId?.clientId).toBeUndefined();
      const kept = rows.get("DLQ-KEPT");
      expect(kept).toMatchObject({ version: 3, reason: "invalid_claim", clientId: "C".repeat(64) });
      expect(kept?.groupId).toBe(b?.group_id);
      expect(
        await metricValue(metrics, "claimflow_claims_dead_lettered_total", { reason: "invalid_claim" }),
      ).toBe(2);
    } finally {
      await engine.stop();
    }
  });
});

describe("Engine start guard", () => {
  it("names the refused call and the state in the error text", async () => {
    const { engine } = capturingEngine();
    await engine.start();
    try {
      await expect(engine.start()).rejects.toThrow("engine.start() is not allowed in state running");
    } finally {
      await engine.stop();
    }
  });
});
