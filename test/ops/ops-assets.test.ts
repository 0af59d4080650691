// The ops assets judged by the real tools (promtool, docker-compose) and checked against the code:
// every metric an alert, a panel or the runbook names must exist in `Metrics`, and .env.example
// must document exactly the variables config.ts reads, with the same defaults.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { CONFIG_VARIABLES, loadConfig } from "../../src/config.js";
import { HealthServer } from "../../src/observability/http-server.js";
import { Metrics } from "../../src/observability/metrics.js";
import {
  claimflowMetricNames,
  DATASOURCE_REF,
  dashboardExpressions,
  dockerStages,
  exposedSeriesNames,
  githubSlug,
  loadAlertRules,
  loadDashboard,
  loadPrometheusConfig,
  markdownHeadings,
  type Panel,
  parseEnvExample,
  REPO_ROOT,
  readRepoFile,
  repoPath,
  substituteVariables,
} from "./assets.js";
import { runTool, toolOutput } from "./tools.js";

const PROMETHEUS_CONFIG = "ops/prometheus.yml";
const ALERTS = "ops/alerts.yml";
const SLO = "ops/slo.yml";
const DASHBOARD = "ops/grafana/claimflow-dashboard.json";
const RUNBOOK = "ops/runbook.md";
const RUNBOOK_URL_DEFAULT = "https://github.com/claimflow/claimflow/blob/main/ops/runbook.md";
const COMPOSE = "docker-compose.replset.yml";

let seriesNames: Set<string>;
beforeAll(async () => {
  seriesNames = await exposedSeriesNames();
});

function unknownMetrics(text: string): string[] {
  return claimflowMetricNames(text).filter((n) => !seriesNames.has(n));
}

