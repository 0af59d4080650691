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

  it("says a hot standby is ready (role standby, claimflow_lease_active), as the engine answers", () => {
    // The code: readiness()'s standby branch is ready with role standby while it can poll.
    const fn = readinessSource.slice(readinessSource.indexOf("readiness():"));
    expect(fn.slice(0, fn.indexOf("\n  }\n"))).toMatch(
      /state === "standby"\)\s*return this\.lease\.reachable\s*\?\s*\{ ready: true, role: "standby" \}/,
    );
    expect(readRepoFile("src/observability/metrics.ts")).toContain('name: "claimflow_lease_active"');
    const para = readyzParagraph();
    expect(para).toMatch(
      /A standby \(another processor holds the lease[^)]*\) is ready while it can reach MongoDB/,
    );
    expect(para).toContain("claimflow_lease_active");
    const readme = readRepoFile("README.md").replace(/\s+/g, " ");
    expect(readme).toMatch(/200 with `"role":"standby"` on a hot standby/);
    expect(readme).toContain("`claimflow_lease_active`");
    // Nothing an operator reads says a standby (or every instance while one is active) gets 503.
    const stale =
      /every \/readyz answers 503|200 only when connected, holding the lease|standby[^.\n]*answers 503/i;
    for (const file of ["ops/runbook.md", "README.md", "ops/alerts.yml"]) {
      expect(readRepoFile(file).replace(/\s+/g, " "), file).not.toMatch(stale);
    }
  });

  it("words the note of a ready processor with missing input indexes as the code does", () => {
    const watch = readRepoFile("src/app/services/input-index-watch.ts");
    expect(watch).toMatch(
      /`slow: \$\{this\.missing\.length\} input index\(es\) missing, run \\`\$\{ENSURE_COMMAND\}\\`: /,
    );
    expect(readyzParagraph()).toContain(
      "`slow: N input index(es) missing, run \\`claimflow indexes ensure\\`:",
    );
  });

  it("documents the group filter disagreement counter the code registers", () => {
    expect(readRepoFile("src/observability/metrics.ts")).toContain(
      'name: "claimflow_group_filter_disagreements_total"',
    );
    expect(readRepoFile("README.md")).toContain("`claimflow_group_filter_disagreements_total`");
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
