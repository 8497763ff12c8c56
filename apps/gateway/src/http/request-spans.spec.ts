import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { currentTraceIds } from '@geo/otel';
import { startTracing } from '@geo/otel/sdk';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { traceRequests } from './request-spans';

describe('traceRequests', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ serviceName: 'gateway-spans-test', exporter });
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    app = Fastify();
    traceRequests(app);
    app.get('/api/v4/projects/:id', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1)); // the context must survive async steps
      return currentTraceIds() ?? {};
    });
    app.get('/boom', async () => {
      throw new Error('boom');
    });
    // Real HTTP rather than app.inject: light-my-request pulls an ESM-only module jest cannot load.
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await tracing.shutdown();
  });
  beforeEach(() => exporter.reset());

  const finished = async () => {
    for (let i = 0; i < 50 && exporter.getFinishedSpans().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    return exporter.getFinishedSpans();
  };

  it('opens a SERVER span named by the route, active inside the handler, continuing the caller\'s trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await fetch(`${base}/api/v4/projects/5?x=1`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const seen = (await response.json()) as { trace_id: string; span_id: string };
    const [span] = await finished();
    expect(span).toMatchObject({ name: 'GET /api/v4/projects/:id', kind: SpanKind.SERVER });
    expect(span!.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/api/v4/projects/5',
      'http.route': '/api/v4/projects/:id',
      'http.response.status_code': 200,
    });
    expect(span!.spanContext().traceId).toBe(traceId);
    expect(span!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(seen).toEqual({ trace_id: traceId, span_id: span!.spanContext().spanId });
  });

  it('marks 5xx answers as errors', async () => {
    await (await fetch(`${base}/boom`)).text();
    const [span] = await finished();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['http.response.status_code']).toBe(500);
  });
});