describe("Prometheus configuration and alert rules", () => {
  it("passes promtool check config (which also loads alerts.yml)", () => {
    const r = runTool("promtool", ["check", "config", PROMETHEUS_CONFIG], { cwd: REPO_ROOT });
    expect(r.status, toolOutput(r)).toBe(0);
    expect(r.stdout).toContain("2 rule files found");
  });

  it("passes promtool check rules", () => {
    const r = runTool("promtool", ["check", "rules", ALERTS], { cwd: REPO_ROOT });
    expect(r.status, toolOutput(r)).toBe(0);
  });

  it("passes the promtool unit tests of every alert (fires when it should, quiet when guarded)", () => {
    const r = runTool("promtool", ["test", "rules", "test/ops/alerts.test.yml"], { cwd: REPO_ROOT });
    expect(r.status, toolOutput(r)).toBe(0);
    const tested = new Set(
      [...readRepoFile("test/ops/alerts.test.yml").matchAll(/alertname: (\w+)/g)].map((m) => m[1]),
    );
    expect(loadAlertRules(ALERTS).filter((a) => !tested.has(a.alert))).toEqual([]);
  });

  it("passes promtool check rules and the burn-rate unit tests of the SLO rules (issue 12 item 10)", () => {
    const check = runTool("promtool", ["check", "rules", SLO], { cwd: REPO_ROOT });
    expect(check.status, toolOutput(check)).toBe(0);
    const r = runTool("promtool", ["test", "rules", "test/ops/slo.test.yml"], { cwd: REPO_ROOT });
    expect(r.status, toolOutput(r)).toBe(0);
    const tested = new Set(
      [...readRepoFile("test/ops/slo.test.yml").matchAll(/alertname: (\w+)/g)].map((m) => m[1]),
    );
    const alerts = [...readRepoFile(SLO).matchAll(/- alert: (\w+)/g)].map((m) => m[1] as string);
    expect(alerts).toHaveLength(4);
    expect(alerts.filter((a) => !tested.has(a))).toEqual([]);
    const headings = markdownHeadings(readRepoFile(RUNBOOK));
    for (const a of alerts) {
      expect(headings, a).toContain(a);
      expect(readRepoFile(SLO)).toContain(`#${githubSlug(a)}'`);
    }
  });

  it("scrapes claimflow on :9464 and loads alerts.yml from next to prometheus.yml", () => {
    const config = loadPrometheusConfig(PROMETHEUS_CONFIG);
    const job = config.scrape_configs.find((j) => j.job_name === "claimflow");
    expect(job?.static_configs.flatMap((s) => s.targets)).toContain("claimflow:9464");
    expect(config.rule_files).toEqual(["alerts.yml", "slo.yml"]);
    expect(existsSync(join(dirname(repoPath(PROMETHEUS_CONFIG)), "alerts.yml"))).toBe(true);
    expect(existsSync(join(dirname(repoPath(PROMETHEUS_CONFIG)), "slo.yml"))).toBe(true);
  });

  it("alerts only on metrics that claimflow exposes", () => {
    const rules = loadAlertRules(ALERTS);
    expect(unknownMetrics(readRepoFile(ALERTS))).toEqual([]);
    for (const rule of rules) {
      const usesUp = /\bup\{job="claimflow"\}/.test(rule.expr);
      expect(usesUp || claimflowMetricNames(rule.expr).length > 0, rule.alert).toBe(true);
    }
  });

  it("covers every failure the runbook promises an alert for", () => {
    const exprs = loadAlertRules(ALERTS).map((r) => r.expr);
    const alertOn = (re: RegExp) => exprs.some((e) => re.test(e));
    expect(alertOn(/up\{job="claimflow"\} == 0/)).toBe(true);
    expect(alertOn(/claimflow_stream_lag_seconds >/)).toBe(true);
    expect(alertOn(/claimflow_checkpoint_age_seconds >/)).toBe(true);
    expect(alertOn(/claimflow_checkpoint_headroom_seconds </)).toBe(true);
    expect(alertOn(/claimflow_claims_dead_lettered_total/)).toBe(true);
    expect(alertOn(/claimflow_token_lost_total/)).toBe(true);
    expect(alertOn(/claimflow_circuit_state == 2/)).toBe(true);
    expect(alertOn(/claimflow_ready_backlog_claims[\s\S]*claimflow_last_file_timestamp_seconds/)).toBe(true);
    expect(alertOn(/max by \(job\) \(claimflow_reserved_batches\) > 0/)).toBe(true);
  });

  it("gives every alert a runbook section of the same name", () => {
    const headings = markdownHeadings(readRepoFile(RUNBOOK));
    for (const rule of loadAlertRules(ALERTS)) {
      expect(headings, rule.alert).toContain(rule.alert);
      // Absolute (Alertmanager and pagers link it as is); the base is the `runbook_base` external
      // label when Prometheus sets one, else the documented default.
      expect(rule.annotations.runbook_url).toBe(
        `{{ or $externalLabels.runbook_base "${RUNBOOK_URL_DEFAULT}" }}#${githubSlug(rule.alert)}`,
      );
    }
  });
});

