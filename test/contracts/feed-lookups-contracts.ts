// The change-feed and lookups port contracts as one suite each, run against MongoDB
// (mongo-feed-lookups.test.ts) and the in-memory twins (memory-feed-lookups.test.ts), so the
// fast tests' twins cannot drift from what the processor sees in production.
import { beforeEach, describe, expect, it } from "vitest";
import { ResumeTokenLostError, StreamInvalidatedError } from "../../src/domain/errors.js";
import type { ChangeEvent, ChangeFeed, FeedFilter } from "../../src/ports/change-feed.js";
import type { Lookups } from "../../src/ports/lookups.js";
import { drain, nextEvent } from "../support/change-cursor.js";

type Doc = Record<string, unknown>;

export interface FeedWorld {
  readonly feed: ChangeFeed;
  insert(doc: Doc): Promise<void>;
  /** `$set` on the claim with that number. */
  update(claimNumber: string, set: Doc): Promise<void>;
  delete(claimNumber: string): Promise<void>;
  /** Drops claim_detail. */
  drop(): Promise<void>;
}

export interface LookupsWorld {
  readonly lookups: Lookups;
  seed(data: { patients?: Doc[]; clients?: Doc[]; npis?: Doc[] }): Promise<void>;
}

const claim = (n: string, status: string, group = "GRP_001"): Doc => ({
  claim_number: n,
  version: 1,
  status,
  group_id: group,
  client_id: "CLIENT001",
});

const next = nextEvent;
const numberOf = (ev: ChangeEvent) => ev.fullDocument?.claim_number;

export function changeFeedContract(name: string, make: () => Promise<FeedWorld>): void {
  describe(`${name}: change feed contract`, () => {
    let w: FeedWorld;
    const open = async (filter: FeedFilter = {}) =>
      w.feed.open({ kind: "atClusterTime", clusterTime: await w.feed.currentClusterTime() }, filter);
    beforeEach(async () => {
      w = await make();
    });

    it("returns ready inserts and updates with their post-images, and passes deletes, in order", async () => {
      const cursor = await open();
      await w.insert(claim("A", "ready"));
      await w.insert(claim("B", "draft"));
      await w.update("B", { status: "ready" });
      await w.delete("A");
      const events = [await next(cursor), await next(cursor), await next(cursor)];
      expect(events.map((e) => e.operationType)).toEqual(["insert", "update", "delete"]);
      expect(events.map(numberOf)).toEqual(["A", "B", undefined]);
      expect(events[1]?.fullDocument?.status).toBe("ready");
      expect(events[2]?.fullDocument).toBeNull();
      for (const e of events) expect(e.clusterTime).toBeDefined();
      await cursor.close();
    });

    it("filters by group on the server; the post-batch token covers the filtered-out events", async () => {
      const cursor = await open({ groupFilter: "^GRP_001$" });
      await w.insert(claim("X", "ready", "GRP_002"));
      await w.insert(claim("Y", "ready", "GRP_001"));
      expect(numberOf(await next(cursor))).toBe("Y");
      await w.insert(claim("Z", "ready", "GRP_002"));
      await w.insert(claim("D", "draft", "GRP_001"));
      expect(await drain(cursor)).toEqual([]);
      const token = cursor.postBatchToken();
      expect(token).toBeDefined();
      await cursor.close();
      await w.insert(claim("W", "ready", "GRP_001"));
      const resumed = await w.feed.open(
        { kind: "resumeAfter", token: token as NonNullable<typeof token> },
        { groupFilter: "^GRP_001$" },
      );
      expect(numberOf(await next(resumed))).toBe("W");
      await resumed.close();
    });

    it("resumeAfter and startAfter an event's token continue right after that event", async () => {
      const cursor = await open();
      for (const n of ["P1", "P2", "P3"]) await w.insert(claim(n, "ready"));
      const first = await next(cursor);
      await cursor.close();
      for (const kind of ["resumeAfter", "startAfter"] as const) {
        const again = await w.feed.open({ kind, token: first.token }, {});
        expect([numberOf(await next(again)), numberOf(await next(again))]).toEqual(["P2", "P3"]);
        await again.close();
      }
    });

    it("a drop is returned, then every read throws StreamInvalidatedError; startAfter its token goes on", async () => {
      const cursor = await open();
      await w.insert(claim("A", "ready"));
      expect(numberOf(await next(cursor))).toBe("A");
      await w.drop();
      expect((await next(cursor)).operationType).toBe("drop");
      const err = await next(cursor).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StreamInvalidatedError);
      await expect(cursor.tryNext()).rejects.toBeInstanceOf(StreamInvalidatedError);
      await cursor.close();
      const token = (err as StreamInvalidatedError).invalidateToken as Record<string, unknown>;
      const after = await w.feed.open({ kind: "startAfter", token }, {});
      await w.insert(claim("B", "ready"));
      const ev = await next(after);
      expect([ev.operationType, numberOf(ev)]).toEqual(["insert", "B"]);
      await after.close();
    });

    it("a token that is not a resume token is ResumeTokenLostError on the first read, not at open", async () => {
      // Not hex; hex cut short; no `_data` at all (a checkpoint edited by hand).
      const tokens = [{ _data: "not a resume token" }, { _data: "82FFFF" }, { foo: 1 }];
      for (const token of tokens) {
        const cursor = await w.feed.open({ kind: "resumeAfter", token }, {});
        await expect(next(cursor, 5_000)).rejects.toBeInstanceOf(ResumeTokenLostError);
        await cursor.close();
      }
    });
  });
}

