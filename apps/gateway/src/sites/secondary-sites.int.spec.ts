/**
 * A secondary's gateway answering the sites reads from the primary's (a real, migrated PostgreSQL
 * behind the primary): the same sites with `current` and links re-rendered for the secondary, its
 * own admin check first, the primary's refusal of the forwarded token passed on, writes refused as
 * GitLab's read-only instance refuses them, and 503 when the primary cannot be reached.
 */
import { ErrorCodes } from '@geo/domain';
import { createPool, migrate } from '@geo/pg';
import { createTestDatabase, freePort, type TestDatabase } from '@geo/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@geo/service-kit';
import type { Pool } from 'pg';
import { startGatewayUnderTest, TEST_ADMIN_TOKEN, TEST_SITE_NAME, type GatewayUnderTest } from '../testing/gateway-under-test';
import { PrimarySitesReader } from './primary-sites-reader';
import { READ_ONLY_MESSAGE } from './read-only-sites-routes';
import { PgSitesRepository } from './sites-repository';

interface Answer {
  status: number;
  json: unknown;
}
type SiteBody = Record<string, unknown> & { id: number; name: string };

const SECONDARY_NAME = 'secondary-test';
/** A valid token without admin rights, known to both sites (GitLab's sites share one user database). */
const READER_TOKEN = 'reader-token-0123456789-abcdef';
/** An admin token only the secondary knows: the primary refuses it with 401. */
const SECONDARY_ONLY_ADMIN = 'secondary-only-admin-0123456789';
const admin = { 'private-token': TEST_ADMIN_TOKEN };

async function call(baseUrl: string, method: string, path: string, headers: Record<string, string> = admin, body?: unknown): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as unknown) };
}

/** What the secondary must render differently from the primary: `current` and its own origin. */
function asSecondaryRenders(site: SiteBody, primaryUrl: string, secondaryUrl: string): SiteBody {
  return JSON.parse(JSON.stringify({ ...site, current: site.name === SECONDARY_NAME }).split(primaryUrl).join(secondaryUrl)) as SiteBody;
}

