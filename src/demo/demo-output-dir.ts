// The demo writes synthetic 837s; a pickup job watching a real output directory could send
// them to a payer. So the demo writes only into a directory that is new, empty, or marked as
// the demo's own by the marker file it leaves there.
//
// Each demo run starts a new embedded replica set, so its ledger and control numbers start
// again at 1: the previous run's files would sit on the same paths with different content, and
// the sink (rightly) refuses to replace a file whose content differs. A marked directory holds
// only the demo's own synthetic files, so a new run clears them first.
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../domain/errors.js";

export const DEMO_MARKER = ".claimflow-demo";

const MARKER_TEXT =
  "This directory holds synthetic 837 files written by `claimflow demo`. Never send them to a payer.\n";

/**
 * Creates `dir` if needed and marks it as the demo's; refuses (UsageError, exit 2) a directory
 * that already holds entries without the marker. In a marked directory the previous run's
 * entries are removed; returns how many top-level entries were. The path is the operator's own
 * setting, so naming it in the message discloses nothing.
 */
export async function claimDemoOutputDir(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  const entries = await readdir(dir);
  if (entries.length > 0 && !entries.includes(DEMO_MARKER)) {
    throw new UsageError(
      `EDI_OUTPUT_DIR (${dir}) already holds files the demo did not write; ` +
        "point EDI_OUTPUT_DIR at a new or empty directory for `claimflow demo`",
    );
  }
  const previous = entries.filter((e) => e !== DEMO_MARKER);
  for (const e of previous) await rm(join(dir, e), { recursive: true, force: true });
  await writeFile(join(dir, DEMO_MARKER), MARKER_TEXT, { flag: "w" });
  return previous.length;
}
