// reissueEnvelope's refusals one by one (src/edi/reissue-envelope.ts): the control number's
// bounds inclusive at both ends, the exact error class, code and text of each refusal, and an
// ISA that is not exactly the renderer's 105 characters.
import { describe, expect, it } from "vitest";
import { ReissueContentError, reissueEnvelope } from "../../src/edi/reissue-envelope.js";
import { MAX_CONTROL_NUMBER, render837 } from "../../src/edi/render.js";
import { batchClaim, batchOf, joined } from "./builders.js";

const old = batchOf([joined(batchClaim(0))], { batchId: "bold00001", controlNumber: 41 });
const oldText = render837(old);
const createdAt = new Date("2026-11-29T01:02:00Z");
const next = (controlNumber: number, batchId = "bnew00002") => ({ batchId, controlNumber, createdAt });

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("reissueEnvelope: control number bounds", () => {
  it("accepts 1 and MAX_CONTROL_NUMBER, as the renderer does", () => {
    for (const n of [1, MAX_CONTROL_NUMBER]) {
      expect(reissueEnvelope(oldText, 41, next(n))).toBe(render837({ ...old, ...next(n) }));
    }
  });

  it.each([0, -1, MAX_CONTROL_NUMBER + 1, 1.5])("refuses %d with a RangeError naming the range", (n) => {
    const e = thrown(() => reissueEnvelope(oldText, 41, next(n)));
    expect(e).toBeInstanceOf(RangeError);
    expect((e as Error).message).toBe(`control number ${n} is not 1-999999999`);
  });

  it("refuses a batch id that gives no BHT03", () => {
    for (const batchId of ["", "  ", "b*1", "b~1"]) {
      const e = thrown(() => reissueEnvelope(oldText, 41, next(5, batchId)));
      expect(e, batchId).toBeInstanceOf(RangeError);
      expect((e as Error).message).toBe("the new batch id gives no BHT03");
    }
  });
});

describe("reissueEnvelope: stored content it will not guess about", () => {
  function contentError(content: string): ReissueContentError {
    const e = thrown(() => reissueEnvelope(content, 41, next(5)));
    expect(e).toBeInstanceOf(ReissueContentError);
    const err = e as ReissueContentError;
    expect(err.code).toBe("REISSUE_CONTENT");
    expect(err.name).toBe("ReissueContentError");
    return err;
  }

  it("a file that does not end with ~ and a line feed", () => {
    expect(contentError(oldText.slice(0, -1)).message).toBe(
      "the stored file does not end with ~ and a line feed",
    );
  });

  it("an ISA longer than the renderer's 105 characters, even with ISA13 in place", () => {
    const isaEnd = oldText.indexOf("~\n");
    expect(isaEnd).toBe(105);
    const longer = `${oldText.slice(0, isaEnd)}X${oldText.slice(isaEnd)}`;
    expect(longer.slice(90, 99)).toBe("000000041");
    expect(contentError(longer).message).toBe("the stored ISA does not carry ISA13 000000041");
  });
});