describe("Grafana dashboard", () => {
  const dashboard = loadDashboard(DASHBOARD);
  const variables = dashboard.templating.list.map((v) => v.name);
  const exprs = dashboardExpressions(dashboard);
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "claimflow-dashboard-"));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("queries only metrics that claimflow exposes", () => {
    expect(unknownMetrics(readRepoFile(DASHBOARD))).toEqual([]);
    expect(claimflowMetricNames(exprs.join("\n")).length).toBeGreaterThanOrEqual(20);
  });

  it("has PromQL that promtool parses, once Grafana variables are substituted", () => {
    // promtool has no expression checker, but it parses every expression of a rules file.
    const rules = exprs.map((expr, i) => ({
      record: `claimflow_dashboard:expr_${i}`,
      expr: substituteVariables(expr, variables),
    }));
    const file = join(tmp, "dashboard-exprs.yml");
    writeFileSync(file, stringifyYaml({ groups: [{ name: "dashboard", rules }] }));
    const r = runTool("promtool", ["check", "rules", file]);
    expect(r.status, toolOutput(r)).toBe(0);
    expect(r.stdout).toContain(`${rules.length} rules found`);
  });

  it("shows throughput, latency quantiles, lag, checkpoint, buffers, dead letters, batches, errors and circuit", () => {
    const all = exprs.join("\n");
    expect(all).toMatch(/rate\(claimflow_claims_emitted_total/);
    for (const q of ["0.5", "0.95", "0.99"]) {
      expect(all).toContain(
        `histogram_quantile(${q}, sum by (le) (rate(claimflow_ready_to_file_latency_seconds_bucket`,
      );
    }
    for (const name of [
      "claimflow_stream_lag_seconds",
      "claimflow_checkpoint_age_seconds",
      "claimflow_checkpoint_headroom_seconds",
      "claimflow_oplog_window_seconds",
      "claimflow_buffered_claims",
      "claimflow_open_windows",
      "claimflow_batches_total",
      "claimflow_mongo_errors_total",
      "claimflow_circuit_state",
    ]) {
      expect(all, name).toContain(name);
    }
    expect(all).toMatch(/sum by \(reason\) \(increase\(claimflow_claims_dead_lettered_total/);
  });

  it("uses the datasource variable and only variables it defines", () => {
    expect(variables).toEqual(expect.arrayContaining(["datasource", "job", "instance"]));
    const panels = dashboard.panels.filter((p) => p.type !== "row");
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual(DATASOURCE_REF);
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
    }
    for (const v of dashboard.templating.list) {
      const query = typeof v.query === "string" ? v.query : v.query.query;
      if (v.type === "query") expect(() => substituteVariables(query, variables)).not.toThrow();
    }
  });

  it("lays panels out on the 24-column grid without overlaps, with unique ids", () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const overlap = (a: Panel, b: Panel) =>
      a.gridPos.x < b.gridPos.x + b.gridPos.w &&
      b.gridPos.x < a.gridPos.x + a.gridPos.w &&
      a.gridPos.y < b.gridPos.y + b.gridPos.h &&
      b.gridPos.y < a.gridPos.y + a.gridPos.h;
    dashboard.panels.forEach((a, i) => {
      expect(a.gridPos.x + a.gridPos.w, a.title).toBeLessThanOrEqual(24);
      for (const b of dashboard.panels.slice(i + 1))
        expect(overlap(a, b), `${a.title} / ${b.title}`).toBe(false);
    });
  });
});

describe("runbook", () => {
  const runbook = readRepoFile(RUNBOOK);

  it("names only metrics that claimflow exposes", () => {
    expect(unknownMetrics(runbook)).toEqual([]);
  });

  it("links only to headings that exist", () => {
    const anchors = new Set(markdownHeadings(runbook).map(githubSlug));
    const links = [...runbook.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((l) => l === undefined || !anchors.has(l))).toEqual([]);
  });

  it("documents every operator command", () => {
    for (const cmd of [
      "claimflow token show",
      "claimflow token reset --now",
      "claimflow token reset --at",
      "claimflow token reset --clear",
      "--yes",
      "--force",
      "claimflow status",
      "--json",
      "claimflow indexes ensure",
      "claimflow dead-letters list",
      "claimflow dead-letters show <claim_number>",
      "claimflow dead-letters retry <claim_number>",
      "claimflow dead-letters purge --before",
      "claimflow batches replay <batch_id>",
      "claimflow validate",
      "claimflow seed --claims",
    ]) {
      expect(runbook, cmd).toContain(cmd);
    }
    for (const section of [
      "token",
      "Dead-letter triage",
      "Replay a batch",
      "Crash recovery",
      "Add the indexes",
    ]) {
      expect(
        markdownHeadings(runbook).some((h) => h.includes(section)),
        section,
      ).toBe(true);
    }
  });
});

// `docker-compose config` resolves anchors, merges and paths exactly as `up` would.
const composeSchema = z.object({
  services: z.record(
    z.string(),
    z.object({
      image: z.string().optional(),
      build: z.object({ context: z.string(), dockerfile: z.string().optional() }).optional(),
      command: z.array(z.string()).optional(),
      entrypoint: z.array(z.string()).optional(),
      environment: z.record(z.string(), z.string()).optional(),
      volumes: z.array(z.string()).optional(),
      healthcheck: z.object({ test: z.array(z.string()) }).optional(),
      depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
    }),
  ),
  volumes: z.record(z.string(), z.unknown()),
});

