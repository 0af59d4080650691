// The processor's check of the input indexes (issue: missing input indexes are loud): at start
// and every EDI_INDEX_CHECK_SECONDS. A missing index makes claimflow slow, never wrong, so it does
// not stop billing and the processor stays ready; it logs one error naming each missing index and
// the command that creates it (again only when the set changes), sets
// claimflow_input_index_missing{collection,index}, and adds a note to /readyz.
import { type InputIndexReport, indexLabel } from "../../mongo/index-check.js";
import { INPUT_INDEXES } from "../../mongo/indexes.js";
import type { Logger } from "../../observability/logger.js";
import type { Metrics } from "../../observability/metrics.js";
import { PeriodicTask } from "./periodic-task.js";

export const ENSURE_COMMAND = "claimflow indexes ensure";

export interface InputIndexWatchOptions {
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export class InputIndexWatch {
  private readonly task: PeriodicTask;
  private missing: readonly string[] = [];
  private lastLogged: string | undefined;
  private uncheckedLogged = false;

  constructor(
    private readonly check: () => Promise<InputIndexReport>,
    private readonly opts: InputIndexWatchOptions,
  ) {
    this.task = new PeriodicTask(() => this.runOnce(), { intervalMs: opts.intervalMs });
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Missing input indexes as of the last check (`collection.name`). */
  get missingIndexes(): readonly string[] {
    return this.missing;
  }

  /** The /readyz note while indexes are missing; undefined when none are. */
  readinessNote(): string | undefined {
    if (this.missing.length === 0) return undefined;
    // The command first: /readyz reasons are cut at 200 characters, the list may be long.
    const text = `slow: ${this.missing.length} input index(es) missing, run \`${ENSURE_COMMAND}\`: ${this.missing.join(", ")}`;
    return text.length <= 200 ? text : `${text.slice(0, 199)}…`;
  }

  /** One check; never throws (a failed check keeps the last known state). */
  async runOnce(): Promise<void> {
    const { logger, metrics } = this.opts;
    let report: InputIndexReport;
    try {
      report = await this.check();
    } catch (err) {
      metrics.mongoErrors.inc({ operation: "stats" });
      logger.warn({ err }, "input index check failed; will retry");
      return;
    }
    const missing = new Set(report.missing.map(indexLabel));
    for (const d of INPUT_INDEXES) {
      if (report.unchecked.includes(d.collection)) continue;
      metrics.inputIndexMissing.set(
        { collection: d.collection, index: d.name },
        missing.has(indexLabel(d)) ? 1 : 0,
      );
    }
    this.missing = [...missing];
    const key = this.missing.join(",");
    if (this.missing.length > 0 && key !== this.lastLogged) {
      logger.error(
        {
          missingIndexes: report.missing.map((d) => ({
            collection: d.collection,
            index: d.name,
            key: d.key,
          })),
          fix: ENSURE_COMMAND,
        },
        `input indexes missing: ${this.missing.join(", ")}; every billed mark and lookup scans its ` +
          `collection until they exist: run \`${ENSURE_COMMAND}\``,
      );
    } else if (this.missing.length === 0 && this.lastLogged) {
      logger.info("input indexes present again");
    }
    this.lastLogged = this.missing.length > 0 ? key : undefined;
    if (report.unchecked.length > 0 && !this.uncheckedLogged) {
      this.uncheckedLogged = true;
      logger.warn(
        { collections: report.unchecked },
        "cannot list the indexes of some input collections (role lacks listIndexes); their indexes are not checked",
      );
    }
  }
}
