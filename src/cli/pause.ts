// `claimflow pause | resume`: stop and restart reading a stream without stopping the processor
// (through stream_controls; the active processor obeys within EDI_CONTROL_POLL_SECONDS).
import type { Command } from "commander";
import { type PauseChange, setStreamPaused } from "../app/services/pause-service.js";
import { parseArg, parseOptionalArg, reasonArg, streamNameArg } from "./args.js";
import { withOperatorContext } from "./context.js";
import { keyValues, printJson, println } from "./format.js";

interface PauseOptions {
  stream?: string;
  reason?: string;
  json?: boolean;
}

export function registerPause(program: Command): void {
  program
    .command("pause")
    .description(
      "stop reading the stream (the processor stays up and ready, windows flush, the checkpoint " +
        "follows); stays paused across restarts until `claimflow resume`",
    )
    .requiredOption("--reason <text>", "why (logged, shown by status and /readyz, audited)")
    .option("--stream <name>", "stream name (default: EDI_STREAM_NAME, else claim_detail)")
    .option("--json", "print JSON")
    .action(async (opts: PauseOptions) => run(opts, true));

  program
    .command("resume")
    .description("read the stream again after `claimflow pause`, from where it stopped")
    .option("--reason <text>", "why (audited)")
    .option("--stream <name>", "stream name (default: EDI_STREAM_NAME, else claim_detail)")
    .option("--json", "print JSON")
    .action(async (opts: PauseOptions) => run(opts, false));
}

async function run(opts: PauseOptions, paused: boolean): Promise<void> {
  const streamArg = parseOptionalArg(streamNameArg, opts.stream, "--stream");
  const reason = paused
    ? parseArg(reasonArg, opts.reason, "--reason")
    : parseOptionalArg(reasonArg, opts.reason, "--reason");
  await withOperatorContext(async (ctx) => {
    const { MongoStreamControl } = await import("../mongo/mongo-stream-control.js");
    const change = await setStreamPaused(
      { controls: new MongoStreamControl(ctx.db), audit: ctx.ports.audit, clock: ctx.clock },
      streamArg ?? ctx.config.streamName,
      paused,
      reason,
    );
    if (opts.json) printJson(change);
    else println(render(change, ctx.config.controlPollMs / 1000));
  });
}

function render(c: PauseChange, pollSeconds: number): string {
  const verb = c.paused ? "paused" : "resumed";
  return keyValues([
    ["stream", c.streamName],
    ["state", c.wasPaused === c.paused ? `${verb} (it already was)` : verb],
    ["by", c.by],
    ["reason", c.reason ?? "-"],
    ["takes effect", `within ${pollSeconds} s on the active processor (EDI_CONTROL_POLL_SECONDS)`],
    ["audit", `stream_${verb} recorded in audit_log`],
  ]);
}
