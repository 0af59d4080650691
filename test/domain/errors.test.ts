// The typed errors are what an operator reads (one line on stderr, a dead_letters row, a log
// field) and what code switches on (`code`, `name`, the fields). Their texts are pinned here in
// full: a runbook step or an alert matches on them, and none may carry a document value.
import { describe, expect, it } from "vitest";
import {
  ClaimflowError,
  ConfigError,
  ContentIntegrityError,
  formatIssues,
  InvalidDocumentError,
  LeaseHeldError,
  ProcessFaultError,
  ResumeTokenLostError,
  StreamInvalidatedError,
  UnbillableClaimError,
  UsageError,
} from "../../src/domain/errors.js";

describe("formatIssues", () => {
  it("joins path and message per issue with '; ', and names an empty path (root)", () => {
    expect(
      formatIssues([
        { path: "lines.0.charge", message: "must be a positive amount" },
        { path: "", message: "must be an object" },
        { path: "patient_id", message: "required" },
      ]),
    ).toBe("lines.0.charge: must be a positive amount; (root): must be an object; patient_id: required");
  });

  it("is empty for no issues", () => {
    expect(formatIssues([])).toBe("");
  });
});

describe("ConfigError", () => {
  it("counts one problem in the singular and lists it on its own line", () => {
    const issues = [{ path: "EDI_WINDOW_MS", message: "must be a whole number of milliseconds" }];
    const e = new ConfigError(issues);
    expect(e).toBeInstanceOf(ClaimflowError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.name).toBe("ConfigError");
    expect(e.issues).toBe(issues);
    expect(e.message).toBe(
      "invalid configuration (1 problem):\n  - EDI_WINDOW_MS: must be a whole number of milliseconds",
    );
  });

  it("counts several problems in the plural, one line each", () => {
    const e = new ConfigError([
      { path: "MONGODB_URI", message: "required" },
      { path: "EDI_OUTPUT_DIR", message: "must be an absolute path" },
    ]);
    expect(e.message).toBe(
      "invalid configuration (2 problems):\n  - MONGODB_URI: required\n  - EDI_OUTPUT_DIR: must be an absolute path",
    );
  });
});

describe("InvalidDocumentError", () => {
  it("names the collection and every issue, in the formatIssues form", () => {
    const issues = [
      { path: "claim_number", message: "required" },
      { path: "", message: "unexpected field count" },
    ];
    const e = new InvalidDocumentError("claim_detail", issues);
    expect(e.code).toBe("DOCUMENT_INVALID");
    expect(e.name).toBe("InvalidDocumentError");
    expect(e.collection).toBe("claim_detail");
    expect(e.issues).toBe(issues);
    expect(e.message).toBe(
      "invalid claim_detail document: claim_number: required; (root): unexpected field count",
    );
  });
});

describe("UnbillableClaimError", () => {
  it("names the dead-letter reason and the issues", () => {
    const issues = [{ path: "patient_id", message: "no patient row has this id" }];
    const e = new UnbillableClaimError("patient_missing", issues);
    expect(e.code).toBe("CLAIM_UNBILLABLE");
    expect(e.name).toBe("UnbillableClaimError");
    expect(e.reason).toBe("patient_missing");
    expect(e.issues).toBe(issues);
    expect(e.message).toBe(
      "claim cannot be billed (patient_missing): patient_id: no patient row has this id",
    );
  });
});

describe("ResumeTokenLostError", () => {
  it("names the stream, the server code and both ways out, and keeps the cause", () => {
    const cause = new Error("ChangeStreamHistoryLost");
    const e = new ResumeTokenLostError("claims", 286, { cause });
    expect(e.code).toBe("RESUME_TOKEN_LOST");
    expect(e.name).toBe("ResumeTokenLostError");
    expect(e.streamName).toBe("claims");
    expect(e.serverCode).toBe(286);
    expect(e.cause).toBe(cause);
    expect(e.message).toBe(
      'resume token of stream "claims" can no longer be used (server code 286); ' +
        "fall back to a catch-up scan (EDI_ON_TOKEN_LOST=rescan) or reset it with `claimflow token reset`",
    );
  });

  it("says n/a when the server gave no code, and has no cause unless given one", () => {
    const e = new ResumeTokenLostError("claims", undefined);
    expect(e.serverCode).toBeUndefined();
    expect(e.message).toContain("(server code n/a)");
    expect("cause" in e).toBe(false);
  });
});

describe("StreamInvalidatedError", () => {
  it("names the stream and keeps the invalidate token to restart after", () => {
    const token = { _data: "8263F0A1B2000000012B0229296E04" };
    const e = new StreamInvalidatedError("claims", token);
    expect(e.code).toBe("STREAM_INVALIDATED");
    expect(e.name).toBe("StreamInvalidatedError");
    expect(e.streamName).toBe("claims");
    expect(e.invalidateToken).toBe(token);
    expect(e.message).toBe('change stream "claims" was invalidated; restarting after the invalidate event');
  });
});

describe("LeaseHeldError", () => {
  it("names the stream, the holder and the expiry in ISO form", () => {
    const expiresAt = new Date(Date.UTC(2026, 10, 29, 4, 5, 6, 789));
    const e = new LeaseHeldError("claims", "host-a:4242", expiresAt);
    expect(e.code).toBe("LEASE_HELD");
    expect(e.name).toBe("LeaseHeldError");
    expect(e.streamName).toBe("claims");
    expect(e.holder).toBe("host-a:4242");
    expect(e.expiresAt).toBe(expiresAt);
    expect(e.message).toBe(
      'stream "claims" is leased by host-a:4242 until 2026-11-29T04:05:06.789Z; ' +
        "wait for it to lapse or stop that processor",
    );
  });
});

describe("ContentIntegrityError", () => {
  it("names the batch and refuses to write it", () => {
    const e = new ContentIntegrityError("b-0001");
    expect(e.code).toBe("CONTENT_INTEGRITY");
    expect(e.name).toBe("ContentIntegrityError");
    expect(e.batchId).toBe("b-0001");
    expect(e.message).toBe("stored content of batch b-0001 does not match its sha256; refusing to write it");
  });
});

describe("UsageError", () => {
  it("carries the caller's one line unchanged", () => {
    const e = new UsageError("unknown command: frobnicate");
    expect(e.code).toBe("USAGE");
    expect(e.name).toBe("UsageError");
    expect(e.message).toBe("unknown command: frobnicate");
    expect(e).toBeInstanceOf(ClaimflowError);
  });
});

describe("ProcessFaultError", () => {
  it("carries the reason, the caller's message and the cause", () => {
    const cause = new TypeError("x is not a function");
    const e = new ProcessFaultError("bug", "processor stopped: a programming error", { cause });
    expect(e.code).toBe("PROCESS_FAULT");
    expect(e.name).toBe("ProcessFaultError");
    expect(e.reason).toBe("bug");
    expect(e.message).toBe("processor stopped: a programming error");
    expect(e.cause).toBe(cause);
  });
});

describe("codes", () => {
  it("are distinct per class, so a log or metric label tells the errors apart", () => {
    const codes = [
      new ConfigError([]).code,
      new InvalidDocumentError("c", []).code,
      new UnbillableClaimError("invalid_claim", []).code,
      new ResumeTokenLostError("s", 1).code,
      new StreamInvalidatedError("s", null).code,
      new LeaseHeldError("s", "h", new Date(0)).code,
      new ContentIntegrityError("b").code,
      new UsageError("u").code,
      new ProcessFaultError("unknown", "m").code,
    ];
    expect(new Set(codes).size).toBe(codes.length);
  });
});
