/**
 * The NuGet HTTP surface (push, symbol server, delete) over real HTTP against an in-process fake
 * nuget app: streaming, limits, cancellation and the error mapping.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { ErrorCodes } from '@geo/domain';
import { PackageKind } from '@geo/proto';
import { FAKE_API_KEY, FAKE_CHECKSUM, FAKE_FILES, FAKE_PACKAGE_PREFIX } from '../testing/fake-nuget-service';
import { startGatewayUnderTest, type GatewayUnderTest } from '../testing/gateway-under-test';
import { MULTIPART_OVERHEAD_BYTES } from './push-routes';
import { NO_FILE_MESSAGE, NOT_MULTIPART_MESSAGE, TWO_FILES_MESSAGE } from './package-upload';
import { PUSH_CHUNK_BOUNDS } from './rechunk';

const MAX_PACKAGE_BYTES = 1024 * 1024;
const PDB = randomBytes(200_000);
const BOUNDARY = 'geo-test-boundary-7d9f';

/** A multipart body: file parts (field, bytes) and plain fields (field, text). */
function multipart(...parts: Array<{ field: string; file?: Buffer; text?: string }>): Buffer {
  const pieces: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      part.file === undefined ? `form-data; name="${part.field}"` : `form-data; name="${part.field}"; filename="package.nupkg"\r\nContent-Type: application/octet-stream`;
    pieces.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n`), part.file ?? Buffer.from(part.text ?? ''), Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(pieces);
}

const multipartType = `multipart/form-data; boundary=${BOUNDARY}`;

function packageBytes(prefix: string, size: number): Buffer {
  return Buffer.concat([Buffer.from(prefix), randomBytes(size - prefix.length)]);
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: unknown;
}

async function send(gateway: GatewayUnderTest, method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<Answer> {
  const response = await fetch(`${gateway.baseUrl}${path}`, { method, headers: init.headers, body: init.body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

function push(gateway: GatewayUnderTest, body: Buffer, options: { path?: string; apiKey?: string | null; contentType?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? multipartType };
  if (options.apiKey !== null) headers['x-nuget-apikey'] = options.apiKey ?? FAKE_API_KEY;
  return send(gateway, 'PUT', options.path ?? '/api/v4/projects/5/packages/nuget/', { headers, body });
}

/** A chunked (no Content-Length) upload the test drives by hand. */
function startUpload(gateway: GatewayUnderTest, head: Buffer) {
  const req = httpRequest({
    host: '127.0.0.1',
    port: gateway.port,
    method: 'PUT',
    path: '/api/v4/projects/5/packages/nuget/symbolpackage',
    headers: { 'content-type': multipartType, 'x-nuget-apikey': FAKE_API_KEY, 'transfer-encoding': 'chunked' },
  });
  req.on('error', () => undefined); // the server may close the connection while we still write
  const response = new Promise<{ status: number; body: string }>((resolve) => {
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
  req.write(head);
  return { req, response };
}

const fileHead = (): Buffer => Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="package"; filename="x.snupkg"\r\n\r\n`);

/** GET/HEAD with Node's client, to see exactly what arrived (or that the response was cut). */
function download(gateway: GatewayUnderTest, method: 'GET' | 'HEAD', path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer; aborted: boolean }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: gateway.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      let aborted = false;
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('aborted', () => (aborted = true));
      res.on('error', () => (aborted = true));
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), aborted: aborted || !res.complete }));
    });
    req.on('error', reject);
    req.end();
  });
}

const symbolPath = (file: string, sameFile = file) => `/api/v4/projects/5/packages/nuget/symbolfiles/${file}/16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF/${sameFile}`;

