// Exactly one file per claim version, against the ledger: what processing_history holds is
// never billed again, a version bump is, and concurrent processors cannot double-bill.
import { describe, expect, it } from "vitest";
import { parseClaim } from "../../src/domain/claim.js";
import { render837 } from "../../src/edi/render.js";
import { interchangeSenderKey } from "../../src/edi/sender-key.js";
import { batchPath } from "../../src/pipeline/batch-path.js";
import { sha256 } from "../../src/pipeline/batch-processor.js";
import { Enricher } from "../../src/pipeline/enricher.js";
import type { PipelinePorts } from "../../src/ports/bundle.js";
import {
  checkOutput,
  makeWorld,
  metricValue,
  moreClaims,
  readyVersions,
  refKey,
  startEngine,
  waitFor,
  waitForTokenCheckpoint,
} from "./harness.js";

const emittedCount = (w: ReturnType<typeof makeWorld>) => w.db.ledger.emittedRows().length;

/** Bills `claims` as another processor would: render, reserve, write, mark written. */
async function billElsewhere(ports: PipelinePorts, docs: Record<string, unknown>[]): Promise<void> {
  const claims = docs.map((d) => {
    const p = parseClaim(d);
    if (!p.ok) throw new Error("synthetic claim does not parse");
    return p.value;
  });
  const enriched = await new Enricher(ports.lookups).enrich(claims);
  const joined = enriched.map((e) => {
    if (!e.ok) throw new Error(`synthetic claim not enrichable: ${e.reason}`);
    return e.joined;
  });
  const first = joined[0];
  if (!first) throw new Error("nothing to bill");
  const senderKey = interchangeSenderKey(first.client) as string;
  const controlNumber = await ports.ledger.nextControlNumber(senderKey);
  const createdAt = new Date();
  const content = render837({
    batchId: "elsewhere1",
    client: first.client,
    claims: joined,
    controlNumber,
    createdAt,
  });
  const path = batchPath(first.claim.group_id, first.claim.client_id, senderKey, controlNumber, createdAt);
  await ports.ledger.reserve({
    batchId: "elsewhere1",
    state: "reserved",
    streamName: "elsewhere",
    groupId: first.claim.group_id,
    clientId: first.claim.client_id,
    senderId: senderKey,
    isaControlNumber: controlNumber,
    gsControlNumber: controlNumber,
    path,
    content,
    sha256: sha256(content),
    claims: joined.map((j) => ({ claim_number: j.claim.claim_number, version: j.claim.version })),
    claimCount: joined.length,
    createdAt,
  });
  await ports.sink.write(path, content);
  await ports.ledger.markWritten("elsewhere1", new Date());
}

