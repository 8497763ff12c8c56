import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCodes } from '@geo/domain';
import { HttpBlobRetriever } from './http-blob-retriever';

const BYTES = Buffer.from('portable pdb bytes served from object storage');
const SHA = createHash('sha256').update(BYTES).digest('hex');

interface Seen {
  readonly path: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** A tiny HTTP server answering with `handler`; records every request it saw. */
async function serve(handler: (path: string, res: ServerResponse) => void): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url, headers: req.headers });
    handler(req.url ?? '', res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

async function readAll(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('HttpBlobRetriever (real HTTP servers on loopback)', () => {
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

  it('follows one redirect (object storage) without the GL-Geo credentials, as GitLab does', async () => {
    const storage = await serve((_path, res) => res.writeHead(200, { 'content-length': BYTES.length, 'x-geo-checksum': SHA, 'x-geo-blob-key': 'k/a.pdb' }).end(BYTES));
    const primary = await serve((_path, res) => res.writeHead(302, { location: `${storage.url}/bucket/k/a.pdb?X-Amz-Signature=abc` }).end());
    servers.push(storage.server, primary.server);

    const blob = await retriever(`${primary.url}/`).retrieve('packages_nuget_symbol', 42);
    expect((await readAll(blob.body)).equals(BYTES)).toBe(true);
    expect(blob.header).toEqual({ size: BYTES.length, checksum: SHA, contentType: 'application/octet-stream', blobKey: 'k/a.pdb' });
    expect(blob.bytesReceived()).toBe(BYTES.length);
    // GitLab's path under the primary's URL (its trailing slash is not doubled), signed.
    expect(primary.seen.map((s) => s.path)).toEqual(['/api/v4/geo/retrieve/packages_nuget_symbol/42']);
    expect(primary.seen[0]?.headers.authorization).toMatch(/^GL-Geo AKEY0000000000000001:eyJ/);
    // The pre-signed URL as given, and no credentials sent to storage.
    expect(storage.seen.map((s) => s.path)).toEqual(['/bucket/k/a.pdb?X-Amz-Signature=abc']);
    expect(storage.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('follows only one redirect: a second one is the answer, and counts as the primary\'s non-success status', async () => {
    const loop = await serve((_path, res) => res.writeHead(302, { location: '/again' }).end());
    servers.push(loop.server);
    const error = await retriever(loop.url).retrieve('packages_nuget_symbol', 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ details: { httpStatus: 302 } });
    expect(loop.seen).toHaveLength(2);
  });

  it('an answer without Content-Length or with a malformed checksum is refused before any byte is used', async () => {
    const bad = await serve((path, res) => {
      if (path.endsWith('/1')) res.writeHead(200, { 'transfer-encoding': 'chunked' }).end(BYTES);
      else res.writeHead(200, { 'content-length': BYTES.length, 'x-geo-checksum': 'not-a-sha' }).end(BYTES);
    });
    servers.push(bad.server);
    const r = retriever(bad.url);
    await expect(r.retrieve('packages_nuget_symbol', 1)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, message: expect.stringContaining('Content-Length') });
    await expect(r.retrieve('packages_nuget_symbol', 2)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, message: expect.stringContaining('invalid checksum') });
  });

  it('a primary that never answers fails with a retryable TIMEOUT after the read timeout', async () => {
    const silent = await serve(() => undefined);
    servers.push(silent.server);
    const started = Date.now();
    await expect(retriever(silent.url).retrieve('packages_nuget_symbol', 1)).rejects.toMatchObject({ code: ErrorCodes.TIMEOUT, retryable: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    silent.server.closeAllConnections();
  });
});
