// `claimflow status`: one picture of a stream's health from the database (checkpoint, lease,
// ledger, dead letters, oplog) and, when a processor's /metrics answers, its live figures.
// Reads only; every figure comes from the same ports and gauges the processor maintains.

import { type InputIndexReport, indexLabel } from "../../mongo/index-check.js";
import type { PipelinePorts } from "../../ports/bundle.js";
import type { Clock } from "../../ports/clock.js";
import type { BackfillRequest, PauseState } from "../../ports/stream-control.js";
import { filesAwaiting999 } from "./ack-service.js";
import {
  type CheckpointSummary,
  checkpointClusterTime,
  clusterTimeToDate,
  type LeaseSummary,
  summarizeCheckpoint,
  summarizeLease,
} from "./checkpoint-summary.js";
import { type ProcessorProbe, probeProcessor } from "./processor-metrics.js";

/** Batches whose stored content this process cannot decrypt (src/crypto/content-inventory.ts). */
export interface UndecryptableSource {
  undecryptable(): Promise<{ readonly batches: number; readonly keyIds: readonly string[] }>;
}

export interface StatusDeps {
  readonly ports: Pick<
    PipelinePorts,
    "checkpoints" | "leases" | "feed" | "ledger" | "deadLetters" | "stats"
  > &
    Partial<Pick<PipelinePorts, "acks">>;
  readonly clock: Clock;
  readonly content?: UndecryptableSource;
  /** The input-index check (`claimflow indexes ensure` creates what it finds missing). */
  readonly inputIndexes?: () => Promise<InputIndexReport>;
  /** `claimflow pause` state of the stream. */
  readonly pauseState?: (streamName: string) => Promise<PauseState>;
  /** The stream's latest `claimflow backfill` requests, newest first. */
  readonly backfills?: (streamName: string) => Promise<BackfillRequest[]>;
}

/** One backfill request as status shows it (ISO times; counts as the processor last wrote them). */
export interface BackfillSummary {
  readonly id: string;
  readonly state: BackfillRequest["state"];
  readonly slice: { group: string; client: string | null; since: string; until: string | null };
  readonly requestedAt: string;
  readonly requestedBy: string;
  readonly attempts: number;
  readonly total: number;
  readonly scanned: number;
  readonly alreadyEmitted: number;
  readonly queued: number;
  readonly billed: number;
  readonly finishedAt: string | null;
  readonly runBy: string | null;
  readonly error: string | null;
}

export interface StatusOptions {
  readonly streamName: string;
  readonly groupFilter?: string | undefined;
  /** The processor's /metrics URL; undefined skips the probe. */
  readonly metricsUrl?: string | undefined;
  readonly probeTimeoutMs?: number;
  /** EDI_ACK_EXPECTED_WITHIN_HOURS; with an acknowledgement store, files waiting for a 999 are counted. */
  readonly ackExpectedWithinHours?: number | undefined;
}

export interface StatusReport {
  readonly streamName: string;
  /** The cluster's current time (ISO). */
  readonly clusterTime: string;
  readonly checkpoint: CheckpointSummary | null;
  /** Seconds since the checkpoint was last written. */
  readonly checkpointAgeSeconds: number | null;
  /**
   * Cluster time now minus the checkpoint's cluster time: how far behind a restart would begin.
   * An estimate: on an idle stream the stored position may trail the cluster clock harmlessly.
   */
  readonly streamLagSeconds: number | null;
  readonly lease: LeaseSummary | null;
  readonly reservedBatches: number;
  /** Batches sealed under a key that is not configured (null: not checked). */
  readonly undecryptableBatches: { readonly batches: number; readonly keyIds: readonly string[] } | null;
  readonly deadLetters: number;
  /** Age of the oldest oplog entry; null when the deployment does not say. */
  readonly oplogWindowSeconds: number | null;
  /** Oplog window minus stream lag: time left before the stored position falls off the oplog. */
  readonly checkpointHeadroomSeconds: number | null;
  readonly readyBacklog: number | null;
  /** Written files (last 30 days) with no 999 after EDI_ACK_EXPECTED_WITHIN_HOURS; null: not counted. */
  readonly filesAwaiting999: number | null;
  /** Input indexes missing (`collection.name`) and collections whose indexes could not be listed; null: not checked. */
  readonly inputIndexes: {
    readonly missing: readonly string[];
    readonly unchecked: readonly string[];
  } | null;
  /** Paused by `claimflow pause` (who, why, since when); null: not read. */
  readonly pause: {
    readonly paused: boolean;
    readonly by: string | null;
    readonly reason: string | null;
    readonly since: string | null;
  } | null;
  /** The latest backfill requests (newest first, at most STATUS_BACKFILLS); null: not read. */
  readonly backfills: readonly BackfillSummary[] | null;
  readonly processor: ProcessorProbe | null;
}

