// `report daily --date D`: the day's reconciliation for billing operations — per group and
// client, the files written, the claims billed and their total charges; the dead letters first
// seen that day by reason. Counted so that a resent file never counts its claims twice: a
// reissue (same claims, new control numbers) adds a file but no claims and no charges.
// Charges come from the amount recorded with each batch; a batch recorded before that field
// existed is read back from its stored content (sum of CLM02) while retention keeps it, and is
// counted as "without amounts" after.
import { ClaimflowError } from "../../domain/errors.js";
import { sumClaimCharges } from "../../edi/claim-charges.js";
import type { DailyDeadLetterRow, DailyReportSource } from "../../ports/daily-report.js";
import type { Ledger } from "../../ports/ledger.js";
import { dayRange } from "./report-day.js";

export interface DailyReportDeps {
  readonly source: DailyReportSource;
  /** To read back the charges of batches recorded without them (decrypts their content). */
  readonly ledger: Pick<Ledger, "findBatch">;
}

export interface DailyClientRow {
  readonly groupId: string;
  readonly clientId: string;
  readonly files: number;
  readonly reissued: number;
  readonly claims: number;
  /** Decimal text with two places ("1234.50"). */
  readonly totalCharges: string;
  readonly totalChargeCents: number;
  /** Files whose charges could not be known (content removed by retention or unreadable). */
  readonly filesWithoutAmounts: number;
}

export interface DailyReport {
  readonly date: string;
  readonly timeZone: string;
  /** The day as a UTC range [from, until). */
  readonly from: string;
  readonly until: string;
  readonly clients: readonly DailyClientRow[];
  readonly totals: Omit<DailyClientRow, "groupId" | "clientId">;
  readonly deadLetters: readonly DailyDeadLetterRow[];
  readonly deadLettersByReason: readonly { readonly reason: string; readonly count: number }[];
  readonly deadLettersTotal: number;
}

/** Cents as "1234.50": exact, from the integer. */
export function centsText(cents: number): string {
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}

export async function dailyReport(
  deps: DailyReportDeps,
  date: string,
  timeZone: string,
): Promise<DailyReport> {
  const { from, until } = dayRange(date, timeZone);
  const [files, deadLetters] = await Promise.all([
    deps.source.filesWritten(from, until),
    deps.source.deadLettersFirstSeen(from, until),
  ]);
  const clients: DailyClientRow[] = [];
  for (const row of files) {
    let cents = row.chargeCents;
    let without = 0;
    for (const id of row.unrecordedBatchIds) {
      const read = await readBackCharges(deps, id);
      if (read === undefined) without++;
      else cents += read;
    }
    clients.push({
      groupId: row.groupId,
      clientId: row.clientId,
      files: row.files,
      reissued: row.reissued,
      claims: row.claims,
      totalCharges: centsText(cents),
      totalChargeCents: cents,
      filesWithoutAmounts: without,
    });
  }
  const sum = (f: (r: DailyClientRow) => number) => clients.reduce((s, r) => s + f(r), 0);
  const totalCents = sum((r) => r.totalChargeCents);
  const byReason = new Map<string, number>();
  for (const d of deadLetters) byReason.set(d.reason, (byReason.get(d.reason) ?? 0) + d.count);
  return {
    date,
    timeZone,
    from: from.toISOString(),
    until: until.toISOString(),
    clients,
    totals: {
      files: sum((r) => r.files),
      reissued: sum((r) => r.reissued),
      claims: sum((r) => r.claims),
      totalCharges: centsText(totalCents),
      totalChargeCents: totalCents,
      filesWithoutAmounts: sum((r) => r.filesWithoutAmounts),
    },
    deadLetters,
    deadLettersByReason: [...byReason].map(([reason, count]) => ({ reason, count })),
    deadLettersTotal: deadLetters.reduce((s, d) => s + d.count, 0),
  };
}

/** The sum of CLM02 of a batch's stored file; undefined when the content is gone or unreadable. */
async function readBackCharges(deps: DailyReportDeps, batchId: string): Promise<number | undefined> {
  try {
    const batch = await deps.ledger.findBatch(batchId);
    if (batch === null || batch.content === null) return undefined;
    return sumClaimCharges(batch.content);
  } catch (err) {
    // A batch sealed under a key this command was not given: its amount is unknown, not fatal.
    if (err instanceof TypeError || err instanceof ClaimflowError) return undefined;
    throw err;
  }
}
