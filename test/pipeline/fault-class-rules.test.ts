// The error catalogue, rule by rule: what makes an error a cancellation, a file-system (errno)
// error, a claimflow error of its own, and the exact one line toProcessFault gives each reason.
import { TaskCancelledError } from "cockatiel";
import { MongoNetworkError, MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { ContentIntegrityError, ProcessFaultError } from "../../src/domain/errors.js";
import {
  classifyFault,
  isCancellation,
  isRetryable,
  toProcessFault,
} from "../../src/pipeline/fault-class.js";
import { UnsafeOutputPathError } from "../../src/sink/fs-file-sink.js";

const errnoLike = <E extends Error>(err: E, fields: Record<string, unknown>): E => Object.assign(err, fields);

describe("classifyFault: cancellation", () => {
  it.each([
    ["cockatiel's TaskCancelledError", new TaskCancelledError("stopping")],
    ["an AbortError (fetch, timers/promises)", Object.assign(new Error("aborted"), { name: "AbortError" })],
  ])("%s is a cancellation, never retried", (_what, err) => {
    expect(isCancellation(err)).toBe(true);
    expect(classifyFault(err)).toEqual({ kind: "cancelled" });
    expect(isRetryable(err)).toBe(false);
  });

  it("an error merely named like something else is not a cancellation", () => {
    expect(isCancellation(new Error("aborted"))).toBe(false);
    expect(isCancellation({ name: "AbortError" })).toBe(false);
  });
});

describe("classifyFault: what counts as a file-system (errno) error", () => {
  it("an errno error whose path is not a string reports no path", () => {
    const err = errnoLike(new Error("EIO: i/o error"), {
      code: "EIO",
      syscall: "write",
      path: Buffer.from("/o"),
    });
    const fault = classifyFault(err);
    expect(fault).toEqual({ kind: "output", code: "EIO", path: undefined });
    expect(fault).toHaveProperty("path", undefined);
  });

  it("an errno error the output disk cannot cause is a process fault (unknown), not retried", () => {
    const err = errnoLike(new Error("EINVAL: invalid argument"), {
      code: "EINVAL",
      syscall: "open",
      path: "/o",
    });
    expect(classifyFault(err)).toEqual({ kind: "process", reason: "unknown" });
    expect(isRetryable(err)).toBe(false);
  });

  it.each([
    ["an output code without the system call", errnoLike(new Error("ENOSPC"), { code: "ENOSPC" }), "unknown"],
    [
      "a non-Error object shaped like an errno error",
      { code: "ENOSPC", syscall: "write", path: "/o", message: "ENOSPC" },
      "unknown",
    ],
    // Node's own ERR_* codes are not errno codes: a TypeError carrying one is still a bug.
    [
      "a TypeError with a Node ERR_ code and a syscall",
      errnoLike(new TypeError("bad arg"), { code: "ERR_INVALID_ARG_TYPE", syscall: "open" }),
      "bug",
    ],
    [
      "a TypeError whose ERR_ code ends like an errno code",
      errnoLike(new TypeError("is a dir"), { code: "ERR_FS_EISDIR", syscall: "cp" }),
      "bug",
    ],
  ])("%s is not an output fault (%s)", (_what, err, reason) => {
    expect(classifyFault(err)).toEqual({ kind: "process", reason });
    expect(isRetryable(err)).toBe(false);
  });
});

describe("classifyFault: claimflow's own errors", () => {
  it("a claimflow error other than an unsafe path is an internal process fault", () => {
    expect(classifyFault(new ContentIntegrityError("B-1"))).toEqual({ kind: "process", reason: "internal" });
  });
});

describe("toProcessFault: the exact one line per reason", () => {
  it("a ProcessFaultError passes through as it is", () => {
    const pf = new ProcessFaultError("bug", "stopped: already described");
    expect(toProcessFault(pf)).toBe(pf);
  });

  it.each([
    [
      "server: a MongoDB error no retry fixes, with its code name and code, values scrubbed",
      new MongoServerError({
        ok: 0,
        code: 11000,
        codeName: "DuplicateKey",
        errmsg: 'E11000 duplicate key error collection: claimflow.x index: k_1 dup key: { k: "123-45-6789" }',
      }),
      "server",
      "stopped: MongoDB error a retry cannot fix (DuplicateKey, code 11000): " +
        "E11000 duplicate key error collection: claimflow.x index: k_1 dup key: {[redacted]}",
    ],
    [
      "internal, a claimflow error: its message and its stable code",
      new ContentIntegrityError("B-7"),
      "internal",
      "stopped: stored content of batch B-7 does not match its sha256; refusing to write it [CONTENT_INTEGRITY]",
    ],
    [
      "internal, a transient error that escaped the retries: its class and message",
      new MongoNetworkError("connection 3 to db:27017 closed"),
      "internal",
      "stopped: MongoNetworkError: connection 3 to db:27017 closed",
    ],
    [
      "unknown, an errno error with a code but no code name",
      errnoLike(new Error("EINVAL: invalid argument, open '/o'"), { code: "EINVAL", syscall: "open" }),
      "unknown",
      "stopped: unexpected error (Error (code EINVAL)): EINVAL: invalid argument, open '[redacted]'",
    ],
    [
      "unknown, an Error without code",
      new Error("what\nsecond line"),
      "unknown",
      "stopped: unexpected error (Error): what",
    ],
    ["unknown, a thrown string", "boom", "unknown", "stopped: unexpected error (string): boom"],
  ])("%s", (_what, err, reason, line) => {
    const fault = toProcessFault(err);
    expect(fault.reason).toBe(reason);
    expect(fault.message).toBe(line);
    expect(fault.cause).toBe(err);
  });

  it("the unsafe-path line is the refusal itself plus what to check", () => {
    expect(toProcessFault(new UnsafeOutputPathError("../x")).message).toBe(
      "stopped: refusing to write outside the output directory or through a symlink: ../x; " +
        "check EDI_OUTPUT_DIR and the group/client ids",
    );
  });

  it("the detail is capped at 300 characters", () => {
    const fault = toProcessFault(new Error("x".repeat(400)));
    expect(fault.message).toBe(`stopped: unexpected error (Error): ${"x".repeat(300)}`);
  });

  it("stays one line even when the error's name spans lines (each break becomes one space)", () => {
    const err = new Error("odd");
    err.name = "Custom\nError";
    expect(toProcessFault(err).message).toBe("stopped: unexpected error (Custom Error): odd");
    err.name = "Custom  \n\t Error";
    expect(toProcessFault(err).message).toBe("stopped: unexpected error (Custom Error): odd");
  });
});
