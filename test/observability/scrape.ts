// Reads a live processor over HTTP the way Prometheus does: GET /metrics, then parses the text
// exposition into samples (name, labels, value) so a test can ask for one series exactly,
// e.g. value("claimflow_claims_dead_lettered_total", { reason: "patient_missing" }).

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Scrape {
  readonly text: string;
  readonly samples: readonly Sample[];
  /** The one sample with exactly these labels; undefined when the series is not exposed. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Like value(), but a missing series is a test failure naming it. */
  get(name: string, labels?: Record<string, string>): number;
  /** A labelled family as {labelValue: value}, keyed by one label (e.g. reason). */
  byLabel(name: string, label: string): Record<string, number>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL))
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, "$1");
    const v = m[3] as string;
    out.push({
      name: m[1] as string,
      labels,
      value: v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : Number(v),
    });
  }
  return out;
}

/** The sample's labels match the query's; `stream` (a default label on every series) only when asked for. */
function sameLabels(a: Readonly<Record<string, string>>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).filter((k) => k !== "stream" || "stream" in b);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

export function toScrape(text: string): Scrape {
  const samples = parseExposition(text);
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && sameLabels(s.labels, labels))?.value;
  return {
    text,
    samples,
    value,
    get(name, labels = {}) {
      const v = value(name, labels);
      if (v === undefined) throw new Error(`series ${name}${JSON.stringify(labels)} is not exposed`);
      return v;
    },
    byLabel(name, label) {
      const out: Record<string, number> = {};
      for (const s of samples) {
        const key = s.labels[label];
        if (s.name === name && key !== undefined) out[key] = s.value;
      }
      return out;
    },
  };
}

export async function scrape(port: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return toScrape(await res.text());
}

export async function probe(
  port: number,
  path: "/healthz" | "/readyz",
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.json() };
}

/** Polls until `pred` holds; the error names what never happened and, given `seen`, what was seen last. */
export async function waitFor(
  what: string,
  pred: () => Promise<boolean>,
  timeoutMs: number,
  seen?: () => unknown,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > until) {
      const last = seen ? `; last seen: ${JSON.stringify(seen())}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The named unlabelled samples of a scrape, for a timeout message. */
export function pick(s: Scrape | undefined, names: readonly string[]): Record<string, number | undefined> {
  return Object.fromEntries(names.map((n) => [n, s?.value(n)]));
}
