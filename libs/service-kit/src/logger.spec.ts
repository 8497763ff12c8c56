import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { withSpan } from '@geo/otel';
import { startTracing } from '@geo/otel/sdk';
import { createLogger } from './logger';

describe('createLogger', () => {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      cb();
    },
  });
  const tracing = startTracing({ serviceName: 'logger-test', exporter: new InMemorySpanExporter() });
  afterAll(() => tracing.shutdown());
  beforeEach(() => (lines.length = 0));

  it('writes JSON lines with service, site, level label and ISO time, honouring the level', () => {
    const logger = createLogger({ service: 'geo-status', site: 'eu', level: 'warn', destination });
    logger.info('hidden');
    logger.warn({ port: 1 }, 'shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual(expect.objectContaining({ level: 'warn', service: 'geo-status', site: 'eu', port: 1, msg: 'shown' }));
    expect(new Date(lines[0]!['time'] as string).toISOString()).toBe(lines[0]!['time']);
    expect(lines[0]).not.toHaveProperty('trace_id');
  });

  it('adds trace_id and span_id of the active span', async () => {
    const logger = createLogger({ service: 'geo-status', site: 'eu', level: 'info', destination });
    const ids = await withSpan('op', (span) => {
      logger.info('inside');
      return span.spanContext();
    });
    expect(lines[0]).toEqual(expect.objectContaining({ trace_id: ids.traceId, span_id: ids.spanId }));
  });
});