describe('NuGet HTTP surface', () => {
  let gateway: GatewayUnderTest;

  beforeAll(async () => {
    gateway = await startGatewayUnderTest({ maxPackageBytes: MAX_PACKAGE_BYTES, fileBytes: PDB });
  });
  afterAll(async () => {
    await gateway?.close();
  });
  beforeEach(() => gateway.nuget.reset());

  describe('push', () => {
    it('streams a .nupkg into PushPackage and answers 201 with the package', async () => {
      const body = packageBytes('PK', 300_000);
      const answer = await push(gateway, multipart({ field: 'package', file: body }));
      expect(answer).toMatchObject({ status: 201, json: { message: 'Created', package_id: 12, name: 'TestData', version: '1.2.3', symbol_files: [] } });
      const [recorded] = gateway.nuget.pushes;
      expect(recorded?.header).toEqual({ projectId: 5, apiKey: FAKE_API_KEY, kind: PackageKind.PACKAGE_KIND_NUPKG, declaredSize: 0 });
      expect(Buffer.concat(recorded!.bytes).equals(body)).toBe(true);
      for (const chunk of recorded!.bytes.slice(0, -1)) {
        expect(chunk.length).toBeGreaterThanOrEqual(PUSH_CHUNK_BOUNDS.minBytes);
        expect(chunk.length).toBeLessThanOrEqual(PUSH_CHUNK_BOUNDS.maxBytes);
      }
    });

    it('accepts the URL without the trailing slash, any file field name, and extra plain fields', async () => {
      const body = packageBytes('PK', 1000);
      const answer = await push(gateway, multipart({ field: 'note', text: 'hello' }, { field: 'file', file: body }), { path: '/api/v4/projects/5/packages/nuget' });
      expect(answer.status).toBe(201);
      expect(Buffer.concat(gateway.nuget.pushes[0]!.bytes).equals(body)).toBe(true);
    });

    it('pushes a .snupkg to /symbolpackage with kind SNUPKG and lists the symbol files', async () => {
      const answer = await push(gateway, multipart({ field: 'package', file: packageBytes('PK', 5000) }), { path: '/api/v4/projects/5/packages/nuget/symbolpackage' });
      expect(answer).toMatchObject({
        status: 201,
        json: { symbol_files: [{ file: 'testdata.pdb', file_path: 'lib/net5.0/testdata.pdb', signature: '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF', size: 7132 }] },
      });
      expect(gateway.nuget.pushes[0]?.header?.kind).toBe(PackageKind.PACKAGE_KIND_SNUPKG);
    });

    it.each([
      ['a missing API key', { apiKey: null }, 401, ErrorCodes.UNAUTHENTICATED, '401 Unauthorized'],
      ['a body that is not multipart', { contentType: 'application/octet-stream' }, 400, ErrorCodes.INVALID_ARGUMENT, NOT_MULTIPART_MESSAGE],
      ['a JSON body', { contentType: 'application/json' }, 400, ErrorCodes.INVALID_ARGUMENT, NOT_MULTIPART_MESSAGE],
    ])('answers %s without calling the nuget app', async (_name, options, status, code, message) => {
      const answer = await push(gateway, multipart({ field: 'package', file: packageBytes('PK', 100) }), options);
      expect(answer).toMatchObject({ status, json: { message, code } });
      expect(gateway.nuget.pushes).toHaveLength(0);
    });

    it('answers 400 for a non-numeric project id', async () => {
      const answer = await push(gateway, multipart({ field: 'package', file: packageBytes('PK', 100) }), { path: '/api/v4/projects/acme%2Flib/packages/nuget/' });
      expect(answer).toMatchObject({ status: 400, json: { message: 'project id is invalid', code: ErrorCodes.INVALID_ARGUMENT } });
    });

    it.each([
      ['no file part', multipart({ field: 'note', text: 'only a field' }), NO_FILE_MESSAGE],
      ['two file parts', multipart({ field: 'package', file: packageBytes('PK', 100) }, { field: 'other', file: packageBytes('PK', 100) }), TWO_FILES_MESSAGE],
      ['a multipart body cut short', multipart({ field: 'package', file: packageBytes('PK', 100) }).subarray(0, 120), 'Malformed multipart body'],
    ])('answers 400 for %s and the nuget app commits nothing', async (_name, body, message) => {
      const answer = await push(gateway, body);
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, message: expect.stringContaining(message) });
      await gateway.nuget.until(() => gateway.nuget.pushes.every((p) => p.cancelled));
      expect(gateway.nuget.pushes.filter((p) => p.completed)).toHaveLength(0);
    });

    it('answers 413 from Content-Length before reading a too large body', async () => {
      const body = multipart({ field: 'package', file: randomBytes(MAX_PACKAGE_BYTES + MULTIPART_OVERHEAD_BYTES + 1) });
      const answer = await push(gateway, body);
      expect(answer).toMatchObject({ status: 413, json: { code: ErrorCodes.TOO_LARGE, message: `File is too large: the limit is ${MAX_PACKAGE_BYTES} bytes` } });
      expect(gateway.nuget.pushes).toHaveLength(0);
    });

    it('accepts a package of exactly the limit', async () => {
      expect((await push(gateway, multipart({ field: 'package', file: packageBytes('PK', MAX_PACKAGE_BYTES) }))).status).toBe(201);
      expect(Buffer.concat(gateway.nuget.pushes[0]!.bytes)).toHaveLength(MAX_PACKAGE_BYTES);
    });

    it('answers 413 while streaming a body without Content-Length, and cancels the push', async () => {
      const upload = startUpload(gateway, fileHead());
      const piece = randomBytes(64 * 1024);
      let written = 0;
      let answered = false;
      void upload.response.then(() => (answered = true));
      while (!answered && written < 4 * MAX_PACKAGE_BYTES) {
        if (!upload.req.write(piece)) await new Promise((resolve) => setTimeout(resolve, 5));
        written += piece.length;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const response = await upload.response;
      upload.req.destroy();
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body)).toMatchObject({ code: ErrorCodes.TOO_LARGE });
      await gateway.nuget.until(() => gateway.nuget.pushes[0]?.cancelled === true);
      expect(gateway.nuget.pushes[0]?.completed).toBe(false);
      expect(Buffer.concat(gateway.nuget.pushes[0]!.bytes).length).toBeLessThanOrEqual(MAX_PACKAGE_BYTES);
    });

    it('cancels the push when the client disconnects mid-upload', async () => {
      const upload = startUpload(gateway, fileHead());
      upload.req.write(randomBytes(300 * 1024));
      await gateway.nuget.until(() => (gateway.nuget.pushes[0]?.bytes.length ?? 0) > 0);
      upload.req.destroy();
      await gateway.nuget.until(() => gateway.nuget.pushes[0]?.cancelled === true);
      await new Promise((resolve) => setTimeout(resolve, 50)); // past the fake's re-check window
      expect(gateway.nuget.pushes[0]?.completed).toBe(false);
    });

    it('never hands the nuget app a complete package when the client hangs up after the file part', async () => {
      const file = randomBytes(300 * 1024);
      const upload = startUpload(gateway, fileHead());
      upload.req.write(Buffer.concat([file, Buffer.from(`\r\n--${BOUNDARY}\r\n`)])); // the file part ends; the body does not
      await gateway.nuget.until(() => Buffer.concat(gateway.nuget.pushes[0]?.bytes ?? []).length >= file.length - PUSH_CHUNK_BOUNDS.maxBytes);
      await new Promise((resolve) => setTimeout(resolve, 50));
      upload.req.destroy();
      await gateway.nuget.until(() => gateway.nuget.pushes[0]?.cancelled === true);
      expect(Buffer.concat(gateway.nuget.pushes[0]!.bytes).length).toBeLessThan(file.length);
      expect(gateway.nuget.pushes[0]?.completed).toBe(false);
    });

    it.each([
      ['a wrong API key', { apiKey: 'wrong' }, 'PK', 401, ErrorCodes.UNAUTHENTICATED],
      ['an unknown project', { path: '/api/v4/projects/404/packages/nuget/' }, 'PK', 404, ErrorCodes.NOT_FOUND],
      ['a duplicate package', {}, FAKE_PACKAGE_PREFIX.duplicate, 409, ErrorCodes.ALREADY_EXISTS],
      ['an invalid package', {}, FAKE_PACKAGE_PREFIX.invalid, 400, ErrorCodes.INVALID_ARGUMENT],
      ['a symbol package without its package', {}, FAKE_PACKAGE_PREFIX.noMatch, 404, ErrorCodes.NOT_FOUND],
      ['a zip bomb (TOO_LARGE from the app)', {}, FAKE_PACKAGE_PREFIX.tooLarge, 413, ErrorCodes.TOO_LARGE],
    ])("maps the nuget app's answer to %s", async (_name, options, prefix, status, code) => {
      const answer = await push(gateway, multipart({ field: 'package', file: packageBytes(prefix, 2000) }), options);
      expect(answer.status).toBe(status);
      expect(answer.json).toMatchObject({ code, message: expect.any(String) });
    });
  });

  describe('symbol server (SSQP)', () => {
    it('streams the file with type, length and attachment headers', async () => {
      const answer = await download(gateway, 'GET', symbolPath(FAKE_FILES.ok), { SymbolChecksum: FAKE_CHECKSUM });
      expect(answer.status).toBe(200);
      expect(answer.headers).toMatchObject({
        'content-type': 'application/octet-stream',
        'content-length': String(PDB.length),
        'content-disposition': 'attachment; filename="testdata.pdb"',
        'x-geo-served-from': 'primary',
      });
      expect(answer.aborted).toBe(false);
      expect(answer.body.equals(PDB)).toBe(true);
      expect(gateway.nuget.downloads[0]?.request).toEqual({
        projectId: 5,
        fileName: 'testdata.pdb',
        signature: '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF',
        sameFileName: 'testdata.pdb',
        symbolChecksum: FAKE_CHECKSUM,
      });
    });

    it('answers HEAD with the same headers and no body', async () => {
      const answer = await download(gateway, 'HEAD', symbolPath(FAKE_FILES.ok), { SymbolChecksum: FAKE_CHECKSUM });
      expect(answer.status).toBe(200);
      expect(answer.headers).toMatchObject({ 'content-type': 'application/octet-stream', 'content-length': String(PDB.length) });
      expect(answer.body).toHaveLength(0);
      expect(gateway.nuget.lookups).toHaveLength(1);
      expect(gateway.nuget.downloads).toHaveLength(0);
    });

    it('passes the SymbolChecksum header through raw', async () => {
      const raw = `SHA1:abc;${FAKE_CHECKSUM.toUpperCase()}`;
      await download(gateway, 'HEAD', symbolPath(FAKE_FILES.ok), { SymbolChecksum: raw });
      expect(gateway.nuget.lookups[0]?.symbolChecksum).toBe(raw);
    });

    it.each(['GET', 'HEAD'] as const)('%s answers 400 "Missing checksum header" without asking the nuget app', async (method) => {
      const answer = await send(gateway, method, symbolPath(FAKE_FILES.ok));
      expect(answer.status).toBe(400);
      if (method === 'GET') expect(answer.json).toEqual({ message: 'Missing checksum header', code: ErrorCodes.INVALID_ARGUMENT });
      expect(gateway.nuget.lookups).toHaveLength(0);
      expect(gateway.nuget.downloads).toHaveLength(0);
    });

    it.each(['GET', 'HEAD'] as const)('%s answers 404 for a wrong checksum', async (method) => {
      const answer = await send(gateway, method, symbolPath(FAKE_FILES.ok), { headers: { SymbolChecksum: `SHA256:${'0'.repeat(64)}` } });
      expect(answer.status).toBe(404);
    });

    it.each([FAKE_FILES.failing, FAKE_FILES.short])('cuts the response (never a complete-looking 200) when %s breaks mid-stream', async (file) => {
      const answer = await download(gateway, 'GET', symbolPath(file), { SymbolChecksum: FAKE_CHECKSUM });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-length']).toBe(String(PDB.length));
      expect(answer.aborted).toBe(true);
      expect(answer.body.length).toBeLessThan(PDB.length);
    });

    it('cancels the download call when the client goes away', async () => {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: gateway.port, path: symbolPath(FAKE_FILES.endless), headers: { SymbolChecksum: FAKE_CHECKSUM } }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => undefined);
        req.on('timeout', () => reject(new Error('no data')));
        req.end();
      });
      await gateway.nuget.until(() => gateway.nuget.downloads[0]?.cancelled === true);
    });
  });

  describe('delete', () => {
    const path = '/api/v4/projects/5/packages/nuget/TestData/1.2.3';

    it('answers 204', async () => {
      const answer = await send(gateway, 'DELETE', path, { headers: { 'x-nuget-apikey': FAKE_API_KEY } });
      expect(answer).toMatchObject({ status: 204, json: undefined });
    });

    it.each([
      ['no API key', path, {}, 401],
      ['a wrong API key', path, { 'x-nuget-apikey': 'wrong' }, 401],
      ['an unknown package', '/api/v4/projects/5/packages/nuget/missing/1.0.0', { 'x-nuget-apikey': FAKE_API_KEY }, 404],
    ])('answers %s with %#', async (_name, url, headers, status) => {
      expect((await send(gateway, 'DELETE', url, { headers })).status).toBe(status);
    });
  });

  it('answers unknown routes with a JSON 404', async () => {
    expect(await send(gateway, 'GET', '/api/v4/nope')).toMatchObject({ status: 404, json: { message: '404 Not Found', code: ErrorCodes.NOT_FOUND } });
  });
});
