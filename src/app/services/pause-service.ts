// `claimflow pause` / `resume`: the operator's side of stream_controls. The active processor
// reads it every EDI_CONTROL_POLL_SECONDS and stops or restarts reading; every change is audited.
import { currentActor } from "../../audit/actor.js";
import type { AuditLog } from "../../ports/audit-log.js";
import type { Clock } from "../../ports/clock.js";
import type { PauseState, StreamControlStore } from "../../ports/stream-control.js";

export interface PauseDeps {
  readonly controls: StreamControlStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

export interface PauseChange {
  readonly streamName: string;
  readonly paused: boolean;
  readonly by: string;
  readonly reason: string | null;
  readonly at: string;
  /** Whether it was paused before this command. */
  readonly wasPaused: boolean;
}

export async function setStreamPaused(
  deps: PauseDeps,
  streamName: string,
  paused: boolean,
  reason: string | undefined,
): Promise<PauseChange> {
  const actor = currentActor();
  const by = `${actor.user}@${actor.host}`;
  const at = deps.clock.now();
  const before: PauseState = await deps.controls.setPaused(streamName, { paused, by, reason, at });
  await deps.audit.append({
    action: paused ? "stream_paused" : "stream_resumed",
    actor,
    at,
    streamName,
    details: { reason: reason ?? null, was_paused: before.paused },
  });
  return { streamName, paused, by, reason: reason ?? null, at: at.toISOString(), wasPaused: before.paused };
}