/** How many backfill requests `status` shows. */
export const STATUS_BACKFILLS = 3;

export async function collectStatus(deps: StatusDeps, opts: StatusOptions): Promise<StatusReport> {
  const { ports, clock } = deps;
  const stats = ports.stats;
  const [
    cp,
    lease,
    clusterNow,
    reserved,
    dead,
    oplogWindow,
    backlog,
    processor,
    undecryptable,
    awaiting,
    indexes,
    pause,
    backfills,
  ] = await Promise.all([
    ports.checkpoints.load(opts.streamName),
    ports.leases.current(opts.streamName),
    ports.feed.currentClusterTime(),
    ports.ledger.countReserved(),
    ports.deadLetters.count(),
    stats ? stats.oplogWindowSeconds() : Promise.resolve(null),
    stats ? stats.readyBacklog({ groupFilter: opts.groupFilter }) : Promise.resolve(null),
    opts.metricsUrl ? probeProcessor(opts.metricsUrl, opts.probeTimeoutMs) : Promise.resolve(null),
    deps.content ? deps.content.undecryptable() : Promise.resolve(null),
    ports.acks && opts.ackExpectedWithinHours !== undefined
      ? filesAwaiting999({
          ports: { acks: ports.acks },
          clock,
          config: { ackExpectedWithinHours: opts.ackExpectedWithinHours },
        })
      : Promise.resolve(null),
    deps.inputIndexes ? deps.inputIndexes() : Promise.resolve(null),
    deps.pauseState ? deps.pauseState(opts.streamName) : Promise.resolve(null),
    deps.backfills ? deps.backfills(opts.streamName) : Promise.resolve(null),
  ]);
  const now = clock.now();
  const cpTime = cp ? checkpointClusterTime(cp) : null;
  const lag = cpTime ? Math.max(0, clusterNow.t - cpTime.t) : null;
  return {
    streamName: opts.streamName,
    clusterTime: clusterTimeToDate(clusterNow).toISOString(),
    checkpoint: cp ? summarizeCheckpoint(cp) : null,
    checkpointAgeSeconds: cp ? Math.max(0, (now.getTime() - cp.updatedAt.getTime()) / 1000) : null,
    streamLagSeconds: lag,
    lease: lease ? summarizeLease(lease) : null,
    reservedBatches: reserved,
    undecryptableBatches: undecryptable,
    deadLetters: dead,
    oplogWindowSeconds: oplogWindow,
    checkpointHeadroomSeconds: oplogWindow !== null && lag !== null ? oplogWindow - lag : null,
    readyBacklog: backlog,
    filesAwaiting999: awaiting,
    inputIndexes: indexes ? { missing: indexes.missing.map(indexLabel), unchecked: indexes.unchecked } : null,
    pause: pause
      ? {
          paused: pause.paused,
          by: pause.by ?? null,
          reason: pause.reason ?? null,
          since: pause.at ? pause.at.toISOString() : null,
        }
      : null,
    backfills: backfills ? backfills.map(summarizeBackfill) : null,
    processor,
  };
}

function summarizeBackfill(b: BackfillRequest): BackfillSummary {
  return {
    id: b.id,
    state: b.state,
    slice: {
      group: b.slice.group,
      client: b.slice.client ?? null,
      since: b.slice.since.toISOString(),
      until: b.slice.until?.toISOString() ?? null,
    },
    requestedAt: b.requestedAt.toISOString(),
    requestedBy: b.requestedBy,
    attempts: b.attempts,
    total: b.total,
    scanned: b.scanned,
    alreadyEmitted: b.alreadyEmitted,
    queued: b.queued,
    billed: b.billed,
    finishedAt: b.finishedAt?.toISOString() ?? null,
    runBy: b.runBy ?? null,
    error: b.error ?? null,
  };
}
