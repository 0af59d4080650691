// The command line and the statistics the micro-benchmarks (`bench:render`, `bench:validate`)
// share: `--claims N --batch N --rounds N`, each a positive integer (anything else: one line on
// stderr, exit 2), and the median of the timed rounds.
import { parseArgs } from "node:util";

export interface MicroArgs {
  readonly claims: number;
  readonly batch: number;
  readonly rounds: number;
}

function positive(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be a positive integer\n`);
    process.exit(2);
  }
  return n;
}

export function readMicroArgs(defaultClaims: number): MicroArgs {
  const { values } = parseArgs({
    options: {
      claims: { type: "string", default: String(defaultClaims) },
      batch: { type: "string", default: "500" },
      rounds: { type: "string", default: "7" },
    },
  });
  return {
    claims: positive("claims", values.claims),
    batch: positive("batch", values.batch),
    rounds: positive("rounds", values.rounds),
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
