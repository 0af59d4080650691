// Lifecycle guards (issue 16, item 4): a call in a state that does not allow it throws a typed
// error instead of starting a second lease loop or read loop over one watermark.
import { lastValueFrom, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/observability/metrics.js";
import { Acker } from "../../src/pipeline/acker.js";
import { ClaimSource } from "../../src/pipeline/claim-source.js";
import { InFlightLimiter } from "../../src/pipeline/in-flight.js";
import { Resilience } from "../../src/pipeline/resilience.js";
import { PipelineStateError } from "../../src/pipeline/state-error.js";
import { Watermark } from "../../src/pipeline/watermark.js";
import { systemClock } from "../../src/ports/clock.js";
import { makeWorld, silentLogger, startEngine } from "./harness.js";

function sourceOver(world: ReturnType<typeof makeWorld>) {
  const metrics = new Metrics({ collectDefaults: false });
  const { ports } = world;
  return new ClaimSource({
    streamName: "guards",
    filter: {},
    onTokenLost: "rescan",
    markBilled: true,
    scanPageSize: 100,
    feed: ports.feed,
    claims: ports.claims,
    checkpoints: ports.checkpoints,
    ledger: ports.ledger,
    acker: new Acker(new Watermark(), new InFlightLimiter(100), metrics),
    resilience: new Resilience({ metrics, logger: silentLogger }),
    clock: systemClock,
    metrics,
    logger: silentLogger,
  });
}

describe("lifecycle guards", () => {
  it("refuses a second start of a running engine with PIPELINE_STATE, and it keeps running", async () => {
    const w = makeWorld({ claims: 5 });
    const { engine } = await startEngine(w.ports);
    const second = engine.start();
    await expect(second).rejects.toBeInstanceOf(PipelineStateError);
    await expect(second).rejects.toMatchObject({
      code: "PIPELINE_STATE",
      component: "engine",
      state: "running",
    });
    expect(engine.state).toBe("running");
    await engine.stop();
    expect(engine.state).toBe("stopped");
    await expect(engine.start()).rejects.toMatchObject({ code: "PIPELINE_STATE", state: "stopped" });
  });

  it("lets one reader subscribe to a source; a second reader, or one after stop, gets PIPELINE_STATE", async () => {
    const w = makeWorld({ claims: 3 });
    const source = sourceOver(w);
    expect(source.state).toBe("starting");
    const first = source.items().subscribe();
    const errors: unknown[] = [];
    source.items().subscribe({ error: (e) => errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "PIPELINE_STATE", component: "source", call: "items" });
    first.unsubscribe(); // stops the source
    await expect(lastValueFrom(source.items().pipe(toArray()))).rejects.toMatchObject({
      code: "PIPELINE_STATE",
      state: "stopped",
    });
  });

  it("a source stopped before anyone read it is stopped, not starting", () => {
    const source = sourceOver(makeWorld());
    source.stop();
    expect(source.state).toBe("stopped");
  });
});
