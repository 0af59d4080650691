// EDI_GROUP_FILTER outside the syntax JavaScript and MongoDB read alike is refused at start: the
// real binary exits 2 with the configuration report: one line for the problem, naming the
// variable, the position and the rule.
import { beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBuilt } from "./cli-harness.js";

const DEAD_URI = {
  EDI_MONGODB_URI: "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=2000",
  EDI_TIMEOUT_MS: "2000",
};

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

describe("EDI_GROUP_FILTER", () => {
  it.concurrent.each([
    ["run", "^[[:upper:]]", /EDI_GROUP_FILTER.*POSIX.*character 3/],
    ["run", "^GRP\\s", /EDI_GROUP_FILTER.*\\s.*character 5/],
    ["status", "(?i)grp", /EDI_GROUP_FILTER/],
  ])("%s refuses %s in one line, exit 2, before connecting", async (command, filter, pattern) => {
    const r = await cli([command], { ...DEAD_URI, EDI_GROUP_FILTER: filter });
    expect(r.code).toBe(2);
    const lines = r.stderr.split("\n").filter((l) => l.length > 0);
    expect(lines[0]).toMatch(/invalid configuration \(1 problem\)/);
    expect(lines.filter((l) => pattern.test(l))).toHaveLength(1);
    expect(lines).toHaveLength(2);
    expect(r.stderr).not.toMatch(/\n\s+at |ECONNREFUSED|connect/);
  });
});