describe('sites API on a secondary gateway (reads the primary, PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let primary: GatewayUnderTest;
  let secondary: GatewayUnderTest;
  let sites: SiteBody[];

  beforeAll(async () => {
    db = await createTestDatabase('geo_gateway_secondary_sites');
    await migrate({ role: 'primary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 4 });
    primary = await startGatewayUnderTest({ sites: new PgSitesRepository(pool), nonAdminTokens: [READER_TOKEN] });
    secondary = await startGatewayUnderTest({ role: 'secondary', primaryHttpUrl: primary.baseUrl, siteName: SECONDARY_NAME, nonAdminTokens: [READER_TOKEN] });
    sites = [];
    for (const body of [
      { name: TEST_SITE_NAME, url: 'https://primary.example.com', primary: true },
      { name: SECONDARY_NAME, url: 'https://secondary.example.com' },
      { name: 'other-secondary', url: 'https://other.example.com' },
    ]) {
      const created = await call(primary.baseUrl, 'POST', '/api/v4/geo_sites', admin, body);
      expect(created.status).toBe(201);
      sites.push(created.json as SiteBody);
    }
  }, 30_000);

  afterAll(async () => {
    await secondary?.close();
    await primary?.close();
    await pool?.end();
    await db?.drop();
  });

  async function storedSites(): Promise<unknown[]> {
    return (await pool.query<Record<string, unknown>>('SELECT * FROM geo_sites ORDER BY id')).rows;
  }

  describe.each(['/api/v4/geo_sites', '/api/v4/geo_nodes'])('%s', (apiPath) => {
    it('lists what the primary lists, with current and links for the secondary', async () => {
      const fromPrimary = await call(primary.baseUrl, 'GET', apiPath);
      const fromSecondary = await call(secondary.baseUrl, 'GET', apiPath, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
      expect(fromPrimary.status).toBe(200);
      expect(fromSecondary.status).toBe(200);
      const primaryList = fromPrimary.json as SiteBody[];
      expect(primaryList.map((s) => [s.name, s['current']])).toEqual([[TEST_SITE_NAME, true], [SECONDARY_NAME, false], ['other-secondary', false]]);
      expect(fromSecondary.json).toEqual(primaryList.map((s) => asSecondaryRenders(s, primary.baseUrl, secondary.baseUrl)));
      const secondaryList = fromSecondary.json as SiteBody[];
      expect(secondaryList.map((s) => [s.name, s['primary'], s['current']])).toEqual([[TEST_SITE_NAME, true, false], [SECONDARY_NAME, false, true], ['other-secondary', false, false]]);
      expect(secondaryList[1]?.['_links']).toEqual({
        self: `${secondary.baseUrl}${apiPath}/${sites[1]?.id}`,
        status: `${secondary.baseUrl}${apiPath}/${sites[1]?.id}/status`,
        repair: `${secondary.baseUrl}${apiPath}/${sites[1]?.id}/repair`,
      });
      expect(secondaryList[1]?.['web_edit_url']).toBe(`${secondary.baseUrl}/admin/geo/sites/${sites[1]?.id}/edit`);
    });

    it('shows one site as the primary does, except current; 404 for an unknown id', async () => {
      for (const site of sites) {
        const fromPrimary = await call(primary.baseUrl, 'GET', `${apiPath}/${site.id}`);
        const fromSecondary = await call(secondary.baseUrl, 'GET', `${apiPath}/${site.id}`);
        expect(fromPrimary.status).toBe(200);
        expect(fromSecondary).toEqual({ status: 200, json: asSecondaryRenders(fromPrimary.json as SiteBody, primary.baseUrl, secondary.baseUrl) });
      }
      const missing = await call(secondary.baseUrl, 'GET', `${apiPath}/999999`);
      expect(missing.status).toBe(404);
      expect(missing).toEqual({ status: 404, json: (await call(primary.baseUrl, 'GET', `${apiPath}/999999`)).json });
      expect((await call(secondary.baseUrl, 'GET', `${apiPath}/abc`)).status).toBe(400);
    });

    it('answers 401 without a known token and 403 for a non-admin one, checked by the secondary', async () => {
      for (const headers of [{}, { 'private-token': 'nope' }, { authorization: 'Bearer nope' }] as Array<Record<string, string>>) {
        expect(await call(secondary.baseUrl, 'GET', apiPath, headers)).toEqual({ status: 401, json: { message: '401 Unauthorized', code: ErrorCodes.UNAUTHENTICATED } });
        expect((await call(secondary.baseUrl, 'GET', `${apiPath}/${sites[0]?.id}`, headers)).status).toBe(401);
      }
      expect(await call(secondary.baseUrl, 'GET', apiPath, { 'private-token': READER_TOKEN })).toEqual({ status: 403, json: { message: '403 Forbidden', code: ErrorCodes.PERMISSION_DENIED } });
      expect((await call(secondary.baseUrl, 'GET', `${apiPath}/${sites[0]?.id}`, { authorization: `Bearer ${READER_TOKEN}` })).status).toBe(403);
    });

    it.each([
      ['POST', '', { name: 'new-site', url: 'https://new.example.com' }],
      ['PUT', '/ID', { name: 'renamed' }],
      ['DELETE', '/ID', undefined],
    ])('refuses %s as a read-only instance (403), for any caller, changing nothing', async (method, suffix, body) => {
      const before = await storedSites();
      for (const headers of [admin, { 'private-token': READER_TOKEN }, {}] as Array<Record<string, string>>) {
        const answer = await call(secondary.baseUrl, method, `${apiPath}${suffix.replace('ID', String(sites[1]?.id))}`, headers, body);
        expect(answer).toEqual({ status: 403, json: { message: READ_ONLY_MESSAGE, code: ErrorCodes.PERMISSION_DENIED } });
      }
      expect(await storedSites()).toEqual(before);
    });
  });

  describe('the primary refusing the forwarded token', () => {
    it.each([
      // The secondary takes the token for its admin; the primary does not know it at all.
      ['401', SECONDARY_ONLY_ADMIN, 401, '401 Unauthorized', ErrorCodes.UNAUTHENTICATED],
      // The secondary takes it for its admin; to the primary it is a user without admin rights.
      ['403', READER_TOKEN, 403, '403 Forbidden', ErrorCodes.PERMISSION_DENIED],
    ])('passes the primary %s on', async (_label, token, status, message, code) => {
      const misconfigured = await startGatewayUnderTest({ role: 'secondary', primaryHttpUrl: primary.baseUrl, siteName: SECONDARY_NAME, adminToken: token });
      try {
        for (const headers of [{ 'private-token': token }, { authorization: `Bearer ${token}` }] as Array<Record<string, string>>) {
          expect(await call(misconfigured.baseUrl, 'GET', '/api/v4/geo_sites', headers)).toEqual({ status, json: { message, code } });
          expect((await call(misconfigured.baseUrl, 'GET', `/api/v4/geo_nodes/${sites[0]?.id}`, headers)).status).toBe(status);
        }
      } finally {
        await misconfigured.close();
      }
    });
  });

  it('gives up on a primary that does not answer after its timeout (UnavailableError)', async () => {
    const silent: Server = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const reader = new PrimarySitesReader(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`, createLogger({ service: 'geo-gateway-test', site: SECONDARY_NAME, level: 'silent' }), 300);
      const started = Date.now();
      await expect(reader.list('/api/v4/geo_sites', { privateToken: TEST_ADMIN_TOKEN })).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('answers 503 when the primary is unreachable', async () => {
    const orphan = await startGatewayUnderTest({ role: 'secondary', primaryHttpUrl: `http://127.0.0.1:${await freePort()}`, siteName: SECONDARY_NAME });
    try {
      for (const path of ['/api/v4/geo_sites', `/api/v4/geo_sites/${sites[0]?.id}`, '/api/v4/geo_nodes']) {
        const answer = await call(orphan.baseUrl, 'GET', path);
        expect(answer.status).toBe(503);
        expect(answer.json).toMatchObject({ code: ErrorCodes.UNAVAILABLE, message: expect.stringContaining('primary site is unreachable') });
      }
      // Its own admin check still comes first.
      expect((await call(orphan.baseUrl, 'GET', '/api/v4/geo_sites', {})).status).toBe(401);
    } finally {
      await orphan.close();
    }
  });
});
