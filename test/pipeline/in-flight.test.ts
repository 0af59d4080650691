// Issue 14: the backpressure limiter's and the group commit's constructor guards (exact texts),
// and the limiter's permit accounting: a released permit goes to exactly one waiter.
import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../src/pipeline/group-commit.js";
import { InFlightLimiter } from "../../src/pipeline/in-flight.js";

describe("InFlightLimiter", () => {
  it.each([0, -1, 1.5, Number.NaN])("refuses capacity %s", (c) => {
    expect(() => new InFlightLimiter(c)).toThrow(new RangeError("capacity must be a positive integer"));
  });

  it("accepts capacity 1", () => {
    expect(new InFlightLimiter(1).capacity).toBe(1);
  });

  it("wakeAll wakes every waiter over capacity, each holding one permit it gives back", async () => {
    const l = new InFlightLimiter(1);
    await l.acquire();
    const a = l.acquire();
    const b = l.acquire();
    l.wakeAll();
    await Promise.all([a, b]);
    expect(l.inFlight).toBe(3);
    // As the source does when it finds the stop flag, then the first holder's ack.
    l.release();
    l.release();
    l.release();
    expect(l.inFlight).toBe(0);
    expect(() => l.release()).toThrow("InFlightLimiter released more permits than it gave out");
  });

  it("a released permit wakes one waiter, which then holds it", async () => {
    const l = new InFlightLimiter(1);
    await l.acquire();
    const woken: number[] = [];
    const a = l.acquire().then(() => woken.push(1));
    const b = l.acquire().then(() => woken.push(2));
    l.release();
    await a;
    expect(woken).toEqual([1]);
    expect(l.inFlight).toBe(1);
    l.release();
    await b;
    expect(woken).toEqual([1, 2]);
    expect(l.inFlight).toBe(1);
  });
});

describe("GroupCommit options", () => {
  const run = async (xs: readonly number[]) => xs;
  it.each([0, -1, 2.5])("refuses maxGroup %s", (maxGroup) => {
    expect(() => new GroupCommit(run, { maxGroup })).toThrow(new RangeError("maxGroup must be >= 1"));
  });
  it.each([0, 1.5])("refuses concurrency %s", (concurrency) => {
    expect(() => new GroupCommit(run, { concurrency })).toThrow(new RangeError("concurrency must be >= 1"));
  });
  it("accepts maxGroup 1 and concurrency 1", async () => {
    const g = new GroupCommit(run, { maxGroup: 1, concurrency: 1 });
    expect(await Promise.all([g.submit(1), g.submit(2)])).toEqual([1, 2]);
  });
});
