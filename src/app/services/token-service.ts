// Where a stream resumes from, as an operator sees and moves it (`token show`, `token reset`).
// The processor reads the same checkpoint document: a checkpoint with a cluster time and no
// token makes it run a catch-up scan of ready, unemitted claims and stream from that time
// (claim-source.ts initialPlan), so a reset never loses a ready claim. A reset is refused while
// a processor holds a live lease, because its next checkpoint save would silently undo it.
import { currentActor } from "../../audit/actor.js";
import { UsageError } from "../../domain/errors.js";
import type { AuditEntry } from "../../ports/audit-log.js";
import type { PipelinePorts } from "../../ports/bundle.js";
import { type ClusterTime, compareClusterTime } from "../../ports/change-feed.js";
import type { Checkpoint } from "../../ports/checkpoint-store.js";
import type { Clock } from "../../ports/clock.js";
import {
  type CheckpointSummary,
  clusterTimeToDate,
  dateToClusterTime,
  type LeaseSummary,
  summarizeCheckpoint,
  summarizeLease,
} from "./checkpoint-summary.js";
import { TokenResetRefusedError } from "./operator-errors.js";

export interface TokenServiceDeps {
  readonly ports: Pick<PipelinePorts, "checkpoints" | "leases" | "feed" | "audit" | "stats">;
  readonly clock: Clock;
  readonly actor?: () => AuditEntry["actor"];
}

export interface TokenView {
  readonly streamName: string;
  readonly checkpoint: CheckpointSummary | null;
  /** Seconds since the checkpoint was last written. */
  readonly ageSeconds: number | null;
  readonly lease: LeaseSummary | null;
}

export async function showToken(deps: TokenServiceDeps, streamName: string): Promise<TokenView> {
  const [cp, lease] = await Promise.all([
    deps.ports.checkpoints.load(streamName),
    deps.ports.leases.current(streamName),
  ]);
  const now = deps.clock.now();
  return {
    streamName,
    checkpoint: cp ? summarizeCheckpoint(cp) : null,
    ageSeconds: cp ? secondsBetween(cp.updatedAt, now) : null,
    lease: lease ? summarizeLease(lease) : null,
  };
}

/** `--now`: from the current cluster time; `--at`: from a past instant; `--clear`: no checkpoint. */
export type ResetTarget =
  | { readonly kind: "now" }
  | { readonly kind: "at"; readonly at: Date }
  | { readonly kind: "clear" };

export interface ResetPlan {
  readonly streamName: string;
  readonly target: ResetTarget;
  readonly before: CheckpointSummary | null;
  readonly lease: LeaseSummary | null;
  /** The reset goes ahead despite a live lease. */
  readonly forced: boolean;
  /** Things the operator should know before confirming (never reasons to refuse). */
  readonly warnings: readonly string[];
}

export interface ResetResult {
  readonly streamName: string;
  readonly before: CheckpointSummary | null;
  /** The stored position after the reset; null after `--clear`. */
  readonly after: CheckpointSummary | null;
  readonly forced: boolean;
}

/**
 * Checks that the reset may happen and says what it will change; writes nothing. Throws
 * TokenResetRefusedError while a live lease is held (unless `force`), UsageError for an `--at`
 * later than the cluster's current time (a change stream cannot start in the future).
 */
export async function planTokenReset(
  deps: TokenServiceDeps,
  streamName: string,
  target: ResetTarget,
  opts: { readonly force: boolean },
): Promise<ResetPlan> {
  const [cp, lease] = await Promise.all([
    deps.ports.checkpoints.load(streamName),
    deps.ports.leases.current(streamName),
  ]);
  const leaseSummary = lease ? summarizeLease(lease) : null;
  if (lease && leaseSummary?.live && !opts.force) {
    throw new TokenResetRefusedError(streamName, lease.holder, lease.expiresAt);
  }
  const warnings: string[] = [];
  if (leaseSummary?.live) {
    warnings.push(
      `the lease is held by ${leaseSummary.holder} until ${leaseSummary.expiresAt}; if that processor ` +
        "is still running, its next checkpoint save will overwrite this reset",
    );
  }
  if (target.kind === "at") {
    const clusterNow = await deps.ports.feed.currentClusterTime();
    if (compareClusterTime(dateToClusterTime(target.at), clusterNow) > 0) {
      throw new UsageError(
        `--at must not be later than the cluster's current time (${clusterTimeToDate(clusterNow).toISOString()})`,
      );
    }
    const window = deps.ports.stats ? await deps.ports.stats.oplogWindowSeconds() : null;
    if (window !== null && clusterNow.t - target.at.getTime() / 1000 > window) {
      warnings.push(
        `--at is older than the oldest oplog entry (window ${Math.floor(window)} s): the processor ` +
          "will find the position lost and follow EDI_ON_TOKEN_LOST (rescan by default)",
      );
    }
  }
  return {
    streamName,
    target,
    before: cp ? summarizeCheckpoint(cp) : null,
    lease: leaseSummary,
    forced: opts.force && leaseSummary?.live === true,
    warnings,
  };
}

/**
 * Applies a plan: stores the new position (or deletes the checkpoint) and appends the audit row.
 * The lease is checked again, since a processor may have started while the operator confirmed.
 */
export async function applyTokenReset(deps: TokenServiceDeps, plan: ResetPlan): Promise<ResetResult> {
  const { ports, clock } = deps;
  const actor = (deps.actor ?? currentActor)();
  const lease = await ports.leases.current(plan.streamName);
  const now = clock.now();
  if (lease?.live && !plan.forced) {
    throw new TokenResetRefusedError(plan.streamName, lease.holder, lease.expiresAt);
  }
  // Re-read so the audit row records what was actually replaced, not what the plan saw.
  const old = await ports.checkpoints.load(plan.streamName);
  let stored: Checkpoint | null = null;
  if (plan.target.kind === "clear") {
    await ports.checkpoints.clear(plan.streamName);
  } else {
    const clusterTime: ClusterTime =
      plan.target.kind === "now" ? await ports.feed.currentClusterTime() : dateToClusterTime(plan.target.at);
    stored = {
      streamName: plan.streamName,
      clusterTime,
      updatedAt: now,
      source: `operator:${actor.user}`,
    };
    await ports.checkpoints.save(stored);
  }
  const before = old ? summarizeCheckpoint(old) : null;
  const after = stored ? summarizeCheckpoint(stored) : null;
  await ports.audit.append({
    action: "token_reset",
    actor,
    at: now,
    streamName: plan.streamName,
    details: {
      mode: plan.target.kind,
      old_token: before?.token ?? null,
      old_cluster_time: before?.clusterTime ?? null,
      old_source: before?.source ?? null,
      new_cluster_time: after?.clusterTime ?? null,
      forced: plan.forced,
      lease_holder: lease?.holder ?? null,
    },
  });
  return { streamName: plan.streamName, before, after, forced: plan.forced };
}

function secondsBetween(from: Date, to: Date): number {
  return Math.max(0, (to.getTime() - from.getTime()) / 1000);
}
