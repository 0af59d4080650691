// The ops HTTP endpoint on EDI_METRICS_PORT: /metrics for Prometheus, /healthz for liveness,
// /readyz for readiness. Plain node:http: three fixed routes need no framework. Requests are
// matched against a closed set of paths and methods; nothing a client sends is ever echoed back
// or logged, so a probe cannot inject content into a response, a log line or a metric label.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { ClaimflowError } from "../domain/errors.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

/**
 * What `/readyz` reports. `reason` says why not ready, e.g. "circuit open"; on a ready
 * processor it is a note that does not make it unready (input indexes missing).
 */
export interface Readiness {
  readonly ready: boolean;
  readonly reason?: string;
  /** Which processor this is: the lease holder ("active") or a hot standby. */
  readonly role?: "active" | "standby";
}

export interface HealthServerOptions {
  /** Source of `/metrics`: its registry is rendered on every scrape. */
  readonly metrics: Metrics;
  /**
   * Asked on every `/readyz`; must be cheap and synchronous (it reads state the pipeline keeps,
   * never MongoDB). Typical reasons: "not connected", "not streaming", "circuit open",
   * "lease held by another processor".
   */
  readonly readiness: () => Readiness;
  /** Lifecycle and internal failures; request data is never logged. */
  readonly logger?: Logger;
  /** Sockets open at once; more are refused (closed at once). Default MAX_CONNECTIONS. */
  readonly maxConnections?: number;
}

/** The health server cannot bind, or was used out of order (listen twice, listen after close). */
export class HealthServerError extends ClaimflowError {
  readonly code = "HEALTH_SERVER";
}

const routeSchema = z.enum(["/metrics", "/healthz", "/readyz"]);
const methodSchema = z.enum(["GET", "HEAD"]);
type Route = z.output<typeof routeSchema>;

/** The readiness callback is our code, but a bad reason must not break the probe or the JSON. */
const readinessSchema = z.object({
  ready: z.boolean(),
  reason: z.string().max(200).optional(),
  role: z.enum(["active", "standby"]).optional(),
});

const ALLOW = "GET, HEAD";
/**
 * A slow or idle client must not hold a socket open for long on an ops port. Node enforces the
 * headers and request timeouts only on its connection sweep, every 30 s by default: the sweep
 * runs every second here, so a client that opens a socket and sends nothing (or trickles its
 * headers) is dropped within HEADERS_TIMEOUT_MS plus a second. A keep-alive socket between
 * requests closes after KEEP_ALIVE_TIMEOUT_MS, and any socket silent for SOCKET_IDLE_MS does.
 */
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 2_000;
const SOCKET_IDLE_MS = 10_000;
const SWEEP_INTERVAL_MS = 1_000;
/** Prometheus, the kubelet and an operator's curl need a handful; the cap bounds file descriptors. */
export const MAX_CONNECTIONS = 64;

export class HealthServer {
  readonly #metrics: Metrics;
  readonly #readiness: () => Readiness;
  readonly #logger: Logger | undefined;
  readonly #maxConnections: number;
  #server: Server | undefined;
  #closing: Promise<void> | undefined;

  constructor(opts: HealthServerOptions) {
    this.#metrics = opts.metrics;
    this.#readiness = opts.readiness;
    this.#logger = opts.logger;
    this.#maxConnections = opts.maxConnections ?? MAX_CONNECTIONS;
  }

  /** The bound port while listening, else undefined. */
  get port(): number | undefined {
    const address = this.#server?.address();
    return address !== null && typeof address === "object" ? address.port : undefined;
  }

