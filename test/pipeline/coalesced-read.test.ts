// Coalesced reads: reads that wait for a free slot go to the store as one query, and each
// caller gets exactly the documents of its own keys; a data refusal of a merged read is never
// blamed on another caller's keys.
import { describe, expect, it } from "vitest";
import { CoalescedRead } from "../../src/pipeline/coalesced-read.js";

interface Doc {
  readonly id: string;
  readonly n: number;
}

class Refused extends Error {}

/** A store whose reads wait for `release()`; it refuses any read that names "bad". */
function gatedStore(docs: readonly Doc[]) {
  const queries: string[][] = [];
  const gates: (() => void)[] = [];
  const fetch = async (keys: readonly string[]): Promise<Doc[]> => {
    queries.push([...keys]);
    await new Promise<void>((r) => gates.push(r));
    if (keys.includes("bad")) throw new Refused("cannot read one document");
    return docs.filter((d) => keys.includes(d.id));
  };
  const releaseAll = async () => {
    for (let i = 0; i < 50 && (gates.length > 0 || i < 3); i++) {
      for (const g of gates.splice(0)) g();
      await new Promise((r) => setTimeout(r, 0));
    }
  };
  return { fetch, queries, releaseAll };
}

const DOCS: Doc[] = [
  { id: "a", n: 1 },
  { id: "b", n: 2 },
  { id: "b", n: 3 },
  { id: "c", n: 4 },
  { id: "d", n: 5 },
];

describe("CoalescedRead", () => {
  it("reads waiting callers' keys in one query (deduplicated) and hands each its own documents", async () => {
    const store = gatedStore(DOCS);
    const read = new CoalescedRead<string, Doc>({
      fetch: store.fetch,
      keyOfDoc: (d) => d.id,
      concurrency: 1,
    });
    const first = read.read(["a"]);
    const second = read.read(["b", "c"]);
    const third = read.read(["c", "d", "x"]);
    const fourth = read.read(["b", "b"]);
    await store.releaseAll();
    expect(await first).toEqual([{ id: "a", n: 1 }]);
    expect(await second).toEqual([
      { id: "b", n: 2 },
      { id: "b", n: 3 },
      { id: "c", n: 4 },
    ]);
    expect(await third).toEqual([
      { id: "c", n: 4 },
      { id: "d", n: 5 },
    ]);
    expect(await fourth).toEqual([
      { id: "b", n: 2 },
      { id: "b", n: 3 },
    ]);
    expect(store.queries).toEqual([["a"], ["b", "c", "d", "x"]]);
  });

  it("never queries for no keys", async () => {
    const store = gatedStore(DOCS);
    const read = new CoalescedRead<string, Doc>({ fetch: store.fetch, keyOfDoc: (d) => d.id });
    expect(await read.read([])).toEqual([]);
    expect(store.queries).toEqual([]);
  });

  it("reads a merged query the server refused for data again per caller: only the bad key's caller fails", async () => {
    const store = gatedStore(DOCS);
    const read = new CoalescedRead<string, Doc>({
      fetch: store.fetch,
      keyOfDoc: (d) => d.id,
      isolateOn: (err) => err instanceof Refused,
      concurrency: 1,
    });
    const first = read.read(["a"]);
    const good = read.read(["b"]);
    const poisoned = read.read(["bad", "c"]);
    const alsoGood = read.read(["d"]);
    const settled = Promise.allSettled([first, good, poisoned, alsoGood]);
    await store.releaseAll();
    const [r1, r2, r3, r4] = await settled;
    expect(r1).toEqual({ status: "fulfilled", value: [{ id: "a", n: 1 }] });
    expect(r2).toEqual({
      status: "fulfilled",
      value: [
        { id: "b", n: 2 },
        { id: "b", n: 3 },
      ],
    });
    expect(r3).toMatchObject({ status: "rejected", reason: expect.any(Refused) });
    expect(r4).toEqual({ status: "fulfilled", value: [{ id: "d", n: 5 }] });
    expect(store.queries).toEqual([["a"], ["b", "bad", "c", "d"], ["b"], ["bad", "c"], ["d"]]);
  });

  it("fails every caller of a merged read on any other error (each caller retries its own way)", async () => {
    const store = gatedStore(DOCS);
    const read = new CoalescedRead<string, Doc>({
      fetch: store.fetch,
      keyOfDoc: (d) => d.id,
      isolateOn: () => false,
      concurrency: 1,
    });
    const first = read.read(["a"]);
    const rest = [read.read(["b"]), read.read(["bad"])];
    const settled = Promise.allSettled([first, ...rest]);
    await store.releaseAll();
    const [r1, r2, r3] = await settled;
    expect(r1?.status).toBe("fulfilled");
    expect(r2).toMatchObject({ status: "rejected", reason: expect.any(Refused) });
    expect(r3).toMatchObject({ status: "rejected", reason: expect.any(Refused) });
    expect(store.queries).toHaveLength(2);
  });
});
