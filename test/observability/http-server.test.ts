import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HealthServer, HealthServerError, type Readiness } from "../../src/observability/http-server.js";
import { Metrics } from "../../src/observability/metrics.js";
import { runTool, toolOutput } from "../ops/tools.js";

let metrics: Metrics;
let readiness: Readiness;
let server: HealthServer;
let base: string;

beforeEach(async () => {
  metrics = new Metrics();
  readiness = { ready: false, reason: "not connected" };
  server = new HealthServer({ metrics, readiness: () => readiness });
  const port = await server.listen(0, "127.0.0.1");
  base = `http://127.0.0.1:${port}`;
});

afterEach(async () => {
  await server.close();
});

/** One sample line's value, e.g. `claimflow_claims_emitted_total 3`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("HealthServer /metrics", () => {
  it("serves the registry in the Prometheus text format with the registry's content type", async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(metrics.registry.contentType);
    const text = await res.text();
    expect(text).toContain("# TYPE claimflow_claims_emitted_total counter");
    expect(text).toContain("# TYPE claimflow_ready_to_file_latency_seconds histogram");
    expect(text).toContain("claimflow_process_resident_memory_bytes");
  });

  it("shows values moving as the pipeline updates metrics", async () => {
    const before = await (await fetch(`${base}/metrics`)).text();
    expect(sample(before, "claimflow_claims_emitted_total")).toBe(0);

    metrics.claimsEmitted.inc(3);
    metrics.claimsDeadLettered.inc({ reason: "patient_missing" });
    metrics.streamLag.set(1.5);
    metrics.readyToFileLatency.observe(0.3);

    const after = await (await fetch(`${base}/metrics`)).text();
    expect(sample(after, "claimflow_claims_emitted_total")).toBe(3);
    expect(sample(after, 'claimflow_claims_dead_lettered_total{reason="patient_missing"}')).toBe(1);
    expect(sample(after, "claimflow_stream_lag_seconds")).toBe(1.5);
    expect(sample(after, 'claimflow_ready_to_file_latency_seconds_bucket{le="0.25"}')).toBe(0);
    expect(sample(after, 'claimflow_ready_to_file_latency_seconds_bucket{le="0.5"}')).toBe(1);
    expect(sample(after, "claimflow_ready_to_file_latency_seconds_count")).toBe(1);
  });

  it("passes promtool check metrics", async () => {
    // Touch labelled series too, so their exposition is linted as well.
    metrics.eventsReceived.inc({ operation: "insert" }, 2);
    metrics.batches.inc({ outcome: "written" });
    metrics.batchSize.observe(42);
    metrics.mongoErrors.inc({ operation: "find" });
    const text = await (await fetch(`${base}/metrics`)).text();
    const r = runTool("promtool", ["check", "metrics"], { input: text });
    expect(r.status, toolOutput(r)).toBe(0);
    expect(`${r.stdout}${r.stderr}`.trim()).toBe("");
  });
});

describe("HealthServer probes", () => {
  it("answers /healthz with 200 while the process is alive", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("answers /readyz with 503 and the reason, then 200 once ready", async () => {
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: "not ready", reason: "not connected" });

    readiness = { ready: false, reason: "circuit open" };
    const open = await fetch(`${base}/readyz`);
    expect(open.status).toBe(503);
    expect(await open.json()).toEqual({ status: "not ready", reason: "circuit open" });

    readiness = { ready: true };
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("reports not ready when the readiness callback throws", async () => {
    const failing = new HealthServer({
      metrics,
      readiness: () => {
        throw new Error("boom");
      },
    });
    const port = await failing.listen(0, "127.0.0.1");
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: "not ready", reason: "readiness check failed" });
    } finally {
      await failing.close();
    }
  });

  it("ignores the query string", async () => {
    const res = await fetch(`${base}/healthz?verbose=1`);
    expect(res.status).toBe(200);
  });

  it("answers HEAD with headers and no body", async () => {
    const res = await fetch(`${base}/healthz`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength('{"status":"ok"}')));
    expect(await res.text()).toBe("");
  });
});

describe("HealthServer request validation", () => {
  it("answers unknown paths with 404 without echoing the path", async () => {
    const res = await fetch(`${base}/%3Cscript%3Ealert(1)%3C%2Fscript%3E`);
    expect(res.status).toBe(404);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ error: "not found" });
    expect(body).not.toMatch(/script/i);
  });

  it("does not treat a path that only starts like a route as that route", async () => {
    for (const path of ["/metrics/", "/healthz/x", "//healthz", "/HEALTHZ"]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(404);
    }
  });

  it("answers other methods with 405 and an Allow header", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const res = await fetch(`${base}/metrics`, { method, body: method === "DELETE" ? undefined : "x=1" });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
      const body = await res.text();
      expect(JSON.parse(body)).toEqual({ error: "method not allowed" });
      expect(body).not.toContain("x=1");
    }
  });

  it("answers a request-target that is not a path with 404", async () => {
    // fetch normalises URLs, so send an absolute-form and an asterisk-form target by hand.
    const port = server.port;
    const status = (path: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path, method: "GET" }, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on("error", reject);
        req.end();
      });
    expect(await status("*")).toBe(404);
    expect(await status("http://evil.example/healthz")).toBe(404);
  });
});

describe("HealthServer lifecycle", () => {
  it("resolves listen with the bound ephemeral port", () => {
    expect(server.port).toBe(Number(new URL(base).port));
    expect(server.port).toBeGreaterThan(0);
  });

  it("closes idempotently and stops answering", async () => {
    await server.close();
    await server.close();
    expect(server.port).toBeUndefined();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it("closes a server that never listened", async () => {
    const idle = new HealthServer({ metrics, readiness: () => ({ ready: true }) });
    await expect(idle.close()).resolves.toBeUndefined();
  });

  it("does not leave a socket open when closed while still binding", async () => {
    const racing = new HealthServer({ metrics, readiness: () => ({ ready: true }) });
    const listening = racing.listen(0, "127.0.0.1");
    const closing = racing.close();
    await expect(listening).rejects.toThrow(/closed while starting/);
    await closing;
    expect(racing.port).toBeUndefined();
  });

  it("refuses to listen twice or after close", async () => {
    await expect(server.listen(0, "127.0.0.1")).rejects.toBeInstanceOf(HealthServerError);
    await server.close();
    await expect(server.listen(0, "127.0.0.1")).rejects.toThrow(/closed/);
  });

  it("reports a port already in use as a HealthServerError naming EDI_METRICS_PORT", async () => {
    const second = new HealthServer({ metrics, readiness: () => ({ ready: true }) });
    const err = await second.listen(server.port ?? 0, "127.0.0.1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HealthServerError);
    expect((err as Error).message).toMatch(/EADDRINUSE.*EDI_METRICS_PORT/);
    await second.close();
  });
});

describe("HealthServer connection limits", () => {
  /** Opens a raw socket, optionally writes, and resolves when the server closes it. */
  function rawSocket(port: number): { closed: Promise<void>; socket: Socket } {
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => undefined);
    socket.resume();
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    return { socket, closed };
  }

  // Without a short sweep interval Node only looks at idle sockets every 30 s: the test's own
  // timeout (well under that) fails it.
  it("drops a socket that sends nothing within seconds", { timeout: 20_000 }, async () => {
    const { closed } = rawSocket(server.port ?? 0);
    await closed;
  });

  it("drops a client that trickles its headers", { timeout: 20_000 }, async () => {
    const { socket, closed } = rawSocket(server.port ?? 0);
    socket.write("GET /metrics HTTP/1.1\r\nHost: x\r\n");
    const trickle = setInterval(() => socket.writable && socket.write("X-A: b\r\n"), 300);
    await closed;
    clearInterval(trickle);
  });

  it("closes an idle keep-alive socket after its request was answered", { timeout: 20_000 }, async () => {
    const { socket, closed } = rawSocket(server.port ?? 0);
    let answer = "";
    socket.on("data", (d: Buffer) => {
      answer += d.toString();
    });
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
  });

  it("refuses connections beyond the cap and still serves the ones within it", {
    timeout: 10_000,
  }, async () => {
    const capped = new HealthServer({ metrics, readiness: () => ({ ready: true }), maxConnections: 2 });
    const port = await capped.listen(0, "127.0.0.1");
    const a = rawSocket(port);
    const b = rawSocket(port);
    await Promise.all([a, b].map((s) => new Promise((r) => s.socket.once("connect", r))));
    let withinCapClosed = false;
    void Promise.race([a.closed, b.closed]).then(() => {
      withinCapClosed = true;
    });
    const third = rawSocket(port);
    await third.closed;
    // Refused for the cap, not dropped by an idle timeout (which would close the first two too).
    expect(withinCapClosed).toBe(false);
    a.socket.destroy();
    await a.closed;
    // The server notices the freed slot a moment after the client does: try a few times.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status,
        () => new Promise<number>((r) => setTimeout(() => r(0), 100)),
      );
    }
    expect(status).toBe(200);
    b.socket.destroy();
    await capped.close();
  });
});
