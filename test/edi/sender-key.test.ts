// The interchange sender key (ISA05 + ISA06 exactly as the file carries them) and its file-name tag.
import { describe, expect, it } from "vitest";
import type { Client } from "../../src/domain/client.js";
import { render837 } from "../../src/edi/render.js";
import { interchangeSenderKey, senderFileTag } from "../../src/edi/sender-key.js";
import { batchOf, clientDoc, joined } from "./builders.js";

function isa(sender_id: string, sender_qualifier = "ZZ"): Pick<Client, "isa"> {
  return { isa: { sender_qualifier, sender_id, receiver_qualifier: "ZZ", receiver_id: "ACMECH" } } as Pick<
    Client,
    "isa"
  >;
}

describe("interchangeSenderKey", () => {
  it("is ISA05, a colon and ISA06 upper-cased and padded to 15", () => {
    expect(interchangeSenderKey(isa("SUNRISE"))).toBe("ZZ:SUNRISE        ");
    expect(interchangeSenderKey(isa("acme pharm", "01"))).toBe("01:ACME PHARM     ");
    expect(interchangeSenderKey(isa("ABCDEFGHIJKLMNO"))).toBe("ZZ:ABCDEFGHIJKLMNO");
  });

  it("gives spellings that render the same ISA06 one key", () => {
    expect(interchangeSenderKey(isa("acme pharm"))).toBe(interchangeSenderKey(isa("ACME PHARM")));
    expect(interchangeSenderKey(isa(" Acme Pharm "))).toBe(interchangeSenderKey(isa("ACME PHARM")));
  });

  it("equals the ISA05/ISA06 pair of the rendered file", () => {
    const j = joined({
      client: clientDoc({
        isa: {
          sender_qualifier: "ZZ",
          sender_id: "sunrise rx",
          receiver_qualifier: "ZZ",
          receiver_id: "ACMECH",
        },
      }),
    });
    const isaSegment = render837(batchOf([j])).split("~")[0] ?? "";
    const elements = isaSegment.split("*");
    expect(interchangeSenderKey(j.client)).toBe(`${elements[5]}:${elements[6]}`);
  });

  it.each([
    ["empty", ""],
    ["blank", "   "],
    ["longer than ISA06 (15)", "ABCDEFGHIJKLMNOP"],
    ["with a delimiter", "ACME*RX"],
    ["non-ASCII", "ÑANDU"],
  ])("is undefined when the sender id cannot be rendered (%s)", (_name, id) => {
    expect(interchangeSenderKey(isa(id))).toBeUndefined();
  });
});

describe("senderFileTag", () => {
  it.each([
    ["ZZ:SUNRISE        ", "ZZ_SUNRISE"],
    ["ZZ:ACME PHARM     ", "ZZ_ACME_PHARM"],
    ["01:ACME & CO      ", "01_ACME_CO"],
    ["ZZ:A.B-C", "ZZ_A.B-C"],
    ["ZZ:ACME_#", "ZZ_ACME"],
    ["ZZ:ACME__X", "ZZ_ACME_X"],
  ])("%j -> %s", (key, tag) => {
    expect(senderFileTag(key)).toBe(tag);
  });
});