export function lookupsContract(name: string, make: () => Promise<LookupsWorld>): void {
  describe(`${name}: lookups contract`, () => {
    let w: LookupsWorld;
    beforeEach(async () => {
      w = await make();
    });
    const ids = (docs: Doc[], key: string) => docs.map((d) => d[key]).sort();

    it("finds patients by patient_id and by claim_number in one call, duplicates included", async () => {
      await w.seed({
        patients: [
          { patient_id: "P1", last_name: "ONE" },
          { patient_id: "P1", last_name: "ONE-AGAIN" },
          { patient_id: "P2", last_name: "TWO" },
          { claim_number: "C9", last_name: "LEGACY" },
        ],
      });
      const found = await w.lookups.patients(["P1", "NOPE"], ["C9"]);
      expect(found.map((d) => d.last_name).sort()).toEqual(["LEGACY", "ONE", "ONE-AGAIN"]);
      expect(await w.lookups.patients([], [])).toEqual([]);
      expect(ids(await w.lookups.patients(["P2"], []), "patient_id")).toEqual(["P2"]);
    });

    it("never returns a social security number, at the top or in the subscriber", async () => {
      await w.seed({
        patients: [
          { patient_id: "P1", ssn: "123-45-6789", subscriber: { member_id: "M1", ssn: "987-65-4321" } },
        ],
      });
      const [p] = await w.lookups.patients(["P1"], []);
      expect(p).toBeDefined();
      expect(p).not.toHaveProperty("ssn");
      expect(p?.subscriber).toEqual({ member_id: "M1" });
    });

    it("finds clients and npis by key, ignoring unknown keys", async () => {
      await w.seed({
        clients: [{ client_id: "C1" }, { client_id: "C2" }],
        npis: [{ npi: "1234567893" }, { npi: "1999999984" }],
      });
      expect(ids(await w.lookups.clients(["C2", "C3"]), "client_id")).toEqual(["C2"]);
      expect(ids(await w.lookups.npis(["1234567893", "1999999984"]), "npi")).toEqual([
        "1234567893",
        "1999999984",
      ]);
      expect(await w.lookups.clients([])).toEqual([]);
      expect(await w.lookups.npis([])).toEqual([]);
    });

    it("returns copies: changing a result changes nothing stored", async () => {
      await w.seed({ clients: [{ client_id: "C1", name: "ACME" }] });
      const [c] = await w.lookups.clients(["C1"]);
      (c as Doc).name = "CHANGED";
      const [again] = await w.lookups.clients(["C1"]);
      expect(again?.name).toBe("ACME");
    });
  });
}
