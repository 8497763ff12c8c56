/**
 * The ONLY place the OpenTelemetry SDK is set up (DESIGN §9, STYLE 15). Apps' `main.ts` import this
 * and call `startTracing` before anything requires `@grpc/grpc-js` or `pg`: the instrumentations
 * patch those modules when they are first required, so a module loaded earlier stays untraced.
 * Libraries never import this file; they use `@geo/otel` (API only).
 */
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { registerInstrumentations, type InstrumentationBase } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { setSpansExported } from './export-state';

/** Resource attribute naming the Geo site a process belongs to. */
export const SITE_NAME_ATTRIBUTE = 'geo.site.name';

export interface StartTracingOptions {
  /** `service.name` resource attribute, e.g. `geo-registry`. */
  readonly serviceName: string;
  /**
   * `geo.site.name` resource attribute: every site runs the same service names, so this tells the
   * primary's spans from a secondary's in one cross-site trace (Jaeger shows it as a process tag).
   */
  readonly siteName?: string | undefined;
  /** OTLP/gRPC collector address (e.g. `http://127.0.0.1:4317`). Unset: no spans leave the process. */
  readonly otlpEndpoint?: string | undefined;
  /**
   * Tests: export every span synchronously to this exporter (e.g. `InMemorySpanExporter`) instead
   * of batching to OTLP. Takes precedence over `otlpEndpoint`.
   */
  readonly exporter?: SpanExporter | undefined;
}

/** A started tracing pipeline; `shutdown` flushes pending spans and unpatches the instrumentations. */
export interface TracingHandle {
  /** Instrumentations in effect (exposed so tests can patch modules jest loaded itself). */
  readonly instrumentations: readonly InstrumentationBase[];
  shutdown(): Promise<void>;
}

function spanProcessorsFor(options: StartTracingOptions): SpanProcessor[] {
  if (options.exporter !== undefined) return [new SimpleSpanProcessor(options.exporter)];
  if (options.otlpEndpoint !== undefined) {
    return [new BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlpEndpoint }))];
  }
  // Still record spans (trace ids end up in logs and in propagated headers), export nothing.
  return [];
}

/**
 * Registers a global tracer provider with W3C trace-context propagation and the gRPC instrumentation,
 * plus the pg instrumentation when spans are exported. Call once per process.
 */
export function startTracing(options: StartTracingOptions): TracingHandle {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      ...(options.siteName === undefined ? {} : { [SITE_NAME_ATTRIBUTE]: options.siteName }),
    }),
    spanProcessors: spanProcessorsFor(options),
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  // gRPC spans always: they carry the trace context between services (and its ids into the logs).
  // A span per SQL statement is only worth its cost (a wrapper and a span on every query of the
  // sync and ingest hot paths) when spans leave the process.
  const exporting = options.exporter !== undefined || options.otlpEndpoint !== undefined;
  setSpansExported(exporting);
  const instrumentations: InstrumentationBase[] = exporting ? [new GrpcInstrumentation(), new PgInstrumentation()] : [new GrpcInstrumentation()];
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations });
  let stopped: Promise<void> | undefined;
  return {
    instrumentations,
    shutdown() {
      stopped ??= (async () => {
        setSpansExported(false);
        unregister();
        await provider.shutdown();
      })();
      return stopped;
    },
  };
}
