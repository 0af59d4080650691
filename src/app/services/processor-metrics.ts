// Live figures only a running processor knows (open windows, buffered claims, lag of the last
// event read), taken from its /metrics endpoint. Optional by nature: `status` works without a
// processor, so an unreachable endpoint is reported, never an error.
//
// Only the processor's own gauges are read: samples with no label but `stream` (the default
// label every series carries), so a few lines of parsing suffice; a parser dependency for the
// exposition format would buy nothing here.

export interface ProcessorSnapshot {
  readonly url: string;
  readonly openWindows: number | null;
  readonly bufferedClaims: number | null;
  /** Age of the cluster time of the last change event the processor read. */
  readonly streamLagSeconds: number | null;
  readonly checkpointAgeSeconds: number | null;
  /** 1 while the processor holds its lease and reads the change stream. */
  readonly streaming: boolean | null;
  readonly circuit: "closed" | "half-open" | "open" | null;
}

export type ProcessorProbe =
  | { readonly reachable: true; readonly snapshot: ProcessorSnapshot }
  | { readonly reachable: false; readonly url: string; readonly reason: string };

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{stream="(?:[^"\\]|\\.)*"\})?\s+(\S+)(?:\s+\d+)?$/;

/** Samples of a Prometheus text exposition with no label but `stream`, by metric name. */
export function parseUnlabelledSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (m === null) continue;
    const value = Number(m[2]);
    if (!Number.isNaN(value)) out.set(m[1] as string, value);
  }
  return out;
}

const CIRCUIT = ["closed", "half-open", "open"] as const;

export function snapshotFromMetrics(url: string, text: string): ProcessorSnapshot {
  const s = parseUnlabelledSamples(text);
  const get = (name: string) => s.get(`claimflow_${name}`) ?? null;
  const streaming = get("streaming");
  const circuit = get("circuit_state");
  return {
    url,
    openWindows: get("open_windows"),
    bufferedClaims: get("buffered_claims"),
    streamLagSeconds: get("stream_lag_seconds"),
    checkpointAgeSeconds: get("checkpoint_age_seconds"),
    streaming: streaming === null ? null : streaming === 1,
    circuit: circuit === null ? null : (CIRCUIT[circuit] ?? null),
  };
}

/** Scrapes `url` once; a processor that is not running (or not this one) is `reachable: false`. */
export async function probeProcessor(url: string, timeoutMs = 1500): Promise<ProcessorProbe> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { reachable: false, url, reason: `HTTP ${res.status}` };
    const text = await res.text();
    if (!text.includes("claimflow_")) {
      return { reachable: false, url, reason: "not a claimflow metrics endpoint" };
    }
    return { reachable: true, snapshot: snapshotFromMetrics(url, text) };
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const reason =
      cause instanceof Error
        ? "code" in cause && typeof cause.code === "string"
          ? cause.code
          : cause.name === "TimeoutError"
            ? `no answer within ${timeoutMs} ms`
            : cause.message
        : String(cause);
    return { reachable: false, url, reason };
  }
}
