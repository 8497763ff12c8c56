/**
 * Sites admin API against a real, migrated primary database: CRUD, GitLab defaults, the one-time
 * credentials of a secondary, selective-sync namespace links, uniqueness rules and admin auth.
 */
import { ErrorCodes } from '@geo/domain';
import { createPool, migrate } from '@geo/pg';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import type { Pool } from 'pg';
import { startGatewayUnderTest, TEST_ADMIN_TOKEN, TEST_SITE_NAME, type GatewayUnderTest } from '../testing/gateway-under-test';
import { CREDENTIAL_BYTES } from './site-credentials';
import { PgSitesRepository } from './sites-repository';

interface Answer {
  status: number;
  json: Record<string, unknown> & { id?: number };
}

/** A valid token of a user without admin rights (`GEO_NON_ADMIN_TOKENS`). */
const READER_TOKEN = 'reader-token-0123456789-abcdef';

describe('sites admin API (PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let gateway: GatewayUnderTest;
  let namespaceIds: number[];

  beforeAll(async () => {
    db = await createTestDatabase('geo_gateway_sites');
    await migrate({ role: 'primary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 4 });
    const { rows } = await pool.query<{ id: string }>(
      "INSERT INTO namespaces (name, path) VALUES ('Acme', 'acme'), ('Other', 'other') RETURNING id",
    );
    namespaceIds = rows.map((r) => Number(r.id));
    gateway = await startGatewayUnderTest({ sites: new PgSitesRepository(pool), nonAdminTokens: [READER_TOKEN] });
  }, 30_000);

  afterAll(async () => {
    await gateway?.close();
    await pool?.end();
    await db?.drop();
  });

  beforeEach(async () => {
    await pool.query('TRUNCATE geo_sites CASCADE');
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { 'private-token': TEST_ADMIN_TOKEN }): Promise<Answer> {
    const response = await fetch(`${gateway.baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Answer['json']) };
  }

  const secondary = (name: string, extra: Record<string, unknown> = {}) => call('POST', '/api/v4/geo_sites', { name, url: `https://${name}.example.com`, ...extra });

  async function storedSites() {
    return (await pool.query<{ name: string; access_key: string | null; secret_access_key: string | null }>('SELECT name, access_key, secret_access_key FROM geo_sites ORDER BY id')).rows;
  }

  async function links(siteId: number): Promise<number[]> {
    const { rows } = await pool.query<{ namespace_id: string }>('SELECT namespace_id FROM geo_node_namespace_links WHERE geo_node_id = $1 ORDER BY namespace_id', [siteId]);
    return rows.map((r) => Number(r.namespace_id));
  }

  describe('admin token', () => {
    it.each([
      ['GET', '/api/v4/geo_sites'],
      ['GET', '/api/v4/geo_sites/1'],
      ['POST', '/api/v4/geo_sites'],
      ['PUT', '/api/v4/geo_sites/1'],
      ['DELETE', '/api/v4/geo_sites/1'],
      ['GET', '/api/v4/geo_nodes'],
      ['POST', '/api/v4/geo_nodes'],
    ])('%s %s answers 401 without it or with a wrong one, and changes nothing', async (method, path) => {
      const body = method === 'POST' || method === 'PUT' ? { name: 'x', url: 'https://x.example.com' } : undefined;
      const attempts: Array<Record<string, string>> = [{}, { 'private-token': `${TEST_ADMIN_TOKEN}x` }, { authorization: 'Bearer nope' }];
      for (const headers of attempts) {
        expect(await call(method, path, body, headers)).toEqual({ status: 401, json: { message: '401 Unauthorized', code: ErrorCodes.UNAUTHENTICATED } });
      }
      expect(await storedSites()).toEqual([]);
    });

    it.each([
      ['GET', '/api/v4/geo_sites'],
      ['GET', '/api/v4/geo_sites/1'],
      ['POST', '/api/v4/geo_sites'],
      ['PUT', '/api/v4/geo_sites/1'],
      ['DELETE', '/api/v4/geo_sites/1'],
      ['GET', '/api/v4/geo_nodes'],
    ])('%s %s answers 403 to a valid token without admin rights, and changes nothing', async (method, path) => {
      const body = method === 'POST' || method === 'PUT' ? { name: 'x', url: 'https://x.example.com' } : undefined;
      const attempts: Array<Record<string, string>> = [{ 'private-token': READER_TOKEN }, { authorization: `Bearer ${READER_TOKEN}` }];
      for (const headers of attempts) {
        expect(await call(method, path, body, headers)).toEqual({ status: 403, json: { message: '403 Forbidden', code: ErrorCodes.PERMISSION_DENIED } });
      }
      expect(await storedSites()).toEqual([]);
    });

    it('accepts Authorization: Bearer as well as PRIVATE-TOKEN', async () => {
      expect((await call('GET', '/api/v4/geo_sites', undefined, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` })).status).toBe(200);
    });
  });

  describe('create', () => {
    it("creates a secondary with GitLab's defaults and returns its credentials once", async () => {
      const created = await secondary('london');
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({
        name: 'london',
        url: 'https://london.example.com/',
        internal_url: 'https://london.example.com/',
        primary: false,
        enabled: true,
        current: false,
        files_max_capacity: 10,
        repos_max_capacity: 25,
        verification_max_capacity: 100,
        container_repositories_max_capacity: 10,
        minimum_reverification_interval: 7,
        sync_object_storage: false,
        selective_sync_type: null,
        selective_sync_shards: [],
        selective_sync_namespace_ids: [],
      });
      const accessKey = created.json['access_key'];
      const secret = created.json['secret_access_key'];
      expect(typeof accessKey === 'string' && Buffer.from(accessKey, 'base64url').length).toBe(CREDENTIAL_BYTES);
      expect(typeof secret === 'string' && Buffer.from(secret, 'base64url').length).toBe(CREDENTIAL_BYTES);
      expect(accessKey).not.toBe(secret);
      expect(await storedSites()).toEqual([{ name: 'london', access_key: accessKey, secret_access_key: secret }]);

      // Never again: not in show, list, or update answers.
      const id = created.json.id!;
      for (const answer of [await call('GET', `/api/v4/geo_sites/${id}`), await call('GET', '/api/v4/geo_sites'), await call('PUT', `/api/v4/geo_sites/${id}`, { enabled: false })]) {
        expect(JSON.stringify(answer.json)).not.toContain(String(secret));
        expect(JSON.stringify(answer.json)).not.toContain('access_key');
      }
    });

    it('gives two secondaries different credentials', async () => {
      const a = await secondary('a');
      const b = await secondary('b');
      expect(a.json['access_key']).not.toBe(b.json['access_key']);
      expect(a.json['secret_access_key']).not.toBe(b.json['secret_access_key']);
    });

    it('creates a primary without credentials, marked current when it is this site', async () => {
      const created = await call('POST', '/api/v4/geo_sites', { name: TEST_SITE_NAME, url: 'https://primary.example.com', primary: true });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ primary: true, current: true });
      expect(created.json).not.toHaveProperty('access_key');
      expect(await storedSites()).toEqual([{ name: TEST_SITE_NAME, access_key: null, secret_access_key: null }]);
    });

    it('allows one primary only (409)', async () => {
      expect((await call('POST', '/api/v4/geo_sites', { name: 'p1', url: 'https://p1.example.com', primary: true })).status).toBe(201);
      expect(await call('POST', '/api/v4/geo_sites', { name: 'p2', url: 'https://p2.example.com', primary: true })).toEqual({
        status: 409,
        json: { message: 'primary site already exists', code: ErrorCodes.ALREADY_EXISTS, errors: { primary: ['site already exists'] } },
      });
    });

    it('keeps one primary under concurrent creates', async () => {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => call('POST', '/api/v4/geo_sites', { name: `p${i}`, url: `https://p${i}.example.com`, primary: true })),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    });

    it('rejects a taken name, compared case-insensitively (409)', async () => {
      await secondary('london');
      expect(await call('POST', '/api/v4/geo_sites', { name: 'LONDON', url: 'https://other.example.com' })).toMatchObject({
        status: 409,
        json: { message: 'name has already been taken', code: ErrorCodes.ALREADY_EXISTS },
      });
      expect(await storedSites()).toHaveLength(1);
    });

    it('validates with GitLab-like messages (400) and stores nothing', async () => {
      const answer = await call('POST', '/api/v4/geo_sites', { name: '', url: 'ftp://x', files_max_capacity: -1, minimum_reverification_interval: 0 });
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({
        code: ErrorCodes.INVALID_ARGUMENT,
        message: expect.stringContaining("name can't be blank"),
        errors: {
          name: ["can't be blank"],
          url: ['is blocked: Only allowed schemes are http, https and the URL needs a host'],
          files_max_capacity: ['must be greater than or equal to 0'],
          minimum_reverification_interval: ['must be greater than or equal to 1'],
        },
      });
      expect(await storedSites()).toEqual([]);
    });

    it('links the selected namespaces', async () => {
      const created = await secondary('tokyo', { selective_sync_type: 'namespaces', selective_sync_namespace_ids: [namespaceIds[1], namespaceIds[0]] });
      expect(created.json).toMatchObject({ selective_sync_type: 'namespaces', selective_sync_namespace_ids: [...namespaceIds].sort((a, b) => a - b) });
      expect(await links(created.json.id!)).toEqual([...namespaceIds].sort((a, b) => a - b));
    });

    it('rejects unknown namespaces (400) and stores nothing', async () => {
      const answer = await secondary('tokyo', { selective_sync_type: 'namespaces', selective_sync_namespace_ids: [namespaceIds[0], 999_999] });
      expect(answer).toMatchObject({ status: 400, json: { message: 'selective_sync_namespace_ids contains unknown namespaces: 999999' } });
      expect(await storedSites()).toEqual([]);
      expect((await pool.query('SELECT 1 FROM geo_node_namespace_links')).rowCount).toBe(0);
    });
  });

  describe('read', () => {
    it('lists sites in id order and shows one, with absolute _links', async () => {
      const a = await secondary('a');
      const b = await secondary('b');
      const list = await call('GET', '/api/v4/geo_sites');
      expect(list.status).toBe(200);
      expect((list.json as unknown as Array<{ name: string }>).map((s) => s.name)).toEqual(['a', 'b']);
      const shown = await call('GET', `/api/v4/geo_sites/${b.json.id}`);
      expect(shown.json).toMatchObject({
        id: b.json.id,
        name: 'b',
        _links: {
          self: `${gateway.baseUrl}/api/v4/geo_sites/${b.json.id}`,
          status: `${gateway.baseUrl}/api/v4/geo_sites/${b.json.id}/status`,
          repair: `${gateway.baseUrl}/api/v4/geo_sites/${b.json.id}/repair`,
        },
      });
      expect(a.json.id).toBeLessThan(b.json.id!);
    });

    it('serves the deprecated geo_nodes alias with its own links', async () => {
      const created = await call('POST', '/api/v4/geo_nodes', { name: 'legacy', url: 'https://legacy.example.com' });
      expect(created.status).toBe(201);
      const shown = await call('GET', `/api/v4/geo_nodes/${created.json.id}`);
      expect(shown.json).toMatchObject({ name: 'legacy', _links: { self: `${gateway.baseUrl}/api/v4/geo_nodes/${created.json.id}` } });
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      expect(await call('GET', '/api/v4/geo_sites/424242')).toEqual({ status: 404, json: { message: '404 GeoSite Not Found', code: ErrorCodes.NOT_FOUND } });
      expect((await call('GET', '/api/v4/geo_sites/abc')).status).toBe(400);
    });
  });

  describe('update', () => {
    it('changes only the fields sent', async () => {
      const created = await secondary('paris', { files_max_capacity: 3 });
      const updated = await call('PUT', `/api/v4/geo_sites/${created.json.id}`, { verification_max_capacity: 5, enabled: false, internal_url: 'http://10.0.0.9:8080' });
      expect(updated.status).toBe(200);
      expect(updated.json).toMatchObject({ name: 'paris', files_max_capacity: 3, verification_max_capacity: 5, enabled: false, internal_url: 'http://10.0.0.9:8080/' });
      expect(await call('GET', `/api/v4/geo_sites/${created.json.id}`)).toEqual(updated);
    });

    it('replaces and clears the namespace links', async () => {
      const created = await secondary('paris', { selective_sync_type: 'namespaces', selective_sync_namespace_ids: [namespaceIds[0]] });
      const id = created.json.id!;
      await call('PUT', `/api/v4/geo_sites/${id}`, { selective_sync_namespace_ids: [namespaceIds[1]] });
      expect(await links(id)).toEqual([namespaceIds[1]]);
      await call('PUT', `/api/v4/geo_sites/${id}`, { enabled: true });
      expect(await links(id)).toEqual([namespaceIds[1]]);
      const cleared = await call('PUT', `/api/v4/geo_sites/${id}`, { selective_sync_type: null, selective_sync_namespace_ids: [] });
      expect(cleared.json).toMatchObject({ selective_sync_type: null, selective_sync_namespace_ids: [] });
      expect(await links(id)).toEqual([]);
    });

    it('rejects a taken name (409), unknown namespaces (400), primary (400) and unknown ids (404)', async () => {
      await secondary('a');
      const b = await secondary('b');
      expect((await call('PUT', `/api/v4/geo_sites/${b.json.id}`, { name: 'A' })).status).toBe(409);
      expect((await call('PUT', `/api/v4/geo_sites/${b.json.id}`, { name: 'b' })).status).toBe(200);
      expect((await call('PUT', `/api/v4/geo_sites/${b.json.id}`, { selective_sync_namespace_ids: [999_999] })).status).toBe(400);
      expect(await call('PUT', `/api/v4/geo_sites/${b.json.id}`, { primary: true })).toMatchObject({ status: 400, json: { errors: { primary: ['is not a known parameter'] } } });
      expect((await call('PUT', '/api/v4/geo_sites/424242', { enabled: false })).status).toBe(404);
    });
  });

  describe('delete', () => {
    it('removes the site and its links (204), then 404', async () => {
      const created = await secondary('gone', { selective_sync_type: 'namespaces', selective_sync_namespace_ids: namespaceIds });
      const id = created.json.id!;
      expect(await call('DELETE', `/api/v4/geo_sites/${id}`)).toEqual({ status: 204, json: {} });
      expect(await storedSites()).toEqual([]);
      expect(await links(id)).toEqual([]);
      expect((await call('DELETE', `/api/v4/geo_sites/${id}`)).status).toBe(404);
    });
  });
});
