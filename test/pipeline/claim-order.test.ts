import { describe, expect, it } from "vitest";
import { ClaimOrder } from "../../src/pipeline/claim-order.js";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("ClaimOrder", () => {
  it("runs batches sharing a claim number in the order they entered; others at once", async () => {
    const order = new ClaimOrder();
    const log: string[] = [];
    const leaveA = await order.enter(["X", "Y"]);
    let bIn = false;
    const b = order.enter(["Y"]).then((leave) => {
      bIn = true;
      log.push("B");
      return leave;
    });
    const c = order.enter(["Y", "Z"]).then((leave) => {
      log.push("C");
      return leave;
    });
    const leaveD = await order.enter(["W"]); // nothing in common: no wait
    log.push("D");
    await tick();
    expect(bIn).toBe(false);
    log.push("A leaves");
    leaveA();
    const leaveB = await b;
    await tick();
    expect(log).toEqual(["D", "A leaves", "B"]);
    leaveB();
    (await c)();
    leaveD();
    expect(log).toEqual(["D", "A leaves", "B", "C"]);
    expect(order.size).toBe(0);
  });

  it("a claim number repeated in one batch does not make it wait for itself", async () => {
    const order = new ClaimOrder();
    const leave = await order.enter(["X", "X", "X"]);
    leave();
    expect(order.size).toBe(0);
  });
});
