#!/usr/bin/env node
// Prints the one closing line CI reads ("N passed, N failed[, N skipped]") from vitest's JSON report.
// Exits non-zero when the report is missing, a test failed, or a test file failed to load.
import { readFileSync } from "node:fs";

const path = process.argv[2] ?? "reports/vitest.json";
let report;
try {
  report = JSON.parse(readFileSync(path, "utf8"));
} catch (err) {
  console.log(`0 passed, 1 failed (no vitest report at ${path}: ${err.message})`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
let failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A suite that fails to import counts no tests but is a failure all the same.
const brokenFiles = (report.testResults ?? []).filter(
  (f) => f.status === "failed" && (f.assertionResults ?? []).every((a) => a.status !== "failed"),
).length;
failed += brokenFiles;
const line = `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;
console.log(line);
process.exit(failed > 0 || report.success === false ? 1 : 0);
