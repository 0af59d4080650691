// Percentiles of measured samples, and quantiles of a Prometheus histogram scraped from /metrics
// (the same linear interpolation inside a bucket as PromQL's histogram_quantile).

/** Nearest-rank percentile of ascending `sorted` (p in 0..100); NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export interface HistogramSnapshot {
  readonly count: number;
  readonly sum: number;
  /** Cumulative counts by upper bound, ascending, +Inf last. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
}

export function parseHistogram(metricsText: string, name: string): HistogramSnapshot | undefined {
  const buckets: { le: number; count: number }[] = [];
  let count: number | undefined;
  let sum = 0;
  for (const line of metricsText.split("\n")) {
    if (line.startsWith(`${name}_bucket{`)) {
      const m = /le="([^"]+)"[^}]*\}\s+(\S+)/.exec(line);
      if (m)
        buckets.push({ le: m[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(m[1]), count: Number(m[2]) });
    } else if (line.startsWith(`${name}_count`)) count = Number(line.split(/\s+/)[1]);
    else if (line.startsWith(`${name}_sum`)) sum = Number(line.split(/\s+/)[1]);
  }
  if (count === undefined) return undefined;
  buckets.sort((a, b) => a.le - b.le);
  return { count, sum, buckets };
}

/** histogram_quantile(q, …): NaN without observations; the highest finite bound when in +Inf. */
export function histogramQuantile(h: HistogramSnapshot, q: number): number {
  if (h.count === 0) return Number.NaN;
  const target = q * h.count;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= target) {
      if (b.le === Number.POSITIVE_INFINITY) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket === 0 ? b.le : prevLe + ((b.le - prevLe) * (target - prevCount)) / inBucket;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

export const round = (x: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export const mb = (bytes: number | undefined): number | null =>
  bytes === undefined ? null : round(bytes / (1024 * 1024), 1);

/** The value of an unlabelled sample (`name value`) in Prometheus text; undefined when absent. */
export function sampleValue(metricsText: string, name: string): number | undefined {
  // Series carry labels (stream="…" on every one): accept any label set.
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(metricsText);
  return m ? Number(m[1]) : undefined;
}
