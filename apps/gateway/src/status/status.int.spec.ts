/**
 * GitLab's status REST API end to end (issue 6 acceptance, REST line): the primary's status and
 * registry apps and a secondary's status app run as real processes against real PostgreSQL and a
 * private nats-server per site; a primary gateway and a secondary gateway answer
 * `/api/v4/geo_sites/status` and friends from their site's status app. Checks the FULL list of
 * spec §8.4 field names that apply, with their JSON types, for the primary's and the secondary's
 * status; pagination headers; 401 / 403 / 404.
 */
import { ErrorCodes, statusFieldsFor } from '@geo/domain';
import { geoEventsStream } from '@geo/nats';
import { createPool, migrate } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import { appProcess, type AppProcess, createSitePair, freePort, type SitePair, uniqueName } from '@geo/testing';
import { startGatewayUnderTest, TEST_ADMIN_TOKEN, type GatewayUnderTest } from '../testing/gateway-under-test';

jest.setTimeout(180_000);

const SECRET = 'g'.repeat(40);
const READER_TOKEN = 'reader-token-0123456789-abcdef';

type JsonType = 'integer' | 'float' | 'string' | 'boolean' | 'null' | 'array' | 'object' | 'percentage' | 'iso8601';

/** JSON type of a value, with GitLab's percentage strings and ISO timestamps told apart. */
function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  if (typeof value === 'string') {
    if (/^-?\d+\.\d{2}%$/.test(value)) return 'percentage';
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)) return 'iso8601';
    return 'string';
  }
  if (typeof value === 'boolean') return 'boolean';
  return 'object';
}

const f = statusFieldsFor(packagesNugetSymbol);

/** Spec §8.4 fields that apply, and their JSON types, common to both roles. */
const COMMON_FIELDS: Record<string, JsonType> = {
  geo_node_id: 'integer',
  projects_count: 'null',
  repositories_count: 'null',
  replication_slots_count: 'null',
  replication_slots_used_count: 'null',
  replication_slots_used_in_percentage: 'percentage',
  replication_slots_max_retained_wal_bytes: 'null',
  repositories_checked_count: 'null',
  repositories_checked_failed_count: 'null',
  repositories_checked_in_percentage: 'percentage',
  git_fetch_event_count_weekly: 'null',
  git_push_event_count_weekly: 'null',
  proxy_remote_requests_event_count_weekly: 'null',
  proxy_local_requests_event_count_weekly: 'null',
  [f.syncedInPercentage]: 'percentage',
  [f.verifiedInPercentage]: 'percentage',
  healthy: 'boolean',
  health: 'string',
  health_status: 'string',
  health_issues: 'array',
  missing_oauth_application: 'boolean',
  db_replication_lag_seconds: 'null',
  last_successful_status_check_timestamp: 'integer',
  version: 'string',
  revision: 'string',
  selective_sync_type: 'null',
  namespaces: 'array',
  updated_at: 'iso8601',
  storage_shards_match: 'boolean',
  _links: 'object',
};

/** The primary: its own model and state counters, no registry, no cursor, no lag. */
const PRIMARY_FIELDS: Record<string, JsonType> = {
  ...COMMON_FIELDS,
  container_repositories_replication_enabled: 'null',
  [f.count]: 'integer',
  [f.checksumTotalCount]: 'integer',
  [f.checksummedCount]: 'integer',
  [f.checksumFailedCount]: 'integer',
  [f.registryCount]: 'null',
  [f.syncedCount]: 'null',
  [f.failedCount]: 'null',
  [f.verifiedCount]: 'null',
  [f.verificationFailedCount]: 'null',
  [f.verificationTotalCount]: 'null',
  event_lag_seconds: 'null',
  // No event was ever written on this primary.
  last_event_id: 'null',
  last_event_timestamp: 'null',
  cursor_last_event_id: 'null',
  cursor_last_event_timestamp: 'null',
};

/** A secondary: registry counters, `count` = registry count, no primary counters. */
const SECONDARY_FIELDS: Record<string, JsonType> = {
  ...COMMON_FIELDS,
  container_repositories_replication_enabled: 'boolean',
  [f.count]: 'integer',
  [f.checksumTotalCount]: 'null',
  [f.checksummedCount]: 'null',
  [f.checksumFailedCount]: 'null',
  [f.registryCount]: 'integer',
  [f.syncedCount]: 'integer',
  [f.failedCount]: 'integer',
  [f.verifiedCount]: 'integer',
  [f.verificationFailedCount]: 'integer',
  [f.verificationTotalCount]: 'integer',
  // No event-log consumer runs in this test: lag unknown, no cursor, no relayed event.
  event_lag_seconds: 'null',
  last_event_id: 'null',
  last_event_timestamp: 'null',
  cursor_last_event_id: 'null',
  cursor_last_event_timestamp: 'null',
};

