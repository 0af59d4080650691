// `claimflow claims show <claim_number>` and `claims find --file <path> | --isa13 N --sender S`:
// where a claim version went (state, batch, file, ISA13/GS06, written time) and, the other way
// round, which claim versions a file carried. Read-only; identifiers only, never PHI.
import type { Command } from "commander";
import { claimAcknowledgement } from "../app/services/ack-service.js";
import type { ClaimView, FileMatch, FindQuery } from "../app/services/claim-trail.js";
import { UsageError } from "../domain/errors.js";
import { acknowledgementText } from "./acks.js";
import { claimNumberArg, controlNumberArg, filePathArg, parseArg, senderIdArg } from "./args.js";
import { withOperatorContext } from "./context.js";
import { keyValues, orDash, printJson, println, table } from "./format.js";

interface FindOptions {
  file?: string;
  isa13?: string;
  sender?: string;
  json?: boolean;
}

export function registerClaims(program: Command): void {
  const claims = program
    .command("claims")
    .description("where claims went: versions, batches, files, control numbers (read-only)");

  claims
    .command("show")
    .description(
      "every version of one claim: state (emitted/reserved/dead_letter/waiting/...), batch, file, ISA13/GS06",
    )
    .argument("<claim_number>", "claim_number as in claim_detail")
    .option("--json", "print JSON")
    .action(async (claimArg: string, opts: { json?: boolean }) => {
      const claimNumber = parseArg(claimNumberArg, claimArg, "<claim_number>");
      await withOperatorContext(async (ctx) => {
        const [{ showClaim }, { MongoLedgerReader }] = await Promise.all([
          import("../app/services/claim-trail.js"),
          import("../mongo/mongo-ledger-reader.js"),
        ]);
        const view = await showClaim(
          { ports: ctx.ports, reader: new MongoLedgerReader(ctx.db) },
          claimNumber,
        );
        // What the clearinghouse and payer said (TA1 / 999 of its files, 277CA of its versions).
        const acknowledgements = await claimAcknowledgement(
          ctx,
          claimNumber,
          view.versions.flatMap((v) => [...(v.batchId ? [v.batchId] : []), ...(v.reissuedFrom ?? [])]),
        );
        if (opts.json) return printJson({ ...view, acknowledgements });
        println(`${claimText(view, ctx.config.outputDir)}\n\n${acknowledgementText(view, acknowledgements)}`);
      });
    });

  claims
    .command("find")
    .description("the claim versions a file carried: by its path, or by ISA13 and sender")
    .option("--file <path>", "file path, relative to EDI_OUTPUT_DIR or absolute under it")
    .option("--isa13 <n>", "interchange control number (with --sender)")
    .option("--sender <id>", "interchange sender id (ISA06), with --isa13")
    .option("--json", "print JSON")
    .action(async (opts: FindOptions) => {
      const query = findQuery(opts);
      await withOperatorContext(async (ctx) => {
        const [{ findClaims }, { MongoLedgerReader }] = await Promise.all([
          import("../app/services/claim-trail.js"),
          import("../mongo/mongo-ledger-reader.js"),
        ]);
        const matches = await findClaims(
          { reader: new MongoLedgerReader(ctx.db) },
          query,
          ctx.config.outputDir,
        );
        if (opts.json) return printJson(matches);
        println(matches.map(fileMatchText).join("\n\n"));
      });
    });
}

function findQuery(opts: FindOptions): FindQuery {
  if (opts.file !== undefined && (opts.isa13 !== undefined || opts.sender !== undefined)) {
    throw new UsageError("--file cannot be combined with --isa13/--sender; use one or the other");
  }
  if (opts.file !== undefined) return { kind: "file", path: parseArg(filePathArg, opts.file, "--file") };
  if (opts.isa13 === undefined)
    throw new UsageError("claims find needs --file <path> or --isa13 <n> --sender <id>");
  const isaControlNumber = parseArg(controlNumberArg, opts.isa13, "--isa13");
  if (opts.sender === undefined)
    throw new UsageError("--isa13 needs --sender <id> (ISA13 is numbered per sender)");
  return { kind: "isa13", isaControlNumber, senderId: parseArg(senderIdArg, opts.sender, "--sender") };
}

export function isa13Text(n: number): string {
  return String(n).padStart(9, "0");
}

function claimText(view: ClaimView, outputDir: string): string {
  const head = keyValues([
    ["claim", view.claimNumber],
    [
      "claim_detail",
      view.current === null
        ? "no row (deleted upstream)"
        : `v${view.current.version} ${view.current.status}, group ${orDash(view.current.groupId)}, client ${orDash(view.current.clientId)}`,
    ],
  ]);
  const rows = view.versions.map((v) => [
    String(v.version),
    v.state,
    v.batch?.reissueOf !== undefined
      ? `${v.batch.batchId} (reissue of ${v.batch.reissueOf})`
      : orDash(v.batch?.batchId ?? v.batchId),
    v.batch ? isa13Text(v.batch.isaControlNumber) : "-",
    v.batch ? String(v.batch.gsControlNumber) : "-",
    orDash(v.batch?.senderId),
    orDash(v.batch?.writtenAt?.toISOString()),
    v.batch
      ? `${outputDir}/${v.batch.path}`
      : v.deadLetter
        ? `${v.deadLetter.reason} (${v.deadLetter.attempts} attempt(s))`
        : "-",
  ]);
  return `${head}\n\n${table(["version", "state", "batch", "ISA13", "GS06", "sender", "written", "file / reason"], rows)}`;
}

function fileMatchText(m: FileMatch): string {
  const b = m.batch;
  return [
    keyValues([
      [
        "batch",
        `${b.batchId} (${b.state}${b.supersededBy ? `: reissued as ${b.supersededBy}` : ""}${b.reissueOf ? `, reissue of ${b.reissueOf}` : ""})`,
      ],
      ["file", b.path],
      ["ISA13 / GS06", `${isa13Text(b.isaControlNumber)} / ${b.gsControlNumber} (sender ${b.senderId})`],
      ["group / client", `${b.groupId} / ${b.clientId}`],
      ["created", b.createdAt.toISOString()],
      ["written", orDash(b.writtenAt?.toISOString())],
      ["sha256", b.sha256],
      ["claims", String(b.claimCount)],
    ]),
    "",
    table(
      ["claim", "version"],
      m.claims.map((c) => [c.claimNumber, String(c.version)]),
    ),
  ].join("\n");
}
