// `claimflow batches list` and `batches show <id>`: which files the ledger holds, filtered by
// creation time, group, client, state and sender; one batch with its claim versions. Read-only.
import type { Command } from "commander";
import { z } from "zod";
import { UsageError } from "../domain/errors.js";
import type { BatchSummary } from "../ports/ledger-reader.js";
import {
  batchIdArg,
  clientIdArg,
  groupIdArg,
  intArg,
  isoInstantArg,
  parseArg,
  parseOptionalArg,
  senderIdArg,
} from "./args.js";
import { isa13Text } from "./claims.js";
import { withOperatorContext } from "./context.js";
import { keyValues, orDash, printJson, println, table } from "./format.js";

interface ListOptions {
  since?: string;
  until?: string;
  group?: string;
  client?: string;
  state?: string;
  sender?: string;
  limit?: string;
  json?: boolean;
}

const MAX_LIST = 10_000;

const batchStateArg = z.enum(["reserved", "written", "superseded"], {
  message: "must be reserved, written or superseded",
});

export function registerBatchQueries(batches: Command): void {
  batches
    .command("list")
    .description("batches newest first, filtered by creation time, group, client, state and sender")
    .option("--since <time>", "created at or after (ISO-8601 time or date)")
    .option("--until <time>", "created before (ISO-8601 time or date)")
    .option("--group <group_id>", "only this group")
    .option("--client <client_id>", "only this client")
    .option("--state <state>", "reserved, written or superseded (reissued)")
    .option("--sender <id>", "only this sender_id")
    .option("--limit <n>", `at most n rows, 1-${MAX_LIST}`, "50")
    .option("--json", "print JSON")
    .action(async (opts: ListOptions) => {
      const since = parseOptionalArg(isoInstantArg, opts.since, "--since");
      const until = parseOptionalArg(isoInstantArg, opts.until, "--until");
      if (since !== undefined && until !== undefined && since.getTime() >= until.getTime()) {
        throw new UsageError("--since must be before --until");
      }
      const filter = {
        since,
        until,
        groupId: parseOptionalArg(groupIdArg, opts.group, "--group"),
        clientId: parseOptionalArg(clientIdArg, opts.client, "--client"),
        state: parseOptionalArg(batchStateArg, opts.state, "--state"),
        senderId: parseOptionalArg(senderIdArg, opts.sender, "--sender"),
        limit: parseArg(intArg(1, MAX_LIST), opts.limit, "--limit"),
      };
      await withOperatorContext(async (ctx) => {
        const [{ listBatches }, { MongoLedgerReader }] = await Promise.all([
          import("../app/services/batch-query.js"),
          import("../mongo/mongo-ledger-reader.js"),
        ]);
        const rows = await listBatches({ reader: new MongoLedgerReader(ctx.db) }, filter);
        if (opts.json) return printJson(rows.map(({ claims: _, ...b }) => b));
        if (rows.length === 0) return println("no batches");
        println(
          table(
            ["batch", "state", "created", "group", "client", "sender", "ISA13", "claims", "file"],
            rows.map((b) => [
              b.batchId,
              b.state,
              b.createdAt.toISOString(),
              b.groupId,
              b.clientId,
              b.senderId,
              isa13Text(b.isaControlNumber),
              String(b.claimCount),
              b.path,
            ]),
          ),
        );
      });
    });

  batches
    .command("show")
    .description("one batch: state, control numbers, file, sha256, times and its claim versions")
    .argument("<batch_id>", "batch id, as in edi_batches and audit_log")
    .option("--json", "print JSON")
    .action(async (batchArg: string, opts: { json?: boolean }) => {
      const batchId = parseArg(batchIdArg, batchArg, "<batch_id>");
      await withOperatorContext(async (ctx) => {
        const [{ showBatch }, { MongoLedgerReader }] = await Promise.all([
          import("../app/services/batch-query.js"),
          import("../mongo/mongo-ledger-reader.js"),
        ]);
        const b = await showBatch({ reader: new MongoLedgerReader(ctx.db) }, batchId);
        if (opts.json) return printJson(b);
        println(showText(b, ctx.config.outputDir));
      });
    });
}

function showText(b: BatchSummary, outputDir: string): string {
  return [
    keyValues([
      ["batch", b.batchId],
      ["state", b.state],
      ["stream", b.streamName],
      ["group / client", `${b.groupId} / ${b.clientId}`],
      ["sender", b.senderId],
      ["ISA13 / GS06", `${isa13Text(b.isaControlNumber)} / ${b.gsControlNumber}`],
      ["file", `${outputDir}/${b.path}`],
      ["sha256", b.sha256],
      ["content", b.contentPurged ? "removed by retention" : "stored"],
      ["created", b.createdAt.toISOString()],
      ["written", orDash(b.writtenAt?.toISOString())],
      ...(b.reissueOf ? ([["reissue of", b.reissueOf]] as [string, string][]) : []),
      ...(b.supersededBy
        ? ([["superseded by", `${b.supersededBy} (${orDash(b.supersededAt?.toISOString())})`]] as [
            string,
            string,
          ][])
        : []),
      ["claims", String(b.claimCount)],
    ]),
    "",
    table(
      ["claim", "version"],
      b.claims.map((c) => [c.claim_number, String(c.version)]),
    ),
  ].join("\n");
}
