// `claimflow backfill`: asks the stream's active processor to bill the ready claims of one slice
// (group, optionally client, billing_date in [since, until)) that are not emitted yet, through
// the normal batch path, without a restart or a token reset. The request is a document in
// stream_backfills the processor polls every EDI_CONTROL_POLL_SECONDS; `--dry-run` only counts.
import type { Command } from "commander";
import { type BackfillOutcome, requestBackfill, sliceText } from "../app/services/backfill-service.js";
import { UsageError } from "../domain/errors.js";
import type { ClaimSlice } from "../ports/claim-store.js";
import { clientIdArg, groupIdArg, isoInstantArg, parseArg, parseOptionalArg, streamNameArg } from "./args.js";
import { withOperatorContext } from "./context.js";
import { keyValues, printJson, println } from "./format.js";

interface BackfillOptions {
  group?: string;
  client?: string;
  since?: string;
  until?: string;
  stream?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function registerBackfill(program: Command): void {
  program
    .command("backfill")
    .description(
      "ask the active processor to bill the ready claims of one group (and client) with " +
        "billing_date in [since, until) that are not emitted yet, through the normal batch path",
    )
    .option("--group <group_id>", "the group (required)")
    .option("--client <client_id>", "only this client")
    .option(
      "--since <date>",
      "billing_date from, inclusive: a date (2026-03-01) or ISO time with offset (required)",
    )
    .option("--until <date>", "billing_date up to, exclusive (default: no upper bound)")
    .option("--stream <name>", "stream name (default: EDI_STREAM_NAME, else claim_detail)")
    .option("--dry-run", "only count the slice's ready claims not yet emitted; changes nothing")
    .option("--json", "print JSON")
    .action(async (opts: BackfillOptions) => {
      const slice = parseSlice(opts);
      const streamArg = parseOptionalArg(streamNameArg, opts.stream, "--stream");
      await withOperatorContext(async (ctx) => {
        const { MongoStreamControl } = await import("../mongo/mongo-stream-control.js");
        const outcome = await requestBackfill(
          {
            backfills: new MongoStreamControl(ctx.db),
            claims: ctx.ports.claims,
            ledger: ctx.ports.ledger,
            audit: ctx.ports.audit,
            clock: ctx.clock,
          },
          streamArg ?? ctx.config.streamName,
          { groupFilter: ctx.config.groupFilter },
          slice,
          opts.dryRun === true,
        );
        if (opts.json) printJson(outcome);
        else println(render(outcome, slice, ctx.config.controlPollMs / 1000));
      });
    });
}

function parseSlice(opts: BackfillOptions): ClaimSlice {
  if (opts.group === undefined) throw new UsageError("--group is required (the group_id to backfill)");
  if (opts.since === undefined) throw new UsageError("--since is required (billing_date from, inclusive)");
  const slice: ClaimSlice = {
    group: parseArg(groupIdArg, opts.group, "--group"),
    client: parseOptionalArg(clientIdArg, opts.client, "--client"),
    since: parseArg(isoInstantArg, opts.since, "--since"),
    until: parseOptionalArg(isoInstantArg, opts.until, "--until"),
  };
  if (slice.until !== undefined && slice.until.getTime() <= slice.since.getTime())
    throw new UsageError("--until must be later than --since (the range is [since, until))");
  return slice;
}

function render(o: BackfillOutcome, slice: ClaimSlice, pollSeconds: number): string {
  const rows: [string, string][] = [
    ["stream", o.streamName],
    ["slice", sliceText(slice)],
    ["ready claims", String(o.ready)],
    ["not yet emitted", String(o.notEmitted)],
  ];
  if (o.dryRun) rows.push(["dry run", "nothing requested, nothing changed"]);
  else
    rows.push(
      ["request", o.request ?? "-"],
      ["state", `pending: the active processor starts it within ${pollSeconds} s (see claimflow status)`],
      ["audit", "backfill_requested recorded in audit_log"],
    );
  return keyValues(rows);
}
