import { SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { currentTraceIds, withSpan } from './index';
import { startTracing } from './sdk';

describe('withSpan / currentTraceIds', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ serviceName: 'with-span-test', exporter });
  afterAll(() => tracing.shutdown());
  beforeEach(() => exporter.reset());

  it('has no trace ids outside a span', () => {
    expect(currentTraceIds()).toBeUndefined();
  });

  it('returns the result, nests spans and exposes the active ids', async () => {
    const seen = await withSpan('outer', () => withSpan('inner', () => currentTraceIds(), { 'geo.replicable': 'packages_nuget_symbol' }));
    const [inner, outer] = exporter.getFinishedSpans();
    expect(inner!.name).toBe('inner');
    expect(inner!.attributes).toEqual({ 'geo.replicable': 'packages_nuget_symbol' });
    expect(inner!.parentSpanContext?.spanId).toBe(outer!.spanContext().spanId);
    expect(seen).toEqual({ trace_id: inner!.spanContext().traceId, span_id: inner!.spanContext().spanId });
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('records a thrown error on the span and rethrows it unchanged', async () => {
    const error = new Error('disk on fire');
    await expect(withSpan('failing', () => Promise.reject(error))).rejects.toBe(error);
    const [span] = exporter.getFinishedSpans();
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'disk on fire' });
    expect(span!.events.map((e) => e.name)).toEqual(['exception']);
  });
});
