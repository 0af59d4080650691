// ops/replset-init.js runs in mongosh inside the compose stack. Here it runs in a vm against a
// scripted `db` (both mongosh behaviours: a failed command throws, or answers { ok: 0 }), with a
// fake clock, so its decisions are pinned without a replica set.
import { createContext, runInContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { readRepoFile } from "./assets.js";

const SCRIPT = readRepoFile("ops/replset-init.js");

type Command = Record<string, unknown>;
type Answer = Record<string, unknown>;

class ServerError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
  ) {
    super(`${codeName}: scripted failure`);
  }
}

interface Run {
  readonly commands: Command[];
  readonly printed: string[];
  readonly error: unknown;
}

/** Runs the script; `answer` gets each admin command and returns or throws like mongosh would. */
function run(answer: (cmd: Command, calls: number) => Answer): Run {
  const commands: Command[] = [];
  const printed: string[] = [];
  let now = 1_700_000_000_000;
  const context = createContext({
    db: {
      adminCommand: (cmd: Command) => {
        commands.push(cmd);
        return answer(cmd, commands.length);
      },
    },
    print: (...args: unknown[]) => printed.push(args.join(" ")),
    sleep: (ms: number) => {
      now += ms;
    },
    Date: { now: () => now },
  });
  let error: unknown;
  try {
    runInContext(SCRIPT, context, { filename: "replset-init.js" });
  } catch (err) {
    error = err;
  }
  return { commands, printed, error };
}

const members = (states: string[]) =>
  states.map((stateStr, i) => ({ name: `mongo${i + 1}:27017`, stateStr }));
const status = (states: string[], set = "rs0"): Answer => ({ ok: 1, set, members: members(states) });
const notYetInitialized = () => {
  throw new ServerError(94, "NotYetInitialized");
};

function fresh(opts: { throws: boolean }) {
  let initiated = false;
  let statusAfterInitiate = 0;
  return (cmd: Command): Answer => {
    if ("replSetInitiate" in cmd) {
      initiated = true;
      return { ok: 1 };
    }
    if (!initiated) {
      if (opts.throws) notYetInitialized();
      return {
        ok: 0,
        code: 94,
        codeName: "NotYetInitialized",
        errmsg: "no replset config has been received",
      };
    }
    statusAfterInitiate += 1;
    // Members load the config and hold an election before one of them is primary.
    if (statusAfterInitiate === 1) return { ok: 0, code: 94, codeName: "NotYetInitialized" };
    if (statusAfterInitiate === 2) return status(["STARTUP2", "STARTUP2", "STARTUP"]);
    return status(["PRIMARY", "SECONDARY", "SECONDARY"]);
  };
}

describe("ops/replset-init.js", () => {
  it("initiates rs0 with mongo1..3 on a fresh set and waits for the primary", () => {
    const r = run(fresh({ throws: true }));
    expect(r.error).toBeUndefined();
    const initiates = r.commands.filter((c) => "replSetInitiate" in c);
    expect(initiates).toEqual([
      {
        replSetInitiate: {
          _id: "rs0",
          members: [
            { _id: 0, host: "mongo1:27017", priority: 2 },
            { _id: 1, host: "mongo2:27017", priority: 1 },
            { _id: 2, host: "mongo3:27017", priority: 1 },
          ],
        },
      },
    ]);
    expect(r.printed.at(-1)).toBe("replica set rs0 primary: mongo1:27017");
  });

  it("works the same when the shell answers { ok: 0 } instead of throwing", () => {
    const r = run(fresh({ throws: false }));
    expect(r.error).toBeUndefined();
    expect(r.commands.filter((c) => "replSetInitiate" in c)).toHaveLength(1);
    expect(r.printed.at(-1)).toBe("replica set rs0 primary: mongo1:27017");
  });

  it("does not initiate an initiated set (idempotent re-run)", () => {
    const r = run(() => status(["SECONDARY", "PRIMARY", "SECONDARY"]));
    expect(r.error).toBeUndefined();
    expect(r.commands.every((c) => "replSetGetStatus" in c)).toBe(true);
    expect(r.printed).toEqual(["replica set rs0 already initiated", "replica set rs0 primary: mongo2:27017"]);
  });

  it("accepts losing an initiate race to another run (AlreadyInitialized)", () => {
    let initiated = false;
    const r = run((cmd) => {
      if ("replSetInitiate" in cmd) {
        initiated = true;
        throw new ServerError(23, "AlreadyInitialized");
      }
      if (!initiated) notYetInitialized();
      return status(["PRIMARY", "SECONDARY", "SECONDARY"]);
    });
    expect(r.error).toBeUndefined();
    expect(r.printed.at(-1)).toBe("replica set rs0 primary: mongo1:27017");
  });

  it("refuses a mongod that belongs to another replica set", () => {
    const r = run(() => status(["PRIMARY"], "other"));
    expect(String(r.error)).toMatch(/belongs to replica set other, expected rs0/);
    expect(r.commands.some((c) => "replSetInitiate" in c)).toBe(false);
  });

  it("fails on any other status error instead of initiating blindly", () => {
    const r = run(() => {
      throw new ServerError(13, "Unauthorized");
    });
    expect(String(r.error)).toMatch(/replSetGetStatus failed: Unauthorized/);
    expect(r.commands.some((c) => "replSetInitiate" in c)).toBe(false);
  });

  it("fails with the member states when no primary appears in time", () => {
    const r = run(() => status(["SECONDARY", "SECONDARY", "RECOVERING"]));
    expect(String(r.error)).toMatch(
      /no primary after 120s \(mongo1:27017 SECONDARY, mongo2:27017 SECONDARY, mongo3:27017 RECOVERING\)/,
    );
  });
});
