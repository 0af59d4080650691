import { describe, expect, it } from "vitest";
import { FileConflictError } from "../../src/ports/file-sink.js";
import { InjectedFaultError } from "./faults.js";
import { createMemoryPorts } from "./memory-ports.js";

const claim = (n: number, extra: Record<string, unknown> = {}) => ({
  claim_number: `C-${n}`,
  group_id: n % 2 ? "GRP_001" : "GRP_002",
  status: "ready",
  version: 1,
  ...extra,
});

describe("MemoryClaimStore", () => {
  it("scans ready claims in _id order, page by page, within the group filter", async () => {
    const { ports, db } = createMemoryPorts();
    for (let i = 1; i <= 7; i++) db.claims.insert(claim(i, i === 3 ? { status: "draft" } : {}));
    const seen: string[] = [];
    let after: unknown;
    let pages = 0;
    do {
      const page = await ports.claims.scanReady({ groupFilter: "^GRP_001$" }, after, 2);
      seen.push(...page.docs.map((d) => d.claim_number as string));
      after = page.next;
      pages++;
    } while (after !== undefined);
    expect(seen).toEqual(["C-1", "C-5", "C-7"]);
    expect(pages).toBe(2);
  });

  it("marks billed only claims still ready at that version, and the mark is a change event", async () => {
    const { ports, db } = createMemoryPorts();
    db.claims.insert(claim(1));
    db.claims.insert(claim(2));
    db.claims.bumpVersion("C-2");
    const before = db.claims.events().length;
    expect(
      await ports.claims.markBilled([
        { claim_number: "C-1", version: 1 },
        { claim_number: "C-2", version: 1 },
        { claim_number: "C-9", version: 1 },
      ]),
    ).toBe(1);
    expect(db.claims.get("C-1")?.status).toBe("billed");
    expect(db.claims.get("C-2")).toMatchObject({ status: "ready", version: 2 });
    expect(
      db.claims
        .events()
        .slice(before)
        .map((e) => e.operationType),
    ).toEqual(["update"]);
    expect(await ports.claims.findByClaimNumber("C-2")).toMatchObject({ version: 2 });
    expect(await ports.claims.findByClaimNumber("C-404")).toBeNull();
  });

  it("enforces the unique claim_number index", () => {
    const { db } = createMemoryPorts();
    db.claims.insert(claim(1));
    expect(() => db.claims.insert(claim(1))).toThrow(/E11000/);
  });
});

describe("MemoryCheckpointStore", () => {
  it("saves, loads a copy, and clears per stream name", async () => {
    const { ports } = createMemoryPorts();
    const cp = { streamName: "s", token: { _data: "x" }, updatedAt: new Date(1), source: "processor" };
    await ports.checkpoints.save(cp);
    (cp.token as { _data: string })._data = "mutated";
    expect((await ports.checkpoints.load("s"))?.token).toEqual({ _data: "x" });
    expect(await ports.checkpoints.load("other")).toBeNull();
    await ports.checkpoints.clear("s");
    expect(await ports.checkpoints.load("s")).toBeNull();
  });
});

describe("MemoryDeadLetters", () => {
  it("upserts per claim version, counting attempts, and lists most recent first", async () => {
    const { ports } = createMemoryPorts();
    const e = (n: string, v: number, reason: "invalid_claim" | "npi_missing") => ({
      claimNumber: n,
      version: v,
      reason,
      issues: [{ path: "x", message: "bad" }],
    });
    await ports.deadLetters.record([e("A", 1, "invalid_claim")], new Date(1_000));
    await ports.deadLetters.record([e("A", 1, "invalid_claim"), e("A", 2, "npi_missing")], new Date(2_000));
    await ports.deadLetters.record([e("B", 1, "npi_missing")], new Date(3_000));
    expect(await ports.deadLetters.count()).toBe(3);
    const a1 = (await ports.deadLetters.get("A"))[0];
    expect(a1).toMatchObject({
      version: 1,
      attempts: 2,
      firstSeen: new Date(1_000),
      lastSeen: new Date(2_000),
    });
    expect((await ports.deadLetters.list({ limit: 10 })).map((d) => `${d.claimNumber}${d.version}`)).toEqual([
      "B1",
      "A1",
      "A2",
    ]);
    expect((await ports.deadLetters.list({ limit: 10, reason: "npi_missing" })).length).toBe(2);
    expect((await ports.deadLetters.list({ limit: 1 })).length).toBe(1);
    expect(await ports.deadLetters.remove("A", 2)).toBe(1);
    expect(await ports.deadLetters.purgeBefore(new Date(2_500))).toBe(1);
    expect((await ports.deadLetters.list({ limit: 10 })).map((d) => d.claimNumber)).toEqual(["B"]);
  });
});

