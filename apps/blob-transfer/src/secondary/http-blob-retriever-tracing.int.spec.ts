/**
 * The retrieve's trace hand-over (ADR 0009): a `geo.blob.retrieve` CLIENT span whose W3C
 * `traceparent` goes to the primary (never to the redirect target), ending once the body was read;
 * nothing of it while spans are not exported.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { withSpan } from '@geo/otel';
import { startTracing } from '@geo/otel/sdk';
import { HttpBlobRetriever } from './http-blob-retriever';

const BYTES = Buffer.from('pdb bytes');

async function serve(answer: (res: ServerResponse) => void): Promise<{ url: string; seen: IncomingHttpHeaders[]; server: Server }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

describe('HttpBlobRetriever tracing', () => {
  const servers: Server[] = [];
  const retrievers: HttpBlobRetriever[] = [];
  const retriever = (baseUrl: string): HttpBlobRetriever => {
    const r = new HttpBlobRetriever({ baseUrl, accessKey: 'AKEY0000000000000001', secretAccessKey: 's'.repeat(40), readTimeoutMs: 2000 });
    retrievers.push(r);
    return r;
  };
  afterAll(async () => {
    for (const r of retrievers) r.close();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('sends no trace headers while spans are not exported', async () => {
    const primary = await serve((res) => res.writeHead(200, { 'content-length': BYTES.length }).end(BYTES));
    servers.push(primary.server);
    const blob = await retriever(primary.url).retrieve('packages_nuget_symbol', 1);
    blob.body.resume();
    await new Promise((resolve) => blob.body.once('close', resolve));
    expect(primary.seen[0]?.traceparent).toBeUndefined();
  });

  it('while exported: a CLIENT span under the active one, its traceparent to the primary only, ended after the body', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'retriever-tracing-test', exporter });
    try {
      const storage = await serve((res) => res.writeHead(200, { 'content-length': BYTES.length }).end(BYTES));
      const primary = await serve((res) => res.writeHead(302, { location: `${storage.url}/bucket/a.pdb` }).end());
      servers.push(storage.server, primary.server);
      await withSpan('geo.sync.job', async () => {
        const blob = await retriever(primary.url).retrieve('packages_nuget_symbol', 42);
        expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([]); // still reading
        blob.body.resume();
        await new Promise((resolve) => blob.body.once('close', resolve));
      });
      const job = exporter.getFinishedSpans().find((s) => s.name === 'geo.sync.job')!;
      const client = exporter.getFinishedSpans().find((s) => s.name === 'geo.blob.retrieve')!;
      expect(client.kind).toBe(SpanKind.CLIENT);
      expect(client.parentSpanContext?.spanId).toBe(job.spanContext().spanId);
      expect(client.attributes).toMatchObject({ 'http.response.status_code': 200, 'geo.model_record_id': 42, 'geo.bytes_received': BYTES.length });
      expect(primary.seen[0]?.traceparent).toBe(`00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`);
      expect(storage.seen[0]?.traceparent).toBeUndefined();
    } finally {
      await tracing.shutdown();
    }
  });
});