describe("docker-compose.replset.yml", () => {
  // Loaded on first use rather than in beforeAll: a missing docker-compose then fails each test
  // with the install hint, instead of vitest reporting them as skipped.
  let resolved: z.output<typeof composeSchema> | undefined;
  const composeConfig = () => {
    if (resolved === undefined) {
      const r = runTool("docker-compose", ["-f", COMPOSE, "config"], { cwd: REPO_ROOT });
      if (r.status !== 0) throw new Error(`docker-compose config failed: ${toolOutput(r)}`);
      resolved = composeSchema.parse(parseYaml(r.stdout));
    }
    return resolved;
  };
  const service = (name: string) => {
    const s = composeConfig().services[name];
    if (s === undefined) throw new Error(`compose has no service ${name}`);
    return s;
  };

  it("passes docker-compose config -q", () => {
    const r = runTool("docker-compose", ["-f", COMPOSE, "config", "-q"], { cwd: REPO_ROOT });
    expect(r.status, toolOutput(r)).toBe(0);
  });

  it("runs three mongod 7.0 members of rs0 with healthchecks", () => {
    for (const name of ["mongo1", "mongo2", "mongo3"]) {
      const s = service(name);
      expect(s.image, name).toBe("mongo:7.0");
      expect(s.command, name).toEqual(expect.arrayContaining(["--replSet", "rs0", "--bind_ip_all"]));
      expect(s.healthcheck?.test.join(" "), name).toContain("mongosh");
    }
  });

  it("initiates the set once every member is healthy, with ops/replset-init.js", () => {
    const init = service("mongo-init");
    expect(init.entrypoint?.[0]).toBe("mongosh");
    const mount = init.volumes?.find((v) => v.startsWith(repoPath("ops/replset-init.js")));
    expect(mount).toBeDefined();
    const inContainer = mount?.split(":")[1];
    expect(init.entrypoint).toContain(inContainer);
    for (const m of ["mongo1", "mongo2", "mongo3"]) {
      expect(init.depends_on?.[m]?.condition, m).toBe("service_healthy");
    }
  });

  it("builds claimflow from the Dockerfile, pointed at the set, writing to the 837_output volume", () => {
    const app = service("claimflow");
    expect(app.build?.dockerfile ?? "Dockerfile").toBe("Dockerfile");
    expect(app.environment?.EDI_MONGODB_URI).toBe(
      "mongodb://mongo1:27017,mongo2:27017,mongo3:27017/?replicaSet=rs0",
    );
    expect(app.depends_on?.["mongo-init"]?.condition).toBe("service_completed_successfully");
    expect(app.volumes).toContainEqual(expect.stringMatching(/^837_output:\/app\/837_output(:rw)?$/));
    expect(Object.keys(composeConfig().volumes)).toContain("837_output");
    // The scrape target of ops/prometheus.yml is this service on the metrics port.
    expect(app.environment?.EDI_METRICS_PORT ?? "9464").toBe("9464");
  });

  it("mounts prometheus.yml and alerts.yml side by side in Prometheus", () => {
    const prom = service("prometheus");
    expect(prom.image).toMatch(/^prom\/prometheus/);
    const target = (file: string) =>
      prom.volumes?.find((v) => v.startsWith(`${repoPath(file)}:`))?.split(":")[1];
    const config = target(PROMETHEUS_CONFIG);
    expect(config).toBe("/etc/prometheus/prometheus.yml");
    const rulesAt = posix.join(
      posix.dirname(config ?? ""),
      loadPrometheusConfig(PROMETHEUS_CONFIG).rule_files[0] ?? "",
    );
    expect(target(ALERTS)).toBe(rulesAt);
  });
});