  /**
   * Binds and resolves with the bound port (`port` 0 picks a free one). Without `host` it listens
   * on every interface, which is what a container needs for its scrape and probes.
   */
  async listen(port: number, host?: string): Promise<number> {
    if (this.#closing) throw new HealthServerError("health server was closed; create a new one");
    if (this.#server) throw new HealthServerError("health server is already listening");
    const server = createServer(
      {
        connectionsCheckingInterval: SWEEP_INTERVAL_MS,
        headersTimeout: HEADERS_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      },
      (req, res) => {
        this.#handle(req, res).catch((err: unknown) => this.#fail(res, err));
      },
    );
    server.maxConnections = this.#maxConnections;
    // Without a handler a socket timeout does nothing; with one, a silent socket is destroyed.
    server.setTimeout(SOCKET_IDLE_MS, (socket) => socket.destroy());
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.#server = undefined;
        reject(
          new HealthServerError(
            `cannot listen on ${host ?? "*"}:${port} (${err.code ?? err.message}); ` +
              "free the port or set EDI_METRICS_PORT",
            { cause: err },
          ),
        );
      };
      server.once("error", onError);
      server.listen(port, host, () => {
        server.off("error", onError);
        resolve();
      });
    });
    if (this.#closing) {
      // close() was called while binding; it found nothing listening yet, so finish its job here.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw new HealthServerError("health server was closed while starting");
    }
    server.on("error", (err) => this.#logger?.error({ err: err.message }, "health server error"));
    const bound = (server.address() as AddressInfo).port;
    this.#logger?.info({ port: bound }, "health server listening");
    return bound;
  }

  /** Stops listening and drops open connections (a scrape during shutdown is worthless). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    const server = this.#server;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    this.#logger?.info("health server closed");
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // No route takes a body; drain whatever was sent so the socket can be reused.
    req.resume();
    const route = routeSchema.safeParse(pathOf(req.url));
    if (!route.success) {
      sendJson(res, req, 404, { error: "not found" });
      return;
    }
    if (!methodSchema.safeParse(req.method).success) {
      res.setHeader("allow", ALLOW);
      sendJson(res, req, 405, { error: "method not allowed" });
      return;
    }
    await this.#route(route.data, req, res);
  }

  async #route(route: Route, req: IncomingMessage, res: ServerResponse): Promise<void> {
    switch (route) {
      case "/healthz":
        sendJson(res, req, 200, { status: "ok" });
        return;
      case "/readyz": {
        const readiness = this.#checkReadiness();
        const role = readiness.role ? { role: readiness.role } : {};
        // A ready processor may still carry a note (e.g. input indexes missing: slow, not wrong).
        const note = readiness.ready && readiness.reason ? { reason: readiness.reason } : {};
        if (readiness.ready) sendJson(res, req, 200, { status: "ready", ...role, ...note });
        else
          sendJson(res, req, 503, { status: "not ready", reason: readiness.reason ?? "not ready", ...role });
        return;
      }
      case "/metrics": {
        const registry = this.#metrics.registry;
        const text = await registry.metrics();
        send(res, req, 200, registry.contentType, text);
        return;
      }
    }
  }

  #checkReadiness(): Readiness {
    try {
      const r = readinessSchema.safeParse(this.#readiness());
      if (r.success) return r.data;
      this.#logger?.error("readiness callback returned an invalid value");
    } catch (err) {
      this.#logger?.error({ err: errorMessage(err) }, "readiness callback threw");
    }
    return { ready: false, reason: "readiness check failed" };
  }

  #fail(res: ServerResponse, err: unknown): void {
    this.#logger?.error({ err: errorMessage(err) }, "health server request failed");
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ error: "internal error" });
    res.writeHead(500, headers("application/json; charset=utf-8", body)).end(body);
  }
}

/** The path without query string; `new URL` is avoided because `//host/x` would change host. */
function pathOf(url: string | undefined): string {
  const raw = url ?? "";
  const q = raw.indexOf("?");
  return q === -1 ? raw : raw.slice(0, q);
}

function sendJson(res: ServerResponse, req: IncomingMessage, status: number, body: object): void {
  send(res, req, status, "application/json; charset=utf-8", JSON.stringify(body));
}

function send(res: ServerResponse, req: IncomingMessage, status: number, type: string, body: string): void {
  res.writeHead(status, headers(type, body));
  // HEAD gets the same headers (including the length) and no body.
  res.end(req.method === "HEAD" ? undefined : body);
}

function headers(type: string, body: string): Record<string, string | number> {
  return {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
