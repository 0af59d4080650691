// The runbook tells the truth (issue 15 item 9): the `/readyz` reasons it lists are the ones the
// code emits, the log fields it tells operators to filter on are the ones the code logs, and it
// never promises that `token reset --now` skips the backlog (a time-only checkpoint starts with
// the catch-up scan, which bills every ready claim not yet emitted).
import { describe, expect, it } from "vitest";
import { readRepoFile } from "./assets.js";

const runbook = readRepoFile("ops/runbook.md");
const readinessSource = readRepoFile("src/pipeline/engine.ts");

/** The `/readyz` paragraph of the runbook's "Where to look" section. */
function readyzParagraph(): string {
  const start = runbook.indexOf("`/readyz` answers");
  expect(start, "runbook has a /readyz paragraph").toBeGreaterThan(-1);
  return runbook.slice(start, runbook.indexOf("\n\n", start)).replace(/\s+/g, " ");
}

/** Every reason the engine's readiness() can return, with `${…}` parts as `<…>`. */
function codeReasons(): string[] {
  const body = readinessSource.slice(readinessSource.indexOf("readiness():"));
  const fn = body.slice(0, body.indexOf("\n  }\n"));
  const found = [...fn.matchAll(/reason:\s*(?:"([^"]+)"|`([^`]+)`)/g)].map((m) => m[1] ?? m[2] ?? "");
  return found.map((r) => r.replace(/\$\{[^}]*\}/g, "<x>").replace(/\s*<x>\s*$/, ""));
}

describe("ops/runbook.md", () => {
  it("lists every /readyz reason the code emits, by its words", () => {
    const para = readyzParagraph();
    const reasons = codeReasons();
    expect(reasons.length).toBeGreaterThan(3);
    for (const reason of reasons) {
      // Placeholders are worded for operators (`<dir>`, `<code>`); the fixed words must match.
      for (const words of reason
        .split("<x>")
        .map((w) => w.trim())
        .filter((w) => w.length > 0)) {
        expect(para, `reason "${reason}"`).toContain(words);
      }
    }
  });

  it("names no /readyz reason the code does not emit", () => {
    for (const stale of ["not connected", "not streaming", "lease held by another processor"]) {
      expect(runbook).not.toContain(`\`${stale}\``);
    }
  });

  it("tells operators to filter logs on the fields the code logs", () => {
    const batchProcessor = readRepoFile("src/pipeline/batch-processor.ts");
    expect(batchProcessor).toMatch(/logger\.child\(\{\s*batchId/);
    expect(runbook).toContain("filter on `batchId`");
    expect(runbook).not.toMatch(/`batch_id` in the logs|logs with `batch_id`|`event_id`/);
  });

  it("never says token reset --now skips the backlog", () => {
    expect(runbook).not.toMatch(/--now` skips/);
    expect(runbook).toMatch(/`--now` does \*\*not\*\* skip the backlog/);
    // The code behind the sentence: a checkpoint without a token starts with a catch-up scan.
    const source = readRepoFile("src/pipeline/claim-source.ts");
    expect(source).toMatch(/if \(cp\?\.token\)/);
    expect(source).toMatch(/scanUpTo: t0/);
  });
});