describe(".env.example", () => {
  const entries = parseEnvExample(readRepoFile(".env.example"));

  it("lists exactly the variables config.ts reads, in its order, each with a comment", () => {
    expect(entries.map((e) => e.key)).toEqual([...CONFIG_VARIABLES]);
    for (const e of entries) expect(e.comment.join(" ").trim().length, e.key).toBeGreaterThan(10);
  });

  it("shows the defaults config.ts applies", () => {
    const env = Object.fromEntries(entries.map((e) => [e.key, e.value]));
    expect(loadConfig(env)).toEqual(loadConfig({}));
  });
});

describe("Dockerfile", () => {
  const stages = dockerStages(readRepoFile("Dockerfile"));
  const final = stages.at(-1) ?? [];
  const args = (keyword: string) => final.filter((i) => i.keyword === keyword).map((i) => i.args);

  it("builds in one stage and runs production dependencies on node:20-bookworm-slim", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages[0] ?? [];
    const buildRuns = build.filter((i) => i.keyword === "RUN").map((i) => i.args);
    expect(buildRuns.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(buildRuns.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    expect(args("FROM")).toEqual(["node:20-bookworm-slim"]);
    // `prepare` runs the TypeScript build, which --omit=dev cannot do: scripts must be off.
    expect(args("RUN").some((r) => /npm ci --omit=dev --ignore-scripts/.test(r))).toBe(true);
    expect(args("COPY")).toEqual(
      expect.arrayContaining([expect.stringMatching(/^--from=\S+ \/app\/dist \.\/dist$/)]),
    );
    expect(args("COPY")).toContain("bin ./bin");
  });

  it("runs as a non-root user that owns the output volume", () => {
    const users = args("USER");
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1) ?? "root";
    expect(user.split(":")[0]).not.toMatch(/^(root|0)$/);
    const userAt = final.findIndex((i) => i.keyword === "USER");
    const volumeAt = final.findIndex((i) => i.keyword === "VOLUME");
    expect(args("VOLUME")).toEqual(["/app/837_output"]);
    expect(args("RUN").some((r) => /chown .*\/app\/837_output/.test(r))).toBe(true);
    expect(userAt).toBeLessThan(final.findIndex((i) => i.keyword === "ENTRYPOINT"));
    expect(volumeAt).toBeGreaterThan(-1);
  });

  it("exposes 9464 and starts `claimflow run`", () => {
    expect(args("EXPOSE")).toEqual(["9464"]);
    expect(JSON.parse(args("ENTRYPOINT")[0] ?? "null")).toEqual(["node", "bin/claimflow.js"]);
    expect(JSON.parse(args("CMD")[0] ?? "null")).toEqual(["run"]);
  });

  it("has a HEALTHCHECK whose node command passes against /healthz and fails without a server", async () => {
    const healthcheck = args("HEALTHCHECK")[0] ?? "";
    const cmd = /CMD (\[.*\])$/.exec(healthcheck)?.[1];
    const argv = z.array(z.string()).parse(JSON.parse(cmd ?? "null"));
    expect(argv[0]).toBe("node");
    expect(argv.join(" ")).toContain("/healthz");

    const server = new HealthServer({
      metrics: new Metrics({ collectDefaults: false }),
      readiness: () => ({ ready: true }),
    });
    const port = await server.listen(0, "127.0.0.1");
    // Asynchronous: the server answering the probe runs on this process's event loop.
    const probe = (p: number) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, argv.slice(1), {
          env: { ...process.env, EDI_METRICS_PORT: String(p) },
          stdio: "ignore",
          timeout: 10_000,
        });
        child.on("exit", (code) => resolve(code));
      });
    try {
      expect(await probe(port)).toBe(0);
    } finally {
      await server.close();
    }
    expect(await probe(port)).toBe(1);
  });

  it("keeps the build context small but complete (.dockerignore)", () => {
    const ignored = readRepoFile(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    expect(ignored).toEqual(expect.arrayContaining(["node_modules", "dist", ".git", ".env"]));
    for (const needed of [
      "src",
      "bin",
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "tsconfig.build.json",
    ]) {
      expect(ignored, needed).not.toContain(needed);
    }
  });
});
