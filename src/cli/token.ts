// `claimflow token show | reset`: where a stream resumes from, and moving it by hand.
import type { Command } from "commander";
import type { CheckpointSummary, LeaseSummary } from "../app/services/checkpoint-summary.js";
import {
  applyTokenReset,
  planTokenReset,
  type ResetTarget,
  showToken,
} from "../app/services/token-service.js";
import { UsageError } from "../domain/errors.js";
import { isoInstantArg, parseArg, parseOptionalArg, streamNameArg } from "./args.js";
import { confirmAction, requireConfirmable } from "./confirm.js";
import { withOperatorContext } from "./context.js";
import { duration, keyValues, printJson, println } from "./format.js";

interface ShowOptions {
  stream?: string;
  json?: boolean;
}

interface ResetOptions {
  stream?: string;
  now?: boolean;
  at?: string;
  clear?: boolean;
  yes?: boolean;
  force?: boolean;
  json?: boolean;
}

export function registerToken(program: Command): void {
  const token = program
    .command("token")
    .description("show or move the stored resume position of a stream (stream_checkpoints)");

  token
    .command("show")
    .description("print the stored resume token, its cluster time, age, source and the lease holder")
    .option("--stream <name>", "stream name (default: EDI_STREAM_NAME, else claim_detail)")
    .option("--json", "print JSON")
    .action(async (opts: ShowOptions) => {
      const streamArg = parseOptionalArg(streamNameArg, opts.stream, "--stream");
      await withOperatorContext(async (ctx) => {
        const view = await showToken(ctx, streamArg ?? ctx.config.streamName);
        if (opts.json) return printJson(view);
        if (view.checkpoint === null) {
          println(
            keyValues([
              ["stream", view.streamName],
              ["checkpoint", "none: the processor will scan ready claims, then stream from the current time"],
              ["lease", leaseText(view.lease)],
            ]),
          );
          return;
        }
        println(
          keyValues([
            ["stream", view.streamName],
            ...checkpointRows(view.checkpoint),
            ["age", `${duration(view.ageSeconds ?? 0)} (updated ${view.checkpoint.updatedAt})`],
            ["lease", leaseText(view.lease)],
          ]),
        );
      });
    });

  token
    .command("reset")
    .description(
      "move the resume position: --now (current cluster time), --at <ISO time>, or --clear (delete it); " +
        "without a token the processor scans ready, unemitted claims, then streams from that time",
    )
    .option(
      "--now",
      "stream from the cluster's current time (a catch-up scan still bills ready claims not yet emitted)",
    )
    .option("--at <time>", "resume from this ISO-8601 time (e.g. 2025-03-01T12:00:00Z)")
    .option("--clear", "delete the checkpoint (as on a first start)")
    .option("--stream <name>", "stream name (default: EDI_STREAM_NAME, else claim_detail)")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--force", "reset even while a processor holds a live lease")
    .option("--json", "print the result as JSON")
    .action(async (opts: ResetOptions) => {
      const target = resetTarget(opts);
      const streamArg = parseOptionalArg(streamNameArg, opts.stream, "--stream");
      requireConfirmable("token reset", { yes: opts.yes === true });
      await withOperatorContext(async (ctx) => {
        const streamName = streamArg ?? ctx.config.streamName;
        const plan = await planTokenReset(ctx, streamName, target, { force: opts.force === true });
        for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
        const from = plan.before?.clusterTime ?? (plan.before ? "a token" : "no checkpoint");
        await confirmAction(
          "token reset",
          `Reset stream "${streamName}" from ${from} to ${describeTarget(target)}?`,
          { yes: opts.yes === true },
        );
        const result = await applyTokenReset(ctx, plan);
        if (opts.json) return printJson(result);
        println(
          keyValues([
            ["stream", result.streamName],
            ["before", result.before ? positionText(result.before) : "no checkpoint"],
            ["after", result.after ? positionText(result.after) : "no checkpoint (cleared)"],
            ...(result.forced ? ([["forced", "yes (lease was live)"]] as [string, string][]) : []),
            ["audit", "token_reset recorded in audit_log"],
          ]),
        );
      });
    });
}

/** Exactly one of --now, --at, --clear. */
function resetTarget(opts: ResetOptions): ResetTarget {
  const given = [opts.now === true, opts.at !== undefined, opts.clear === true].filter(Boolean).length;
  if (given !== 1) {
    throw new UsageError("token reset needs exactly one of --now, --at <ISO time>, --clear");
  }
  if (opts.now) return { kind: "now" };
  if (opts.clear) return { kind: "clear" };
  return { kind: "at", at: parseArg(isoInstantArg, opts.at, "--at") };
}

function describeTarget(t: ResetTarget): string {
  if (t.kind === "now") return "the current cluster time";
  if (t.kind === "at") return t.at.toISOString();
  return "no checkpoint (cleared)";
}

function checkpointRows(cp: CheckpointSummary): [string, string][] {
  return [
    ["token", cp.token ?? "none (position set by time)"],
    [
      "cluster time",
      cp.clusterTime
        ? `${cp.clusterTime} (increment ${cp.clusterTimeIncrement}${cp.clusterTimeFrom === "token" ? ", read from the token" : ""})`
        : "-",
    ],
    ["source", cp.source],
  ];
}

function positionText(cp: CheckpointSummary): string {
  const at = cp.clusterTime ?? "no cluster time";
  return cp.token ? `token ${cp.token} at ${at}` : `cluster time ${at} (no token)`;
}

function leaseText(lease: LeaseSummary | null): string {
  if (lease === null) return "none";
  return `${lease.holder} until ${lease.expiresAt} (${lease.live ? "live" : "expired"})`;
}
