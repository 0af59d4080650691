// `claimflow report daily --date D [--tz Z] [--json | --csv]`: the day's reconciliation (files,
// claims and total charges per group and client; dead letters by reason). Read-only.
import type { Command } from "commander";
import { z } from "zod";
import type { DailyReport } from "../app/services/daily-report.js";
import { UsageError } from "../domain/errors.js";
import { parseArg } from "./args.js";
import { withOperatorContext } from "./context.js";
import { keyValues, orDash, printJson, println, table } from "./format.js";

interface DailyOptions {
  date?: string;
  tz?: string;
  json?: boolean;
  csv?: boolean;
}

const dayArg = z.iso.date({ message: "must be a calendar date YYYY-MM-DD" });

export function registerReport(program: Command): void {
  const report = program.command("report").description("reconciliation reports (read-only)");
  report
    .command("daily")
    .description(
      "one day: files, claims and total charges per group and client (a reissued file counts as a " +
        "file, its claims once), dead letters first seen that day by reason",
    )
    .requiredOption("--date <YYYY-MM-DD>", "the day")
    .option("--tz <zone>", "IANA time zone the day is counted in (e.g. America/Chicago)", "UTC")
    .option("--json", "print JSON")
    .option("--csv", "print CSV (one row per group/client, dead-letter reason and a total row)")
    .action(async (opts: DailyOptions) => {
      const date = parseArg(dayArg, opts.date, "--date");
      const timeZone = opts.tz ?? "UTC";
      const { assertTimeZone } = await import("../app/services/report-day.js");
      try {
        assertTimeZone(timeZone);
      } catch {
        throw new UsageError(
          `--tz ${JSON.stringify(timeZone)} is not a time zone this Node.js knows (IANA name, e.g. Europe/Paris)`,
        );
      }
      if (opts.json && opts.csv) throw new UsageError("--json and --csv are exclusive: choose one");
      await withOperatorContext(async (ctx) => {
        const [{ dailyReport }, { MongoDailyReportSource }] = await Promise.all([
          import("../app/services/daily-report.js"),
          import("../mongo/mongo-daily-report.js"),
        ]);
        const r = await dailyReport(
          { source: new MongoDailyReportSource(ctx.db), ledger: ctx.ports.ledger },
          date,
          timeZone,
        );
        if (opts.json) return printJson(r);
        if (opts.csv) return process.stdout.write(dailyCsv(r));
        println(dailyText(r));
      });
    });
}

function dailyText(r: DailyReport): string {
  const t = r.totals;
  const charges = (text: string, without: number) =>
    without > 0 ? `${text} (+ ${without} file(s) without amounts)` : text;
  const parts = [
    keyValues([
      ["day", `${r.date} (${r.timeZone}): ${r.from} to ${r.until}`],
      ["files", `${t.files} (${t.reissued} reissued)`],
      ["claims billed", String(t.claims)],
      ["total charges", charges(t.totalCharges, t.filesWithoutAmounts)],
      ["dead letters", String(r.deadLettersTotal)],
    ]),
  ];
  if (r.clients.length > 0) {
    parts.push(
      "",
      table(
        ["group", "client", "files", "reissued", "claims", "total charges"],
        r.clients.map((c) => [
          c.groupId,
          c.clientId,
          String(c.files),
          String(c.reissued),
          String(c.claims),
          charges(c.totalCharges, c.filesWithoutAmounts),
        ]),
      ),
    );
  }
  if (r.deadLetters.length > 0) {
    parts.push(
      "",
      table(
        ["dead-letter reason", "group", "client", "claims"],
        r.deadLetters.map((d) => [d.reason, orDash(d.groupId), orDash(d.clientId), String(d.count)]),
      ),
    );
  }
  return parts.join("\n");
}

const CSV_HEADER = [
  "record",
  "date",
  "group_id",
  "client_id",
  "reason",
  "files",
  "reissued",
  "claims",
  "total_charges",
  "files_without_amounts",
  "dead_letters",
];

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string | number | null): string {
  const s = value === null ? "" : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function dailyCsv(r: DailyReport): string {
  const rows: (string | number | null)[][] = [
    ...r.clients.map((c) => [
      "files",
      r.date,
      c.groupId,
      c.clientId,
      null,
      c.files,
      c.reissued,
      c.claims,
      c.totalCharges,
      c.filesWithoutAmounts,
      null,
    ]),
    ...r.deadLetters.map((d) => [
      "dead_letters",
      r.date,
      d.groupId,
      d.clientId,
      d.reason,
      null,
      null,
      null,
      null,
      null,
      d.count,
    ]),
    [
      "total",
      r.date,
      null,
      null,
      null,
      r.totals.files,
      r.totals.reissued,
      r.totals.claims,
      r.totals.totalCharges,
      r.totals.filesWithoutAmounts,
      r.deadLettersTotal,
    ],
  ];
  return `${[CSV_HEADER, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n")}\r\n`;
}