describe("Dedup against the ledger", () => {
  it("never bills again a claim version already in processing_history, from the scan or the stream", async () => {
    const w = makeWorld({ claims: 10 });
    const first = await startEngine(w.ports, { markBilled: false });
    await waitFor("first run", () => emittedCount(w) === 10);
    await waitForTokenCheckpoint(w.db);
    await first.engine.stop();
    // Still ready (no billed mark): a fresh catch-up scan sees them all again.
    const later = moreClaims(w, 20, "LATER");
    w.db.claims.insertMany(later);
    await w.ports.checkpoints.clear("test");

    const second = await startEngine(w.db.connect().ports, { markBilled: false }, { waitStreaming: true });
    await waitFor("second run", () => emittedCount(w) === 30);
    // Upstream touches five already-billed claims without a version change.
    for (const c of w.data.claims.slice(0, 5))
      w.db.claims.update(c.claim_number as string, { note: "touched" });
    await waitFor("the touches read", async () => {
      return (await metricValue(second.metrics, "claimflow_claims_duplicate_total")) >= 5;
    });
    await new Promise((r) => setTimeout(r, 60));
    await second.engine.stop();

    expect(await metricValue(second.metrics, "claimflow_claims_emitted_total")).toBe(20);
    expect(await checkOutput(w.db)).toEqual(readyVersions([...w.data.claims, ...later]));
  });

  it("bills a version bump again, as the new version, exactly once", async () => {
    const w = makeWorld({ claims: 12 });
    const { engine } = await startEngine(w.ports);
    await waitFor("first versions", () => emittedCount(w) === 12);
    const [a, b, c] = w.data.claims.map((x) => x.claim_number as string);
    w.db.claims.bumpVersion(a as string);
    // Two corrections before the stream reads either: only the newest is billed.
    w.db.claims.bumpVersion(b as string);
    w.db.claims.bumpVersion(b as string);
    await waitFor("bumps billed", () => emittedCount(w) === 14);
    w.db.claims.bumpVersion(c as string, { note: "again" });
    await waitFor("third bump billed", () => emittedCount(w) === 15);
    await new Promise((r) => setTimeout(r, 60));
    await engine.stop();

    const out = await checkOutput(w.db);
    expect(out.has(refKey(a as string, 2))).toBe(true);
    expect(out.has(refKey(b as string, 3))).toBe(true);
    expect(out.has(refKey(b as string, 2))).toBe(false);
    expect(out.has(refKey(c as string, 2))).toBe(true);
    expect(out.size).toBe(15);
    expect(w.db.claims.get(b as string)).toMatchObject({ status: "billed", version: 3 });
  });

  it("never bills a version twice when two processors' group filters overlap", async () => {
    const w = makeWorld({ groups: 3, clients: 2 });
    const a = await startEngine(w.ports, { streamName: "a", holder: "a", groupFilter: "^GRP_00[12]$" });
    const b = await startEngine(w.db.connect().ports, {
      streamName: "b",
      holder: "b",
      groupFilter: "^GRP_00[23]$",
    });
    const claims = moreClaims(w, 90, "OVL");
    w.db.claims.insertMany(claims);
    await waitFor("all billed", () => emittedCount(w) === 90);
    await new Promise((r) => setTimeout(r, 80));
    await Promise.all([a.engine.stop(), b.engine.stop()]);
    const emittedA = await metricValue(a.metrics, "claimflow_claims_emitted_total");
    const emittedB = await metricValue(b.metrics, "claimflow_claims_emitted_total");
    expect(emittedA + emittedB).toBe(90);
    expect(emittedA).toBeGreaterThanOrEqual(30);
    expect(emittedB).toBeGreaterThanOrEqual(30);
    expect(await checkOutput(w.db)).toEqual(readyVersions(claims));
  });

  it("drops claims another processor reserved meanwhile and re-renders the rest under a new control number", async () => {
    const w = makeWorld({ groups: 1, clients: 1 });
    const { engine, metrics } = await startEngine(w.ports, { windowMs: 20 });
    const claims = moreClaims(w, 4, "RACE").map(
      (c): Record<string, unknown> => ({
        ...c,
        group_id: "GRP_001",
        client_id: "CLIENT001",
      }),
    );
    w.db.faults.arm("ledger.reserve", { hold: true });
    w.db.claims.insertMany(claims);
    await waitFor("our reservation held", () => w.db.faults.heldAt("ledger.reserve") === 1);
    // Meanwhile another processor bills two of them.
    await billElsewhere(w.db.connect().ports, [claims[0], claims[2]] as Record<string, unknown>[]);
    w.db.faults.resume("ledger.reserve");
    await waitFor("the rest billed", () => emittedCount(w) === 4);
    await engine.stop();

    const batches = w.db.ledger.allBatches();
    expect(batches).toHaveLength(2);
    const ours = batches.find((x) => x.batchId !== "elsewhere1");
    expect(ours?.claims.map((c) => c.claim_number).sort()).toEqual(
      [claims[1]?.claim_number, claims[3]?.claim_number].sort(),
    );
    // The held attempt's control number (2) is burnt: gaps are allowed, reuse never.
    expect(ours?.isaControlNumber).toBe(3);
    expect(await metricValue(metrics, "claimflow_claims_duplicate_total")).toBe(2);
    expect(await checkOutput(w.db)).toEqual(readyVersions(claims));
  });
});
