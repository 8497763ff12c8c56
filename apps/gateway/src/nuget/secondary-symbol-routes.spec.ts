/**
 * A secondary's symbol server: files this site has are served locally (`X-Geo-Served-From:
 * secondary`); anything the local nuget app cannot serve is forwarded to the primary's gateway and its
 * answer passed through (`X-Geo-Served-From: primary`). The primary here is a plain HTTP server.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCodes } from '@geo/domain';
import { FAKE_CHECKSUM, FAKE_FILES } from '../testing/fake-nuget-service';
import { startGatewayUnderTest, type GatewayUnderTest } from '../testing/gateway-under-test';

const LOCAL_PDB = randomBytes(50_000);
const PRIMARY_PDB = randomBytes(70_000);
const SIGNATURE = '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF';
const path = (file: string) => `/api/v4/projects/5/packages/nuget/symbolfiles/${file}/${SIGNATURE}/${file}`;
/** A checksum the local fake does not know: the local lookup is a 404, so the request goes to the primary. */
const OTHER_CHECKSUM = `SHA256:${'ab'.repeat(32)}`;

interface PrimaryRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

function startFakePrimary(): Promise<{ server: Server; url: string; seen: PrimaryRequest[]; status: { code: number } }> {
  const seen: PrimaryRequest[] = [];
  const status = { code: 200 };
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (status.code !== 200) {
      res.writeHead(status.code, { 'content-type': 'application/json' }).end(JSON.stringify({ message: '404 Not Found' }));
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(PRIMARY_PDB.length),
      'content-disposition': 'attachment; filename="testdata.pdb"',
      'x-internal-only': 'never forwarded',
    });
    res.end(req.method === 'HEAD' ? undefined : PRIMARY_PDB);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, status }));
  });
}

describe('symbol server on a secondary site', () => {
  let primary: Awaited<ReturnType<typeof startFakePrimary>>;
  let secondary: GatewayUnderTest;

  beforeAll(async () => {
    primary = await startFakePrimary();
    secondary = await startGatewayUnderTest({ fileBytes: LOCAL_PDB, role: 'secondary', primaryHttpUrl: primary.url });
  });
  afterAll(async () => {
    await secondary?.close();
    await new Promise((resolve) => primary?.server.close(resolve));
  });
  beforeEach(() => {
    primary.seen.length = 0;
    primary.status.code = 200;
    secondary.nuget.reset();
  });

  it('serves a synced local copy itself, without asking the primary', async () => {
    const res = await fetch(`${secondary.baseUrl}${path(FAKE_FILES.ok)}`, { headers: { SymbolChecksum: FAKE_CHECKSUM } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-geo-served-from')).toBe('secondary');
    expect(Buffer.from(await res.arrayBuffer()).equals(LOCAL_PDB)).toBe(true);
    expect(primary.seen).toHaveLength(0);
  });

  it('forwards a file it cannot serve to the primary and streams the primary\'s bytes', async () => {
    const res = await fetch(`${secondary.baseUrl}${path(FAKE_FILES.ok)}`, { headers: { SymbolChecksum: OTHER_CHECKSUM } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-geo-served-from')).toBe('primary');
    expect(res.headers.get('content-length')).toBe(String(PRIMARY_PDB.length));
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="testdata.pdb"');
    expect(res.headers.get('x-internal-only')).toBeNull();
    expect(Buffer.from(await res.arrayBuffer()).equals(PRIMARY_PDB)).toBe(true);
    expect(primary.seen).toEqual([expect.objectContaining({ method: 'GET', url: path(FAKE_FILES.ok) })]);
    expect(primary.seen[0]?.headers['symbolchecksum']).toBe(OTHER_CHECKSUM);
  });

  it('forwards HEAD the same way', async () => {
    const res = await fetch(`${secondary.baseUrl}${path(FAKE_FILES.ok)}`, { method: 'HEAD', headers: { SymbolChecksum: OTHER_CHECKSUM } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-geo-served-from')).toBe('primary');
    expect(res.headers.get('content-length')).toBe(String(PRIMARY_PDB.length));
    expect(primary.seen.map((r) => r.method)).toEqual(['HEAD']);
  });

  it("passes the primary's 404 through", async () => {
    primary.status.code = 404;
    const res = await fetch(`${secondary.baseUrl}${path(FAKE_FILES.ok)}`, { headers: { SymbolChecksum: OTHER_CHECKSUM } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-geo-served-from')).toBe('primary');
    expect(await res.json()).toEqual({ message: '404 Not Found' });
  });

  it('answers 400 for a missing checksum locally, without forwarding', async () => {
    const res = await fetch(`${secondary.baseUrl}${path(FAKE_FILES.ok)}`);
    expect(res.status).toBe(400);
    expect(primary.seen).toHaveLength(0);
  });

  it('answers 503 when the primary is unreachable', async () => {
    const down = await startGatewayUnderTest({ fileBytes: LOCAL_PDB, role: 'secondary', primaryHttpUrl: 'http://127.0.0.1:1' });
    try {
      const res = await fetch(`${down.baseUrl}${path(FAKE_FILES.ok)}`, { headers: { SymbolChecksum: OTHER_CHECKSUM } });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: ErrorCodes.UNAVAILABLE });
    } finally {
      await down.close();
    }
  });
});