describe("MemoryLeaseStore", () => {
  it("refuses a live lease to another holder, renews its own, and hands over once it lapses", async () => {
    // Time is the store's own clock (the "server"), never the caller's.
    let nowMs = 1_000_000;
    const { ports } = createMemoryPorts({ clock: { now: () => new Date(nowMs) } });
    const at = (ms: number) => {
      nowMs = 1_000_000 + ms;
    };
    expect(await ports.leases.tryAcquire("s", "a", 1_000)).toBe(true);
    at(500);
    expect(await ports.leases.tryAcquire("s", "b", 1_000)).toBe(false);
    expect((await ports.leases.current("s"))?.live).toBe(true);
    at(900);
    expect(await ports.leases.tryAcquire("s", "a", 1_000)).toBe(true);
    at(1_500);
    expect(await ports.leases.tryAcquire("s", "b", 1_000)).toBe(false);
    at(1_900);
    expect((await ports.leases.current("s"))?.live).toBe(false);
    expect(await ports.leases.tryAcquire("s", "b", 1_000)).toBe(true);
    expect((await ports.leases.current("s"))?.holder).toBe("b");
    await ports.leases.release("s", "a");
    expect((await ports.leases.current("s"))?.holder).toBe("b");
    await ports.leases.release("s", "b");
    expect(await ports.leases.current("s")).toBeNull();
  });
});

describe("MemoryFileSink", () => {
  it("stores files, allows identical rewrites and refuses different content at the same path", async () => {
    const { ports, db } = createMemoryPorts();
    await ports.sink.write("G/20250101/C-000000001.837", "ISA...");
    await ports.sink.write("G/20250101/C-000000001.837", "ISA...");
    expect(db.files.writes.get("G/20250101/C-000000001.837")).toBe(2);
    await expect(ports.sink.write("G/20250101/C-000000001.837", "other")).rejects.toBeInstanceOf(
      FileConflictError,
    );
    await expect(ports.sink.write("../escape.837", "x")).rejects.toBeInstanceOf(RangeError);
    expect(await ports.sink.read("G/20250101/C-000000001.837")).toBe("ISA...");
    expect(await ports.sink.read("missing")).toBeNull();
  });
});

describe("MemoryAuditLog", () => {
  it("lists entries since a time, newest first, by action", async () => {
    const { ports } = createMemoryPorts();
    const actor = { user: "u", host: "h", pid: 1 };
    await ports.audit.append({ action: "file_emitted", actor, at: new Date(1_000) });
    await ports.audit.append({ action: "token_reset", actor, at: new Date(2_000) });
    await ports.audit.append({ action: "file_emitted", actor, at: new Date(3_000) });
    const got = await ports.audit.list({ since: new Date(1_500), limit: 10 });
    expect(got.map((e) => e.at.getTime())).toEqual([3_000, 2_000]);
    expect(await ports.audit.list({ since: new Date(0), action: "token_reset", limit: 10 })).toHaveLength(1);
  });
});

describe("connections and faults", () => {
  it("share one database across connections while each has its own faults", async () => {
    const { ports, db } = createMemoryPorts();
    const second = db.connect();
    db.faults.arm("ledger.nextControlNumber");
    await expect(ports.ledger.nextControlNumber("S")).rejects.toBeInstanceOf(InjectedFaultError);
    expect(await second.ports.ledger.nextControlNumber("S")).toBe(1);
    expect(await ports.ledger.nextControlNumber("S")).toBe(2);
  });

  it("loses a reply: the write is applied, the caller sees an error", async () => {
    const { ports, db } = createMemoryPorts();
    db.faults.arm("ledger.nextControlNumber", { lostReply: true });
    await expect(ports.ledger.nextControlNumber("S")).rejects.toBeInstanceOf(InjectedFaultError);
    expect(db.ledger.counter("S")).toBe(1);
    expect(await ports.ledger.nextControlNumber("S")).toBe(2);
  });

  it("holds calls until resumed", async () => {
    const { ports, db } = createMemoryPorts();
    db.faults.arm("sink.write", { hold: true, times: Number.POSITIVE_INFINITY });
    let done = 0;
    const writes = [ports.sink.write("a", "1"), ports.sink.write("b", "2")].map((p) => p.then(() => done++));
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(0);
    expect(db.faults.heldAt("sink.write")).toBe(2);
    expect(db.files.size).toBe(0);
    db.faults.resume("sink.write");
    await Promise.all(writes);
    expect(db.files.size).toBe(2);
  });

  it("kills a connection: that call and every later one never settles, others go on", async () => {
    const { ports, db } = createMemoryPorts();
    db.faults.arm("sink.write", { kill: true });
    let settled = false;
    void ports.sink.write("a", "1").finally(() => {
      settled = true;
    });
    void ports.ledger.countReserved().finally(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    expect(db.faults.killed).toBe(true);
    expect(db.files.size).toBe(0);
    await db.connect().ports.sink.write("a", "1");
    expect(db.files.size).toBe(1);
  });

  it("reports the oplog window and the ready backlog", async () => {
    const { ports, db } = createMemoryPorts();
    expect(await ports.stats?.oplogWindowSeconds()).toBeNull();
    db.claims.insert(claim(1));
    db.claims.insert(claim(2, { status: "billed" }));
    db.claims.insert(claim(3));
    expect(await ports.stats?.oplogWindowSeconds()).toBeGreaterThanOrEqual(0);
    expect(await ports.stats?.readyBacklog({})).toBe(2);
    expect(await ports.stats?.readyBacklog({ groupFilter: "^GRP_002$" })).toBe(0);
  });
});