function fieldTypes(json: Record<string, unknown>): Record<string, JsonType> {
  return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, typeOf(v)]));
}

let sites: SitePair;
let primaryId: number;
let secondaryId: number;
let unreportedId: number;
let apps: AppProcess[] = [];
let primaryGateway: GatewayUnderTest;
let secondaryGateway: GatewayUnderTest;

beforeAll(async () => {
  const [primaryStatusPort, registryPort, secondaryStatusPort] = [await freePort(), await freePort(), await freePort()];
  sites = await createSitePair('gw_status', {
    pg: { migrate, createPool },
    primaryStreams: [geoEventsStream()],
    primaryGrpcUrl: `http://127.0.0.1:${registryPort}`,
    primaryStatusGrpcUrl: `http://127.0.0.1:${primaryStatusPort}`,
  });
  const { primary, secondary } = sites;
  [primaryId, secondaryId] = [primary.id, secondary.id];
  const unreported = await primary.pool.query<{ id: string }>(
    `INSERT INTO geo_sites (name, url, access_key, secret_access_key) VALUES ($1, 'https://ap.example/', $2, $3) RETURNING id`,
    [uniqueName('ap').replace(/_/g, '-'), uniqueName('AK'), SECRET],
  );
  unreportedId = Number(unreported.rows[0]!.id);

  const primaryStatus = appProcess('status', { ...primary.env, GEO_STATUS_INTERVAL_SECONDS: '1', GEO_STATUS_GRPC_PORT: String(primaryStatusPort) });
  const registry = appProcess('registry', { ...primary.env, GEO_REGISTRY_GRPC_PORT: String(registryPort) });
  const secondaryStatus = appProcess('status', { ...secondary.env, GEO_STATUS_INTERVAL_SECONDS: '1', GEO_STATUS_GRPC_PORT: String(secondaryStatusPort) });
  apps = [primaryStatus, registry, secondaryStatus];
  await Promise.all([primaryStatus.start(), registry.start()]);
  await secondaryStatus.start();

  primaryGateway = await startGatewayUnderTest({ siteName: primary.name, statusTarget: `127.0.0.1:${primaryStatusPort}`, nonAdminTokens: [READER_TOKEN] });
  secondaryGateway = await startGatewayUnderTest({
    role: 'secondary',
    siteName: secondary.name,
    statusTarget: `127.0.0.1:${secondaryStatusPort}`,
    nonAdminTokens: [READER_TOKEN],
    primaryHttpUrl: primaryGateway.baseUrl,
  });
});

afterAll(async () => {
  await primaryGateway?.close();
  await secondaryGateway?.close();
  for (const app of apps) await app.stop();
  await sites?.dispose();
});

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: unknown;
}

async function get(gateway: GatewayUnderTest, path: string, headers: Record<string, string> = { 'private-token': TEST_ADMIN_TOKEN }): Promise<Answer> {
  const response = await fetch(`${gateway.baseUrl}${path}`, { headers });
  return { status: response.status, headers: response.headers, json: JSON.parse(await response.text()) as unknown };
}

type StatusJson = Record<string, unknown> & { geo_node_id: number | null };

