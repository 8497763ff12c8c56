import { context, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OtlpSpanKind, startOtlpReceiver, type OtlpReceiver } from './otlp-receiver';

describe('startOtlpReceiver', () => {
  let receiver: OtlpReceiver;
  const dir = mkdtempSync(join(tmpdir(), 'otlp-receiver-'));
  const file = join(dir, 'spans.jsonl');

  beforeAll(async () => {
    receiver = await startOtlpReceiver({ file });
  });
  afterAll(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('receives what the OTLP/gRPC exporter sends: ids, parents, wire kinds, service and attributes', async () => {
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'receiver-test' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: receiver.endpoint }))],
    });
    const tracer = provider.getTracer('test');
    const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER });
    const child = tracer.startSpan('child', { kind: SpanKind.CLIENT, attributes: { n: 3, ok: true, s: 'x' } }, trace.setSpan(context.active(), parent));
    child.end();
    parent.end();
    await provider.forceFlush();
    await provider.shutdown();

    const spans = receiver.spans();
    const p = spans.find((s) => s.name === 'parent')!;
    const c = spans.find((s) => s.name === 'child')!;
    expect(p).toMatchObject({ traceId: parent.spanContext().traceId, spanId: parent.spanContext().spanId, parentSpanId: '', kind: OtlpSpanKind.SERVER, service: 'receiver-test' });
    expect(c).toMatchObject({ traceId: p.traceId, parentSpanId: p.spanId, kind: OtlpSpanKind.CLIENT, attributes: { n: 3, ok: true, s: 'x' }, scope: 'test' });
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string });
    expect(lines.map((l) => l.name).sort()).toEqual(['child', 'parent']);
  });
});
