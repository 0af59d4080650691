// Optional OpenTelemetry tracing of batches: one `claimflow.batch` span per window with children
// `claimflow.enrich`, `claimflow.render`, `claimflow.commit` and `claimflow.write`, exported
// over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set. Off by default and free when off: the
// SDK is imported only by startTracing, and until then every batch gets the shared no-op trace
// (no allocation, the step functions are called straight through).
//
// Never PHI: span attributes are limited to the identifiers and counts of BatchSpanAttributes,
// and a failure is recorded by error name only (messages and stacks are not exported).
import type { Attributes, Context, Span, Tracer } from "@opentelemetry/api";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";

export type BatchStep = "enrich" | "render" | "commit" | "write";

/** Everything a batch span may carry: identifiers and counts, never claim content. */
export interface BatchSpanAttributes {
  readonly batchId?: string;
  readonly streamName?: string;
  readonly groupId?: string;
  readonly clientId?: string;
  /** Claims in the window (or in the batch once reserved). */
  readonly claimCount?: number;
  readonly emitted?: number;
  readonly duplicates?: number;
  readonly deadLettered?: number;
  /** A reserved batch written by startup recovery. */
  readonly recovered?: boolean;
}

const ATTRIBUTE_NAMES: Readonly<Record<keyof BatchSpanAttributes, string>> = {
  batchId: "claimflow.batch.id",
  streamName: "claimflow.stream",
  groupId: "claimflow.group_id",
  clientId: "claimflow.client_id",
  claimCount: "claimflow.batch.claims",
  emitted: "claimflow.batch.emitted",
  duplicates: "claimflow.batch.duplicates",
  deadLettered: "claimflow.batch.dead_lettered",
  recovered: "claimflow.batch.recovered",
};

/** One batch's trace, as the batch processor sees it. */
export interface BatchTrace {
  /** Fields for the batch's log lines: `{ traceId }` when tracing, else nothing. */
  readonly logFields: Readonly<{ traceId?: string }>;
  set(attrs: BatchSpanAttributes): void;
  step<T>(name: BatchStep, fn: () => Promise<T>): Promise<T>;
  stepSync<T>(name: BatchStep, fn: () => T): T;
  /** Runs the whole batch under the root span and ends it (error status on a throw). */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export const NOOP_BATCH_TRACE: BatchTrace = {
  logFields: {},
  set: () => undefined,
  step: (_name, fn) => fn(),
  stepSync: (_name, fn) => fn(),
  run: (fn) => fn(),
};

interface ActiveTracing {
  readonly api: typeof import("@opentelemetry/api");
  readonly tracer: Tracer;
}

let active: ActiveTracing | undefined;

/** The trace of a new batch: real spans while tracing is started, the no-op trace otherwise. */
export function startBatchTrace(attrs: BatchSpanAttributes): BatchTrace {
  return active ? new OtelBatchTrace(active, attrs) : NOOP_BATCH_TRACE;
}

function toAttributes(attrs: BatchSpanAttributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attrs)) {
    const name = ATTRIBUTE_NAMES[key as keyof BatchSpanAttributes];
    if (name !== undefined && value !== undefined) out[name] = value;
  }
  return out;
}

class OtelBatchTrace implements BatchTrace {
  readonly logFields: { traceId: string };
  private readonly root: Span;
  private readonly context: Context;

  constructor(
    private readonly t: ActiveTracing,
    attrs: BatchSpanAttributes,
  ) {
    // Explicit parent contexts: no global context manager or provider is registered, so
    // claimflow's tracing never changes what other libraries in the process do.
    this.root = t.tracer.startSpan(
      "claimflow.batch",
      { attributes: toAttributes(attrs), root: true },
      t.api.ROOT_CONTEXT,
    );
    this.context = t.api.trace.setSpan(t.api.ROOT_CONTEXT, this.root);
    this.logFields = { traceId: this.root.spanContext().traceId };
  }

  set(attrs: BatchSpanAttributes): void {
    this.root.setAttributes(toAttributes(attrs));
  }

  private child(name: BatchStep): Span {
    return this.t.tracer.startSpan(`claimflow.${name}`, {}, this.context);
  }

  private failed(span: Span, err: unknown): void {
    const name = err instanceof Error ? err.name : "Error";
    const code = (err as { code?: unknown } | null)?.code;
    span.setAttribute("claimflow.error", name);
    if (typeof code === "string" || typeof code === "number") span.setAttribute("claimflow.error.code", code);
    span.setStatus({ code: this.t.api.SpanStatusCode.ERROR, message: name });
  }

  async step<T>(name: BatchStep, fn: () => Promise<T>): Promise<T> {
    const span = this.child(name);
    try {
      return await fn();
    } catch (err) {
      this.failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  stepSync<T>(name: BatchStep, fn: () => T): T {
    const span = this.child(name);
    try {
      return fn();
    } catch (err) {
      this.failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.failed(this.root, err);
      throw err;
    } finally {
      this.root.end();
    }
  }
}

export interface TracingOptions {
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<endpoint>/v1/traces`. */
  readonly endpoint?: string | undefined;
  /** Export here instead, span by span (tests use the SDK's InMemorySpanExporter). */
  readonly exporter?: SpanExporter;
  readonly serviceVersion?: string;
}

export interface TracingHandle {
  /** Exports every ended span now. */
  flush(): Promise<void>;
  /** Stops tracing (batches get the no-op trace again) after exporting what is pending. */
  shutdown(): Promise<void>;
}

/** Loads the SDK and turns batch tracing on for this process. */
export async function startTracing(opts: TracingOptions): Promise<TracingHandle> {
  const [api, sdk, resources] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/resources"),
  ]);
  let processor: InstanceType<typeof sdk.SimpleSpanProcessor> | InstanceType<typeof sdk.BatchSpanProcessor>;
  if (opts.exporter) {
    processor = new sdk.SimpleSpanProcessor(opts.exporter);
  } else {
    if (!opts.endpoint) throw new TypeError("startTracing needs an endpoint or an exporter");
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    const url = `${opts.endpoint.replace(/\/+$/, "")}/v1/traces`;
    processor = new sdk.BatchSpanProcessor(new OTLPTraceExporter({ url }));
  }
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({
      "service.name": "claimflow",
      ...(opts.serviceVersion ? { "service.version": opts.serviceVersion } : {}),
    }),
    spanProcessors: [processor],
  });
  const mine: ActiveTracing = { api, tracer: provider.getTracer("claimflow") };
  active = mine;
  let stopped: Promise<void> | undefined;
  return {
    flush: () => provider.forceFlush(),
    shutdown: () => {
      stopped ??= (async () => {
        if (active === mine) active = undefined;
        await provider.shutdown();
      })();
      return stopped;
    },
  };
}
