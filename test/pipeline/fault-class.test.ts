// The error catalogue: each class of error and what it means for a retry, and the one line the
// processor exits with.
import {
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoWriteConcernError,
} from "mongodb";
import { describe, expect, it } from "vitest";
import { InvalidDocumentError, ProcessFaultError, UnbillableClaimError } from "../../src/domain/errors.js";
import { classifyFault, isRetryable, toProcessFault } from "../../src/pipeline/fault-class.js";
import { UnsafeOutputPathError } from "../../src/sink/fs-file-sink.js";
import { InjectedFaultError } from "../memory/faults.js";

const server = (
  code: number,
  codeName: string,
  labels: string[] = [],
  errmsg = `${codeName} from the server`,
) => new MongoServerError({ ok: 0, code, codeName, errmsg, errorLabels: labels });
const errno = (code: string, syscall = "open") =>
  Object.assign(new Error(`${code}: failed`), { code, syscall, path: "/out/G/2026-01-01/C-1.837.tmp" });

describe("classifyFault", () => {
  it.each([
    ["a network error", new MongoNetworkError("socket closed")],
    ["a network timeout", new MongoNetworkTimeoutError("timed out")],
    ["no selectable server", new MongoServerSelectionError("no primary", { type: "Unknown" } as never)],
    ["NotWritablePrimary", server(10107, "NotWritablePrimary")],
    ["PrimarySteppedDown", server(189, "PrimarySteppedDown")],
    ["InterruptedDueToReplStateChange", server(11602, "InterruptedDueToReplStateChange")],
    ["a write conflict", server(112, "WriteConflict")],
    ["MaxTimeMSExpired", server(50, "MaxTimeMSExpired")],
    ["a transient transaction error", server(251, "NoSuchTransaction", ["TransientTransactionError"])],
    ["an unknown commit result", server(999_999, "Whatever", ["UnknownTransactionCommitResult"])],
    ["a retryable write error", server(999_998, "Whatever", ["RetryableWriteError"])],
    [
      "a write-concern timeout",
      new MongoWriteConcernError({
        ok: 1,
        writeConcernError: { code: 64, errmsg: "waiting for replication timed out" },
      }),
    ],
    ["an injected fault of the in-memory twins", new InjectedFaultError("ledger.reserve")],
  ])("%s is transient", (_what, err) => {
    expect(classifyFault(err)).toEqual({ kind: "transient" });
    expect(isRetryable(err)).toBe(true);
  });

  it.each(["ENOSPC", "EROFS", "EACCES", "EDQUOT", "EIO"])(
    "%s from the file system is an output fault",
    (code) => {
      const fault = classifyFault(errno(code));
      expect(fault).toEqual({ kind: "output", code, path: "/out/G/2026-01-01/C-1.837.tmp" });
      expect(isRetryable(errno(code))).toBe(true);
    },
  );

  it.each([
    ["Unauthorized", server(13, "Unauthorized"), "unauthorized"],
    ["AuthenticationFailed", server(18, "AuthenticationFailed"), "authentication"],
    ["BSONObjectTooLarge", server(10334, "BSONObjectTooLarge"), "too_large"],
    [
      "the driver's own size check",
      new RangeError("Document is larger than the maximum size 16777216"),
      "too_large",
    ],
    ["a duplicate key nobody handled", server(11000, "DuplicateKey"), "server"],
    [
      "a change stream that cannot resume",
      server(280, "ChangeStreamFatalError", ["NonResumableChangeStreamError"]),
      "server",
    ],
    ["a TypeError", new TypeError("x is undefined"), "bug"],
    ["an unsafe output path", new UnsafeOutputPathError("../x"), "unsafe_path"],
    ["an unknown Error", new Error("what"), "unknown"],
    ["a non-error", "a string", "unknown"],
  ])("%s is a process-level fault (%s)", (_what, err, reason) => {
    expect(classifyFault(err)).toEqual({ kind: "process", reason });
    expect(isRetryable(err)).toBe(false);
  });

  it("claim-level errors are claim faults (dead letters, never retried)", () => {
    expect(classifyFault(new InvalidDocumentError("patient", [{ path: "dob", message: "bad" }]))).toEqual({
      kind: "claim",
    });
    expect(classifyFault(new UnbillableClaimError("ambiguous_patient", []))).toEqual({ kind: "claim" });
  });
});

describe("toProcessFault: the one line the processor exits with", () => {
  it("says what failed and what to do, on one line, without the values MongoDB quotes", () => {
    const err = server(
      13,
      "Unauthorized",
      [],
      'not authorized on claimflow to execute command { insert: "edi_batches", documents: [ { ssn: "123-45-6789" } ] }',
    );
    const fault = toProcessFault(err);
    expect(fault).toBeInstanceOf(ProcessFaultError);
    expect(fault.code).toBe("PROCESS_FAULT");
    expect(fault.reason).toBe("unauthorized");
    expect(fault.message).not.toContain("\n");
    expect(fault.message).not.toContain("123-45-6789");
    expect(fault.message).toMatch(
      /^stopped: MongoDB refused an operation: not authorized \(Unauthorized, code 13\)/,
    );
    expect(fault.message).toContain("ops/roles");
  });

  it.each([
    [
      new TypeError("cannot read properties of undefined (reading 'x')\n    at foo"),
      /^stopped: internal error \(TypeError: .*\): a bug/,
    ],
    [server(18, "AuthenticationFailed"), /^stopped: MongoDB authentication failed .*EDI_MONGODB_URI/],
    [
      server(10334, "BSONObjectTooLarge"),
      /^stopped: a document is over MongoDB's 16 MiB limit.*EDI_BATCH_SIZE/,
    ],
    [
      new UnsafeOutputPathError("../../etc"),
      /^stopped: refusing to write outside the output directory.*EDI_OUTPUT_DIR/,
    ],
  ])("%s", (err, line) => {
    const fault = toProcessFault(err);
    expect(fault.message).toMatch(line);
    expect(fault.message).not.toContain("\n");
    expect(fault.cause).toBe(err);
  });
});
