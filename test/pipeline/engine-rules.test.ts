// Readiness (/readyz) and operator pause as the engine reports them: the exact reasons and
// roles an orchestrator and an operator see, the claimflow_paused gauge, and the one log line
// per pause/resume transition (a repeated stream_controls read must not log again).
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/observability/metrics.js";
import { Engine } from "../../src/pipeline/engine.js";
import { systemClock } from "../../src/ports/clock.js";
import { baseOptions, makeWorld, metricValue, waitFor } from "./harness.js";

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
