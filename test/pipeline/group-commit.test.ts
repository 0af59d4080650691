// Group commit: calls arriving while round trips are in flight go together in the next one;
// an idle call goes at once; a failure rejects exactly its group.
import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../src/pipeline/group-commit.js";

function deferred() {
  let release!: () => void;
  const p = new Promise<void>((r) => {
    release = r;
  });
  return { p, release };
}

describe("GroupCommit", () => {
  it("runs an idle call alone, then groups the calls that waited", async () => {
    const groups: number[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const gc = new GroupCommit<number, number>(
      async (items) => {
        groups.push([...items]);
        const g = deferred();
        gates.push(g);
        await g.p;
        return items.map((i) => i * 10);
      },
      { concurrency: 1 },
    );
    const first = gc.submit(1);
    const rest = [gc.submit(2), gc.submit(3), gc.submit(4)];
    expect(groups).toEqual([[1]]);
    gates[0]?.release();
    expect(await first).toBe(10);
    await new Promise((r) => setImmediate(r));
    expect(groups).toEqual([[1], [2, 3, 4]]);
    gates[1]?.release();
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
  });

  it("keeps up to `concurrency` groups in flight and caps the group size", async () => {
    const groups: number[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const gc = new GroupCommit<number, number>(
      async (items) => {
        groups.push([...items]);
        const g = deferred();
        gates.push(g);
        await g.p;
        return [...items];
      },
      { concurrency: 2, maxGroup: 2 },
    );
    const all = [1, 2, 3, 4, 5, 6].map((i) => gc.submit(i));
    expect(groups).toEqual([[1], [2]]);
    gates[0]?.release();
    await new Promise((r) => setImmediate(r));
    expect(groups).toEqual([[1], [2], [3, 4]]);
    for (let i = 1; i < 5; i++) {
      gates[i]?.release();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(groups.flat()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("rejects every call of a failed group, and only those", async () => {
    let n = 0;
    const gc = new GroupCommit<number, number>(
      async (items) => {
        n++;
        if (items.includes(2)) throw new Error("boom");
        return [...items];
      },
      { concurrency: 1 },
    );
    const a = gc.submit(1);
    const b = gc.submit(2);
    const c = gc.submit(3);
    expect(await a).toBe(1);
    await expect(b).rejects.toThrow("boom");
    await expect(c).rejects.toThrow("boom");
    expect(await gc.submit(4)).toBe(4);
    expect(n).toBe(3);
    expect(() => new GroupCommit(async () => [], { concurrency: 0 })).toThrow(RangeError);
  });
});
