// `claimflow status`: checkpoint age, stream lag, lease, reserved batches, dead letters, oplog
// headroom, and a running processor's open windows / buffered claims when its /metrics answers.
import type { Command } from "commander";
import { z } from "zod";
import { ENSURE_COMMAND } from "../app/services/input-index-watch.js";
import { collectStatus, STATUS_BACKFILLS, type StatusReport } from "../app/services/status-service.js";
import { checkInputIndexes } from "../mongo/index-check.js";
import { MongoStreamControl } from "../mongo/mongo-stream-control.js";
import { parseOptionalArg, streamNameArg } from "./args.js";
import { withOperatorContext } from "./context.js";
import { duration, keyValues, orDash, printJson, println } from "./format.js";

interface StatusOptions {
  stream?: string;
  metricsUrl?: string;
  json?: boolean;
}

const metricsUrlArg = z
  .url({ protocol: /^https?$/, message: "must be an http(s) URL such as http://127.0.0.1:9464/metrics" })
  .max(2000);

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description(
      "checkpoint age, stream lag, lease, reserved batches, dead letters and, when a processor's " +
        "/metrics answers, its open windows and buffered claims",
    )
    .option("--stream <name>", "stream name (default: EDI_STREAM_NAME, else claim_detail)")
    .option(
      "--metrics-url <url>",
      "processor /metrics URL (default: http://127.0.0.1:EDI_METRICS_PORT/metrics)",
    )
    .option("--json", "print JSON")
    .action(async (opts: StatusOptions) => {
      const streamArg = parseOptionalArg(streamNameArg, opts.stream, "--stream");
      const urlArg = parseOptionalArg(metricsUrlArg, opts.metricsUrl, "--metrics-url");
      await withOperatorContext(async (ctx) => {
        const { undecryptableBatches } = await import("../crypto/content-inventory.js");
        const content = { undecryptable: () => undecryptableBatches(ctx.db, ctx.config.contentKeys) };
        const inputIndexes = () => checkInputIndexes(ctx.db);
        const controls = new MongoStreamControl(ctx.db);
        const pauseState = (stream: string) => controls.pauseState(stream);
        const backfills = (stream: string) => controls.listBackfills(stream, STATUS_BACKFILLS);
        const report = await collectStatus(
          { ...ctx, content, inputIndexes, pauseState, backfills },
          {
            streamName: streamArg ?? ctx.config.streamName,
            groupFilter: ctx.config.groupFilter,
            metricsUrl: urlArg ?? `http://127.0.0.1:${ctx.config.metricsPort}/metrics`,
            ackExpectedWithinHours: ctx.config.ackExpectedWithinHours,
          },
        );
        if (opts.json) printJson(report);
        else println(render(report));
      });
    });
}

function undecryptableText(u: StatusReport["undecryptableBatches"]): string {
  if (u === null) return "-";
  if (u.batches === 0) return "0";
  return `${u.batches} batch(es) under key id(s) ${u.keyIds.join(", ")}, not configured (EDI_CONTENT_KEY_PREVIOUS)`;
}

function pauseText(p: StatusReport["pause"]): string {
  if (p === null) return "-";
  if (!p.paused) return "no";
  return `YES since ${p.since ?? "?"} by ${p.by ?? "?"}: ${p.reason ?? "no reason given"} (\`claimflow resume\`)`;
}

function backfillRows(b: StatusReport["backfills"]): [string, string][] {
  if (b === null) return [];
  if (b.length === 0) return [["backfill", "none requested"]];
  return b.map((r) => {
    const client = r.slice.client === null ? "" : ` client ${r.slice.client}`;
    const until = r.slice.until === null ? "" : ` until ${r.slice.until}`;
    const error = r.error === null ? "" : `, error ${r.error}`;
    return [
      "backfill",
      `${r.id} ${r.state}: scanned ${r.scanned}/${r.total}, already emitted ${r.alreadyEmitted}, ` +
        `queued ${r.queued}, billed ${r.billed}${error} (group ${r.slice.group}${client}, ` +
        `billing_date from ${r.slice.since}${until}; by ${r.requestedBy})`,
    ];
  });
}

function indexesText(i: StatusReport["inputIndexes"]): string {
  if (i === null) return "-";
  const unchecked = i.unchecked.length > 0 ? ` (not listable: ${i.unchecked.join(", ")})` : "";
  if (i.missing.length === 0) return `all present${unchecked}`;
  return `MISSING ${i.missing.join(", ")}: run \`${ENSURE_COMMAND}\`${unchecked}`;
}

function seconds(v: number | null): string {
  return v === null ? "-" : duration(v);
}

function render(r: StatusReport): string {
  const cp = r.checkpoint;
  const rows: [string, string][] = [
    ["stream", r.streamName],
    ["paused", pauseText(r.pause)],
    ...backfillRows(r.backfills),
    ["cluster time", r.clusterTime],
    [
      "checkpoint",
      cp === null
        ? "none (next start scans ready claims)"
        : `${cp.token ? `token ${cp.token}` : "no token"}, cluster time ${orDash(cp.clusterTime)}, by ${cp.source}`,
    ],
    ["checkpoint age", seconds(r.checkpointAgeSeconds)],
    ["stream lag (est.)", seconds(r.streamLagSeconds)],
    ["oplog window", seconds(r.oplogWindowSeconds)],
    ["headroom", seconds(r.checkpointHeadroomSeconds)],
    [
      "lease",
      r.lease === null
        ? "none"
        : `${r.lease.holder} until ${r.lease.expiresAt} (${r.lease.live ? "live" : "expired"})`,
    ],
    ["ready backlog", orDash(r.readyBacklog)],
    ["reserved batches", String(r.reservedBatches)],
    ["undecryptable", undecryptableText(r.undecryptableBatches)],
    ["dead letters", String(r.deadLetters)],
    ["files awaiting 999", orDash(r.filesAwaiting999)],
    ["input indexes", indexesText(r.inputIndexes)],
  ];
  const p = r.processor;
  if (p === null) {
    rows.push(["processor", "not probed"]);
  } else if (!p.reachable) {
    rows.push(["processor", `metrics not reachable at ${p.url} (${p.reason})`]);
  } else {
    const s = p.snapshot;
    rows.push(
      ["processor", `${s.url} (${s.streaming === null ? "?" : s.streaming ? "streaming" : "not streaming"})`],
      ["open windows", orDash(s.openWindows)],
      ["buffered claims", orDash(s.bufferedClaims)],
      ["last event lag", seconds(s.streamLagSeconds)],
      ["circuit", orDash(s.circuit)],
    );
  }
  return keyValues(rows);
}