/** Polls the primary's list until both sites are in it with their ids (the secondary pushes every second). */
async function bothStatuses(): Promise<StatusJson[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await get(primaryGateway, '/api/v4/geo_sites/status');
    const list = answer.json as StatusJson[];
    if (answer.status === 200 && list.some((s) => s.geo_node_id === secondaryId) && list.some((s) => s.geo_node_id === primaryId)) return list;
    if (Date.now() > deadline) throw new Error(`secondary status never reached the primary: ${JSON.stringify(answer.json)}\n${apps[2]!.tail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('GET /api/v4/geo_sites/status on the primary', () => {
  it('lists the primary and the secondary with every §8.4 field, typed as GitLab renders them', async () => {
    const list = await bothStatuses();
    const primary = list.find((s) => s.geo_node_id === primaryId)!;
    const secondary = list.find((s) => s.geo_node_id === secondaryId)!;
    expect(fieldTypes(primary)).toEqual(PRIMARY_FIELDS);
    expect(fieldTypes(secondary)).toEqual(SECONDARY_FIELDS);
    expect(primary).toMatchObject({
      [f.count]: 0,
      [f.syncedInPercentage]: '0.00%',
      _links: { self: `${primaryGateway.baseUrl}/api/v4/geo_sites/${primaryId}/status`, site: `${primaryGateway.baseUrl}/api/v4/geo_sites/${primaryId}` },
    });
    expect(secondary).toMatchObject({ [f.registryCount]: 0, [f.verifiedInPercentage]: '0.00%', container_repositories_replication_enabled: false });
    for (const site of [primary, secondary]) {
      expect(site.health_status).toBe(site.healthy === true ? 'Healthy' : 'Unhealthy');
      expect(site.health === 'Healthy').toBe(site.healthy);
    }
  });

  it('is paginated like GitLab (X-Total, X-Page, Link)', async () => {
    await bothStatuses();
    const answer = await get(primaryGateway, '/api/v4/geo_sites/status?per_page=1&page=2');
    expect(answer.status).toBe(200);
    expect((answer.json as StatusJson[]).map((s) => s.geo_node_id)).toEqual([secondaryId]);
    expect(answer.headers.get('x-total')).toBe('2');
    expect(answer.headers.get('x-total-pages')).toBe('2');
    expect(answer.headers.get('x-prev-page')).toBe('1');
    expect(answer.headers.get('x-next-page')).toBe('');
    expect(answer.headers.get('link')).toContain('/api/v4/geo_sites/status?per_page=1&page=1>; rel="prev"');
  });

  it('serves one site by id, and the legacy geo_nodes entity links `node`', async () => {
    await bothStatuses();
    const one = await get(primaryGateway, `/api/v4/geo_sites/${secondaryId}/status`);
    expect(one.status).toBe(200);
    expect(fieldTypes(one.json as StatusJson)).toEqual(SECONDARY_FIELDS);
    const legacy = await get(primaryGateway, `/api/v4/geo_nodes/${primaryId}/status`);
    expect(legacy.status).toBe(200);
    expect(fieldTypes(legacy.json as StatusJson)).toEqual(PRIMARY_FIELDS);
    expect((legacy.json as StatusJson)['_links']).toEqual({
      self: `${primaryGateway.baseUrl}/api/v4/geo_nodes/${primaryId}/status`,
      node: `${primaryGateway.baseUrl}/api/v4/geo_nodes/${primaryId}`,
    });
    const legacyList = await get(primaryGateway, '/api/v4/geo_nodes/status');
    expect((legacyList.json as StatusJson[]).map((s) => s.geo_node_id).sort()).toEqual([primaryId, secondaryId].sort());
  });

  it.each([
    ['an unknown site', () => 999_999],
    ['a registered site that never reported', () => unreportedId],
  ])('answers 404 for %s', async (_what, id) => {
    expect(await get(primaryGateway, `/api/v4/geo_sites/${id()}/status`)).toMatchObject({
      status: 404,
      json: { message: '404 Status for Geo site Not Found', code: ErrorCodes.NOT_FOUND },
    });
  });
});

describe('GET /api/v4/geo_sites/status on a secondary', () => {
  it('answers with what that site knows: its own status only', async () => {
    const answer = await get(secondaryGateway, '/api/v4/geo_sites/status');
    expect(answer.status).toBe(200);
    const list = answer.json as StatusJson[];
    expect(list.map((s) => s.geo_node_id)).toEqual([secondaryId]);
    expect(fieldTypes(list[0]!)).toEqual(SECONDARY_FIELDS);
    expect(answer.headers.get('x-total')).toBe('1');
  });

  it('answers 404 for the primary, whose status it does not store', async () => {
    expect((await get(secondaryGateway, `/api/v4/geo_sites/${primaryId}/status`)).status).toBe(404);
  });
});

describe('admin only', () => {
  const paths = ['/api/v4/geo_sites/status', '/api/v4/geo_sites/1/status', '/api/v4/geo_nodes/status', '/api/v4/geo_nodes/1/status'];

  it.each(paths)('%s: 401 without a token or with an unknown one', async (path) => {
    const attempts: Array<Record<string, string>> = [{}, { 'private-token': `${TEST_ADMIN_TOKEN}x` }, { authorization: 'Bearer not-a-known-token-000000' }];
    for (const headers of attempts) {
      expect(await get(primaryGateway, path, headers)).toMatchObject({ status: 401, json: { message: '401 Unauthorized', code: ErrorCodes.UNAUTHENTICATED } });
    }
  });

  it.each(paths)('%s: 403 with a valid non-admin token', async (path) => {
    const attempts: Array<Record<string, string>> = [{ 'private-token': READER_TOKEN }, { authorization: `Bearer ${READER_TOKEN}` }];
    for (const headers of attempts) {
      expect(await get(primaryGateway, path, headers)).toMatchObject({ status: 403, json: { message: '403 Forbidden', code: ErrorCodes.PERMISSION_DENIED } });
    }
  });

  it('the admin token works as a bearer token too', async () => {
    expect((await get(secondaryGateway, '/api/v4/geo_sites/status', { authorization: `Bearer ${TEST_ADMIN_TOKEN}` })).status).toBe(200);
  });
});
