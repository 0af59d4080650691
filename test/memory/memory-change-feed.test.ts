import { describe, expect, it } from "vitest";
import { ResumeTokenLostError, StreamInvalidatedError } from "../../src/domain/errors.js";
import { type ChangeCursor, type ChangeEvent, compareClusterTime } from "../../src/ports/change-feed.js";
import { drain } from "../support/change-cursor.js";
import { InjectedFaultError } from "./faults.js";
import { ChangeStreamClosedError } from "./memory-change-feed.js";
import { createMemoryPorts } from "./memory-ports.js";

const claim = (n: number, extra: Record<string, unknown> = {}) => ({
  claim_number: `C-${n}`,
  group_id: "GRP_001",
  status: "ready",
  version: 1,
  ...extra,
});

const numbers = (evs: ChangeEvent[]) => evs.map((e) => e.fullDocument?.claim_number ?? e.operationType);

async function lostCode(cursor: ChangeCursor): Promise<number | undefined> {
  const err = await cursor.tryNext().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ResumeTokenLostError);
  return (err as ResumeTokenLostError).serverCode;
}

describe("MemoryChangeFeed", () => {
  it("delivers writes in order with increasing cluster times and distinct tokens", async () => {
    const { ports, db } = createMemoryPorts({ awaitMs: 5 });
    const t0 = await ports.feed.currentClusterTime();
    db.claims.insert(claim(1));
    db.claims.update("C-1", { note: "x" });
    db.claims.replace("C-1", claim(1, { version: 2 }));
    const cursor = await ports.feed.open({ kind: "atClusterTime", clusterTime: t0 }, {});
    const evs = await drain(cursor);
    expect(evs.map((e) => e.operationType)).toEqual(["insert", "update", "replace"]);
    for (let i = 1; i < evs.length; i++) {
      expect(compareClusterTime(evs[i - 1]?.clusterTime as never, evs[i]?.clusterTime as never)).toBeLessThan(
        0,
      );
    }
    expect(new Set(evs.map((e) => JSON.stringify(e.token))).size).toBe(3);
    expect(evs[2]?.fullDocument?.version).toBe(2);
    expect(evs[0]?.documentKey).toEqual(evs[2]?.documentKey);
  });

  it("filters on the server side yet moves the post-batch token past what it filtered out", async () => {
    const { ports, db } = createMemoryPorts({ awaitMs: 5 });
    const t0 = await ports.feed.currentClusterTime();
    db.claims.insert(claim(1));
    db.claims.insert(claim(2, { status: "draft" }));
    db.claims.insert(claim(3, { group_id: "GRP_002" }));
    const cursor = await ports.feed.open(
      { kind: "atClusterTime", clusterTime: t0 },
      { groupFilter: "^GRP_001$" },
    );
    expect(cursor.postBatchToken()).toBeUndefined();
    const first = await cursor.tryNext();
    expect(first?.fullDocument?.claim_number).toBe("C-1");
    expect(await cursor.tryNext()).toBeNull();
    const pbt = cursor.postBatchToken();
    expect(pbt).toBeDefined();
    expect(pbt).not.toEqual(first?.token);
    await cursor.close();

    db.claims.insert(claim(4));
    const resumed = await ports.feed.open({ kind: "resumeAfter", token: pbt as never }, {});
    // C-2 (draft) and C-3 lie before the post-batch token, so only C-4 is new.
    expect(numbers(await drain(resumed))).toEqual(["C-4"]);
  });

  it("resumes right after a token with resumeAfter and startAfter, and starts inclusively at a cluster time", async () => {
    const { ports, db } = createMemoryPorts({ awaitMs: 5 });
    const t0 = await ports.feed.currentClusterTime();
    for (let i = 1; i <= 4; i++) db.claims.insert(claim(i));
    const all = await drain(await ports.feed.open({ kind: "atClusterTime", clusterTime: t0 }, {}));
    const second = all[1] as ChangeEvent;
    expect(
      numbers(await drain(await ports.feed.open({ kind: "resumeAfter", token: second.token }, {}))),
    ).toEqual(["C-3", "C-4"]);
    expect(
      numbers(await drain(await ports.feed.open({ kind: "startAfter", token: second.token }, {}))),
    ).toEqual(["C-3", "C-4"]);
    const at = second.clusterTime as never;
    expect(
      numbers(await drain(await ports.feed.open({ kind: "atClusterTime", clusterTime: at }, {}))),
    ).toEqual(["C-2", "C-3", "C-4"]);
  });

  it("returns null when idle after the await time and wakes as soon as an event arrives", async () => {
    const { ports, db } = createMemoryPorts({ awaitMs: 2_000 });
    const cursor = await ports.feed.open(
      { kind: "atClusterTime", clusterTime: await ports.feed.currentClusterTime() },
      {},
    );
    const started = Date.now();
    const pending = cursor.tryNext();
    setTimeout(() => db.claims.insert(claim(1)), 20);
    const ev = await pending;
    expect(ev?.fullDocument?.claim_number).toBe("C-1");
    expect(Date.now() - started).toBeLessThan(1_000);

    const quiet = createMemoryPorts({ awaitMs: 30 });
    const idle = await quiet.ports.feed.open({ kind: "atClusterTime", clusterTime: { t: 0, i: 0 } }, {});
    const t = Date.now();
    expect(await idle.tryNext()).toBeNull();
    expect(Date.now() - t).toBeGreaterThanOrEqual(25);
  });

  it("looks an update's document up when read, and is null when it was deleted since", async () => {
    const { ports, db } = createMemoryPorts({ awaitMs: 5 });
    const t0 = await ports.feed.currentClusterTime();
    db.claims.insert(claim(1));
    db.claims.update("C-1", { note: "first" });
    db.claims.update("C-1", { note: "second" });
    db.claims.insert(claim(2));
    db.claims.update("C-2", { note: "gone" });
    db.claims.delete("C-2");
    const evs = await drain(await ports.feed.open({ kind: "atClusterTime", clusterTime: t0 }, {}));
    expect(evs.map((e) => [e.operationType, e.fullDocument?.note ?? null])).toEqual([
      ["insert", null],
      ["update", "second"],
      ["update", "second"],
      ["insert", null],
      ["update", null],
      ["delete", null],
    ]);
  });

  it("gives the stored post-image in whenAvailable mode", async () => {
    const { ports, db } = createMemoryPorts({ awaitMs: 5, fullDocument: "whenAvailable" });
    const t0 = await ports.feed.currentClusterTime();
    db.claims.insert(claim(1));
    db.claims.update("C-1", { note: "first" });
    db.claims.update("C-1", { note: "second" });
    const evs = await drain(await ports.feed.open({ kind: "atClusterTime", clusterTime: t0 }, {}));
    expect(evs.map((e) => e.fullDocument?.note ?? null)).toEqual([null, "first", "second"]);
  });

  it("reports a token older than the retained history as lost (286) on tryNext, not on open", async () => {
    const { ports, db } = createMemoryPorts({ awaitMs: 5 });
    const t0 = await ports.feed.currentClusterTime();
    db.claims.insert(claim(1));
    db.claims.insert(claim(2));
    const [a, b] = await drain(await ports.feed.open({ kind: "atClusterTime", clusterTime: t0 }, {}));
    db.claims.truncateHistory(b?.clusterTime as never);

    const stale = await ports.feed.open({ kind: "resumeAfter", token: a?.token as never }, {});
    expect(await lostCode(stale)).toBe(286);
    expect(await lostCode(stale)).toBe(286);
    const old = await ports.feed.open({ kind: "atClusterTime", clusterTime: t0 }, {});
    expect(await lostCode(old)).toBe(286);
    // A token still inside history resumes fine.
    db.claims.insert(claim(3));
    expect(
      numbers(await drain(await ports.feed.open({ kind: "resumeAfter", token: b?.token as never }, {}))),
    ).toEqual(["C-3"]);
  });

  it("fails a live cursor that fell behind a truncated history", async () => {
    const { ports, db } = createMemoryPorts({ awaitMs: 5 });
    const cursor = await ports.feed.open(
      { kind: "atClusterTime", clusterTime: await ports.feed.currentClusterTime() },
      {},
    );
    db.claims.insert(claim(1));
    expect((await cursor.tryNext())?.fullDocument?.claim_number).toBe("C-1");
    db.claims.insert(claim(2));
    db.claims.insert(claim(3));
    db.claims.truncateHistory(db.claims.events()[2]?.clusterTime as never);
    expect(await lostCode(cursor)).toBe(286);
  });

  it("rejects malformed tokens (260) and tokens from another deployment (280)", async () => {
    const { ports, db } = createMemoryPorts({ awaitMs: 5 });
    const other = createMemoryPorts({ awaitMs: 5 });
    other.db.claims.insert(claim(1));
    const [foreign] = await drain(
      await other.ports.feed.open({ kind: "atClusterTime", clusterTime: { t: 0, i: 0 } }, {}),
    );
    db.claims.insert(claim(1));
    expect(await lostCode(await ports.feed.open({ kind: "resumeAfter", token: { _data: "zz" } }, {}))).toBe(
      260,
    );
    expect(
      await lostCode(await ports.feed.open({ kind: "resumeAfter", token: foreign?.token as never }, {})),
    ).toBe(280);
  });

  it("returns the drop, then throws the invalidate every time; startAfter that token continues", async () => {
    const { ports, db } = createMemoryPorts({ awaitMs: 5 });
    const cursor = await ports.feed.open(
      { kind: "atClusterTime", clusterTime: await ports.feed.currentClusterTime() },
      {},
    );
    db.claims.insert(claim(1));
    db.claims.drop();
    db.claims.insert(claim(2));
    expect((await cursor.tryNext())?.operationType).toBe("insert");
    const drop = await cursor.tryNext();
    expect(drop?.operationType).toBe("drop");
    expect(drop?.fullDocument).toBeNull();
    const err = await cursor.tryNext().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamInvalidatedError);
    expect(await cursor.tryNext().catch((e: unknown) => e)).toBe(err);
    const token = (err as StreamInvalidatedError).invalidateToken as never;

    expect(numbers(await drain(await ports.feed.open({ kind: "startAfter", token }, {})))).toEqual(["C-2"]);
    expect(await lostCode(await ports.feed.open({ kind: "resumeAfter", token }, {}))).toBe(260);
    // Resuming from before the drop replays into the same invalidate.
    const replay = await ports.feed.open({ kind: "resumeAfter", token: drop?.token as never }, {});
    expect(await replay.tryNext().catch((e: unknown) => e)).toBeInstanceOf(StreamInvalidatedError);
  });

  it("injects transient failures on open and tryNext, then works again", async () => {
    const { ports, db } = createMemoryPorts({ awaitMs: 5 });
    db.claims.insert(claim(1));
    db.faults.arm("feed.open");
    await expect(
      ports.feed.open({ kind: "atClusterTime", clusterTime: { t: 0, i: 0 } }, {}),
    ).rejects.toBeInstanceOf(InjectedFaultError);
    const cursor = await ports.feed.open({ kind: "atClusterTime", clusterTime: { t: 0, i: 0 } }, {});
    db.faults.arm("cursor.tryNext", { times: 2 });
    await expect(cursor.tryNext()).rejects.toBeInstanceOf(InjectedFaultError);
    await expect(cursor.tryNext()).rejects.toBeInstanceOf(InjectedFaultError);
    expect((await cursor.tryNext())?.fullDocument?.claim_number).toBe("C-1");
    expect(db.faults.count("cursor.tryNext")).toBe(3);
  });

  it("ends a pending tryNext with null on close, and refuses reads after it", async () => {
    const { ports, db } = createMemoryPorts({ awaitMs: 5_000 });
    const cursor = await ports.feed.open({ kind: "atClusterTime", clusterTime: { t: 0, i: 0 } }, {});
    expect(db.feed.openCount).toBe(1);
    const pending = cursor.tryNext();
    await new Promise((r) => setTimeout(r, 10));
    await cursor.close();
    expect(await pending).toBeNull();
    await expect(cursor.tryNext()).rejects.toBeInstanceOf(ChangeStreamClosedError);
    expect(db.feed.openCount).toBe(0);
  });
});
