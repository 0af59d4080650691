// Readers for the ops assets (Prometheus rules, Grafana dashboard, runbook, Dockerfile, env
// example), shared by the ops tests. Shapes are checked with zod so a malformed asset fails with
// a path, not with a TypeError deep inside an assertion.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { Metrics } from "../../src/observability/metrics.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function repoPath(relative: string): string {
  return join(REPO_ROOT, relative);
}

export function readRepoFile(relative: string): string {
  return readFileSync(repoPath(relative), "utf8");
}

// ---- metric names -------------------------------------------------------------------------

/** Every `claimflow_*` token in a text (expressions, annotations, prose). */
export function claimflowMetricNames(text: string): string[] {
  // Not after a colon: `job_stream:claimflow_…:ratio_rate5m` is a recording rule (ops/slo.yml).
  return [...new Set(text.match(/(?<![:\w])claimflow_[a-z0-9_]+/g) ?? [])].sort();
}

/**
 * The series names a fresh `Metrics` exposes: each metric, plus `_bucket/_sum/_count` for
 * histograms (and `_sum/_count` for summaries), which is what PromQL can select.
 */
export async function exposedSeriesNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await new Metrics().registry.getMetricsAsJSON()) {
    names.add(m.name);
    const type = String(m.type);
    if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(`${m.name}${s}`);
    if (type === "summary") for (const s of ["_sum", "_count"]) names.add(`${m.name}${s}`);
  }
  return names;
}

// ---- Prometheus rules ---------------------------------------------------------------------

const alertRuleSchema = z.object({
  alert: z.string(),
  expr: z.string(),
  for: z.string().optional(),
  labels: z.object({ severity: z.enum(["critical", "warning", "info"]) }).catchall(z.string()),
  annotations: z.object({ summary: z.string(), description: z.string(), runbook_url: z.string() }),
});
const rulesFileSchema = z.object({
  groups: z.array(z.object({ name: z.string(), rules: z.array(alertRuleSchema).min(1) })).min(1),
});
export type AlertRule = z.output<typeof alertRuleSchema>;

export function loadAlertRules(relative: string): AlertRule[] {
  return rulesFileSchema.parse(parseYaml(readRepoFile(relative))).groups.flatMap((g) => g.rules);
}

const prometheusConfigSchema = z.object({
  rule_files: z.array(z.string()).min(1),
  scrape_configs: z
    .array(
      z.object({
        job_name: z.string(),
        metrics_path: z.string().optional(),
        static_configs: z.array(z.object({ targets: z.array(z.string()) })),
      }),
    )
    .min(1),
});

export function loadPrometheusConfig(relative: string): z.output<typeof prometheusConfigSchema> {
  return prometheusConfigSchema.parse(parseYaml(readRepoFile(relative)));
}

// ---- Grafana dashboard --------------------------------------------------------------------

const gridPosSchema = z.object({
  h: z.number().int().positive(),
  w: z.number().int().positive(),
  x: z.number().int().min(0),
  y: z.number().int().min(0),
});
/** Panels pick the Prometheus data source through the dashboard's `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
export const DATASOURCE_REF = { type: "prometheus", uid: "${datasource}" } as const;
const datasourceSchema = z.object({
  type: z.literal(DATASOURCE_REF.type),
  uid: z.literal(DATASOURCE_REF.uid),
});
const panelSchema = z.object({
  id: z.number().int(),
  type: z.string(),
  title: z.string().min(1),
  gridPos: gridPosSchema,
  datasource: datasourceSchema.optional(),
  targets: z
    .array(z.object({ expr: z.string().min(1), refId: z.string(), datasource: datasourceSchema }))
    .optional(),
});
const variableSchema = z.object({
  name: z.string(),
  type: z.string(),
  query: z.union([z.string(), z.object({ query: z.string() })]),
});
const dashboardSchema = z.object({
  uid: z.string().min(1),
  title: z.string().min(1),
  schemaVersion: z.number().int(),
  panels: z.array(panelSchema).min(1),
  templating: z.object({ list: z.array(variableSchema) }),
});
export type Dashboard = z.output<typeof dashboardSchema>;
export type Panel = z.output<typeof panelSchema>;

export function loadDashboard(relative: string): Dashboard {
  return dashboardSchema.parse(JSON.parse(readRepoFile(relative)));
}

/** Every PromQL expression of the dashboard's panels (variable queries are `label_values(...)`). */
export function dashboardExpressions(d: Dashboard): string[] {
  return d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

/** Grafana's built-in interval variables, replaced by a plausible value to make plain PromQL. */
const BUILTIN_VARIABLES: Record<string, string> = {
  __rate_interval: "5m",
  __interval: "1m",
  __range: "1h",
};

/**
 * Replaces `$var` / `${var}` with a value PromQL accepts: built-ins by a duration, dashboard
 * variables (always used as regex matchers here) by `.*`. Unknown variables throw.
 */
export function substituteVariables(expr: string, dashboardVariables: readonly string[]): string {
  return expr.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, name: string) => {
    const builtin = BUILTIN_VARIABLES[name];
    if (builtin !== undefined) return builtin;
    if (dashboardVariables.includes(name)) return ".*";
    throw new Error(`expression uses an undefined Grafana variable $${name}: ${expr}`);
  });
}

// ---- Markdown -----------------------------------------------------------------------------

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

export function markdownHeadings(md: string): string[] {
  return md
    .split("\n")
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) => l.replace(/^#{1,6} /, ""));
}

// ---- Dockerfile ---------------------------------------------------------------------------

export interface DockerInstruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions per stage, with `\` continuations joined and comments dropped. */
export function dockerStages(text: string): DockerInstruction[][] {
  const logical: string[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    if (/^\s*#/.test(raw)) continue;
    const line = raw.trimEnd();
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    current += line.trim();
    if (current !== "") logical.push(current);
    current = "";
  }
  const stages: DockerInstruction[][] = [];
  for (const line of logical) {
    const space = line.indexOf(" ");
    const keyword = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const args = space === -1 ? "" : line.slice(space + 1).trim();
    if (keyword === "FROM") stages.push([]);
    const stage = stages.at(-1);
    if (stage === undefined) throw new Error(`Dockerfile: ${keyword} before the first FROM`);
    stage.push({ keyword, args });
  }
  return stages;
}

// ---- .env.example -------------------------------------------------------------------------

export interface EnvEntry {
  readonly key: string;
  readonly value: string;
  /** The comment lines right above the assignment. */
  readonly comment: readonly string[];
}

export function parseEnvExample(text: string): EnvEntry[] {
  const entries: EnvEntry[] = [];
  let comment: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) {
      comment.push(line.replace(/^#\s?/, ""));
      continue;
    }
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) {
      entries.push({ key: m[1], value: m[2], comment });
    } else if (line.trim() !== "") {
      throw new Error(`.env.example: not a comment or KEY=value line: ${line}`);
    }
    comment = [];
  }
  return entries;
}
