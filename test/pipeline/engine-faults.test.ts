// Issue 16 holes 5 and 6 against the in-memory twins: a permanent error is never retried (the
// engine fails, so the processor exits with one line), and a full output disk is reported as
// such — its own metric and readiness reason — never as MongoDB in the circuit.
import { MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { toProcessFault } from "../../src/pipeline/fault-class.js";
import {
  checkOutput,
  makeWorld,
  moreClaims,
  readyVersions,
  startEngine,
  type World,
  waitFor,
} from "./harness.js";

const emittedCount = (w: World) => w.db.ledger.emittedRows().length;

describe("Hole 5: permanent errors are not retried", () => {
  it("an Unauthorized error on the ledger fails the engine after one call, with a one-line reason", async () => {
    const w = makeWorld({});
    const unauthorized = new MongoServerError({
      ok: 0,
      code: 13,
      codeName: "Unauthorized",
      errmsg: "not authorized on claimflow to execute command { insert: [redacted] }",
    });
    w.db.faults.arm("ledger.reserve", { times: Number.POSITIVE_INFINITY, error: () => unauthorized });
    const { engine } = await startEngine(w.ports);
    w.db.claims.insertMany(moreClaims(w, 3, "AUTH"));
    const err = await engine.done.catch((e: unknown) => e);
    expect(err).toBe(unauthorized);
    expect(engine.state).toBe("failed");
    // Today's code retried it for ever: the engine never failed and the calls kept coming.
    expect(w.db.faults.count("ledger.reserve")).toBe(1);
    expect(w.db.files.size).toBe(0);
    expect(toProcessFault(err).reason).toBe("unauthorized");
  });

  it("a bug (TypeError) in a port call fails the engine instead of opening the circuit", async () => {
    const w = makeWorld({});
    w.db.faults.arm("lookups.patients", {
      times: Number.POSITIVE_INFINITY,
      error: () => new TypeError("cannot read properties of undefined"),
    });
    const { engine } = await startEngine(w.ports, {
      resilience: { breakAfter: 2, halfOpenAfterMs: 50, initialDelayMs: 1, maxDelayMs: 5 },
    });
    w.db.claims.insertMany(moreClaims(w, 2, "BUG"));
    const err = await engine.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(w.db.faults.count("lookups.patients")).toBe(1);
    expect(toProcessFault(err).reason).toBe("bug");
  });
});

describe("Hole 6: a full output disk is not MongoDB", () => {
  it("ENOSPC keeps the circuit closed, has its own metric and readiness reason, and heals", async () => {
    const w = makeWorld({});
    const { engine, metrics } = await startEngine(w.ports, {
      resilience: { breakAfter: 2, halfOpenAfterMs: 50, initialDelayMs: 1, maxDelayMs: 5 },
    });
    w.db.faults.arm("sink.write", {
      times: Number.POSITIVE_INFINITY,
      error: () =>
        Object.assign(new Error("ENOSPC: no space left on device, write"), {
          code: "ENOSPC",
          syscall: "write",
          path: "/srv/out/GRP01/2026-11-28/C1-000000001.837.7.ab.tmp",
        }),
    });
    const claims = moreClaims(w, 6, "DISK");
    w.db.claims.insertMany(claims);
    await waitFor("several failed writes", () => w.db.faults.count("sink.write") >= 6);
    expect(engine.readiness()).toEqual({
      ready: false,
      reason: "output directory /srv/out/GRP01/2026-11-28 not writable: ENOSPC",
      role: "active",
    });
    // Far more failures than breakAfter, yet MongoDB's circuit never opened.
    expect((await metrics.circuitState.get()).values[0]?.value).toBe(0);
    const errors = (await metrics.outputErrors.get()).values.find((v) => v.labels.code === "ENOSPC");
    expect(errors?.value).toBeGreaterThanOrEqual(5);
    expect((await metrics.outputWritesBlocked.get()).values[0]?.value).toBeGreaterThanOrEqual(1);
    // Space is freed: the writes go through, readiness comes back, nothing is lost or doubled.
    w.db.faults.disarm("sink.write");
    await waitFor("billed", () => emittedCount(w) === 6);
    await waitFor("ready again", () => engine.readiness().ready);
    expect((await metrics.outputWritesBlocked.get()).values[0]?.value).toBe(0);
    await engine.stop();
    expect(await checkOutput(w.db)).toEqual(readyVersions(claims));
  });
});
