/**
 * GitLab-compatible GraphQL end to end (issue 6 acceptance, GraphQL line): a secondary's registry
 * app runs as a real process on a real PostgreSQL tracking database (rows in several states
 * inserted here) and a private nats-server; a secondary gateway and a primary gateway (with a real
 * `geo_sites` table) answer `POST /api/graphql`. Sends the query GitLab's replication details view
 * builds (ee/app/assets/javascripts/geo_replicable/graphql/replicable_type_query_builder.js:
 * filtered by state and verification state, paginated both ways, with `count`), a query of every
 * `PackagesNugetSymbolRegistry` field, and both mutations, as an admin, a user without admin
 * rights, an anonymous caller and with an unknown token; and checks what the primary answers.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { ErrorCodes } from '@geo/domain';
import { decodeSyncJob, GEO_SYNC_JOBS_STREAM, type SyncJob } from '@geo/nats';
import { createPool, migrate } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import { appProcess, type AppProcess, createSitePair, freePort, type PrivateNatsServer, type SitePair } from '@geo/testing';
import { PgSitesRepository } from '../sites/sites-repository';
import { startGatewayUnderTest, TEST_ADMIN_TOKEN, type GatewayUnderTest } from '../testing/gateway-under-test';
import { PRIMARY_HAS_NO_REGISTRIES_MESSAGE, RESOURCE_NOT_AVAILABLE_MESSAGE } from './resolvers';

jest.setTimeout(120_000);

const READER_TOKEN = 'reader-token-0123456789-abcdef';
const TABLE = packagesNugetSymbol.registryTable;
const FK = packagesNugetSymbol.modelForeignKey;

/** GitLab's `~/graphql_shared/fragments/page_info.fragment.graphql`. */
const PAGE_INFO_FRAGMENT = `fragment PageInfo on PageInfo {
  hasNextPage
  hasPreviousPage
  startCursor
  endCursor
  __typename
}`;

/**
 * What `buildReplicableTypeQuery({ graphqlFieldName: 'packagesNugetSymbolRegistries',
 * graphqlRegistryIdType: 'GeoPackagesNugetSymbolRegistryID', verificationEnabled: true })` sends,
 * with the `__typename`s Apollo adds.
 */
const REPLICATION_DETAILS_QUERY = `query($first: Int, $last: Int, $before: String!, $after: String!, $sort: GeoRegistrySort $replicationState: ReplicationStateEnum, $verificationState: VerificationStateEnum, $ids: [GeoPackagesNugetSymbolRegistryID!]) {
  geoNode {
    packagesNugetSymbolRegistries(first: $first, last: $last, before: $before, after: $after, sort: $sort replicationState: $replicationState, verificationState: $verificationState, ids: $ids) {
      pageInfo {
        ...PageInfo
      }
      count
      nodes {
        id
        state
        retryCount
        lastSyncFailure
        retryAt
        lastSyncedAt
        modelRecordId
        verifiedAt @include (if: true)
        verificationState @include (if: true)
        verificationFailure @include (if: true)
        createdAt
        __typename
      }
      __typename
    }
    __typename
  }
}
${PAGE_INFO_FRAGMENT}`;

/** Every field of GitLab's `PackagesNugetSymbolRegistry`, through edges. */
const ALL_FIELDS_QUERY = `query($ids: [GeoPackagesNugetSymbolRegistryID!], $name: String) {
  geoNode(name: $name) {
    name
    primary
    packagesNugetSymbolRegistries(ids: $ids) {
      count
      edges {
        cursor
        node {
          checksumMismatch createdAt forceToRedownload id lastSyncFailure lastSyncedAt missingOnPrimary modelRecordId
          packagesNugetSymbolId retryAt retryCount state verificationChecksum verificationChecksumMismatched
          verificationFailure verificationRetryAt verificationRetryCount verificationStartedAt verificationState verifiedAt
        }
      }
    }
  }
}`;

const UPDATE_MUTATION = `mutation($registryId: GeoBaseRegistryID!, $action: GeoRegistryAction!, $clientMutationId: String) {
  geoRegistriesUpdate(input: { registryId: $registryId, action: $action, clientMutationId: $clientMutationId }) {
    clientMutationId
    errors
    registry {
      __typename
      ... on PackagesNugetSymbolRegistry { id modelRecordId state verificationState lastSyncedAt }
    }
  }
}`;

const BULK_MUTATION = `mutation($registryClass: GeoRegistryClass!, $action: GeoRegistriesBulkAction!, $ids: [GeoBaseRegistryID!], $replicationState: ReplicationStateEnum, $verificationState: VerificationStateEnum) {
  geoRegistriesBulkUpdate(input: { registryClass: $registryClass, action: $action, ids: $ids, replicationState: $replicationState, verificationState: $verificationState, clientMutationId: "bulk-1" }) {
    clientMutationId
    errors
    registryClass
  }
}`;

const ADMIN = { 'private-token': TEST_ADMIN_TOKEN };
const READER = { authorization: `Bearer ${READER_TOKEN}` };

interface GraphqlAnswer {
  readonly status: number;
  // GraphQL answers are dynamic JSON; the tests read them as such.
  readonly body: { data?: any; errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function graphql(gateway: GatewayUnderTest, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = ADMIN): Promise<GraphqlAnswer> {
  const response = await fetch(`${gateway.baseUrl}/api/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: JSON.parse(await response.text()) as GraphqlAnswer['body'] };
}

const gid = (id: number): string => `gid://gitlab/Geo::PackagesNugetSymbolRegistry/${id}`;

/** One "now" for every started row: recent, so neither stalled (republished) nor timed out. */
const NOW = new Date();

/**
 * The registry app's scheduler runs (it keeps its default capacity of 10 while the primary is
 * unreachable) and would start pending and due rows under the test's feet. Ten started rows (row 5
 * and these nine) fill that capacity, so it claims nothing and only the mutations change rows.
 */
const FILLERS = [101, 102, 103, 104, 105, 106, 107, 108, 109];
const ALL = [1, 2, 3, 4, 5, 6, 7, 8, ...FILLERS];

/** Registry rows by model id; registry ids follow in this order from 1 (RESTART IDENTITY), so 1..8 match. */
const ROWS: Record<number, Record<string, unknown>> = {
  1: { state: 2, verification_state: 2, last_synced_at: '2026-11-01T10:00:00Z', verified_at: '2026-11-01T10:05:00Z', verification_checksum: '\\x' + 'ab'.repeat(32) },
  2: {
    state: 2,
    verification_state: 3,
    last_synced_at: '2026-11-02T10:00:00Z',
    verified_at: '2026-11-02T10:05:00.250Z',
    verification_started_at: '2026-11-02T10:04:00Z',
    verification_checksum: '\\x' + 'cd'.repeat(32),
    verification_checksum_mismatched: '\\x' + 'cd'.repeat(32),
    checksum_mismatch: true,
    verification_failure: 'Checksum does not match the primary checksum',
    verification_retry_count: 1,
    verification_retry_at: '2026-11-02T10:10:00Z',
  },
  3: { state: 3, retry_count: 2, retry_at: '2026-11-03T11:00:00Z', last_synced_at: '2026-11-03T10:00:00Z', last_sync_failure: 'Error downloading file' },
  4: {},
  5: { state: 1, last_synced_at: NOW },
  6: { state: 2, verification_state: 2, last_synced_at: '2026-11-06T10:00:00Z', verified_at: '2026-11-06T10:05:00Z', verification_checksum: '\\x' + 'ef'.repeat(32) },
  7: { state: 2, verification_state: 0, last_synced_at: '2026-11-07T10:00:00Z' },
  8: { state: 3, verification_state: 4, retry_count: 1, retry_at: '2026-11-08T11:00:00Z', last_synced_at: '2026-11-08T10:00:00Z', last_sync_failure: 'File is not checksummable' },
  ...Object.fromEntries(FILLERS.map((id) => [id, { state: 1, last_synced_at: NOW }])),
};

let sites: SitePair;
let secondaryPool: Pool;
let nats: PrivateNatsServer;
let registry: AppProcess;
let secondary: GatewayUnderTest;
let primary: GatewayUnderTest;
let primaryId: number;
let secondaryName: string;
let primaryName: string;

/** Replaces every row in one transaction, so the scheduler never sees a moment with free capacity. */
async function seed(): Promise<void> {
  const client = await secondaryPool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`TRUNCATE ${TABLE} RESTART IDENTITY`);
    for (const modelId of ALL) {
      const columns = ROWS[modelId] ?? {};
      const keys = ['created_at', ...Object.keys(columns)];
      const values = [`2026-10-${String(modelId % 100).padStart(2, '0')}T00:00:00Z`, ...Object.values(columns)];
      await client.query(`INSERT INTO ${TABLE} (${FK}, ${keys.join(', ')}) VALUES ($1, ${keys.map((_k, i) => `$${i + 2}`).join(', ')})`, [modelId, ...values]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** `{ state, verification_state }` of every row, by model id. */
async function states(): Promise<Record<number, [number, number]>> {
  const result = await secondaryPool.query<{ id: string; state: number; verification_state: number }>(`SELECT ${FK} AS id, state, verification_state FROM ${TABLE} ORDER BY ${FK}`);
  return Object.fromEntries(result.rows.map((r) => [Number(r.id), [r.state, r.verification_state]]));
}

/** Every sync job in the site's work queue (no worker runs here, so none is consumed). */
async function queuedJobs(): Promise<SyncJob[]> {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(GEO_SYNC_JOBS_STREAM).catch(() => undefined);
    const jobs: SyncJob[] = [];
    if (info === undefined || info.state.messages === 0) return jobs;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq += 1) {
      const message = await jsm.streams.getMessage(GEO_SYNC_JOBS_STREAM, { seq }).catch(() => null);
      if (message !== null) jobs.push(decodeSyncJob(message.data));
    }
    return jobs;
  } finally {
    await nc.close();
  }
}

beforeAll(async () => {
  // The primary is unreachable (a closed port), so the registry app's sweep and scheduler never
  // change the rows this test inserts: only the GraphQL mutations do.
  const [registryPort, closedPort] = [await freePort(), await freePort()];
  sites = await createSitePair('gw_graphql', {
    pg: { migrate, createPool },
    primaryGrpcUrl: `http://127.0.0.1:${closedPort}`,
    primaryStatusGrpcUrl: `http://127.0.0.1:${closedPort}`,
  });
  [secondaryPool, nats] = [sites.secondary.pool, sites.secondary.nats];
  [primaryId, primaryName, secondaryName] = [sites.primary.id, sites.primary.name, sites.secondary.name];
  registry = appProcess('registry', { ...sites.secondary.env, GEO_REGISTRY_GRPC_PORT: String(registryPort) });
  await registry.start();

  secondary = await startGatewayUnderTest({ role: 'secondary', siteName: secondaryName, registryTarget: `127.0.0.1:${registryPort}`, nonAdminTokens: [READER_TOKEN] });
  primary = await startGatewayUnderTest({ siteName: primaryName, sites: new PgSitesRepository(sites.primary.pool), nonAdminTokens: [READER_TOKEN] });
});

afterAll(async () => {
  await secondary?.close();
  await primary?.close();
  await registry?.stop();
  await sites?.dispose();
});

beforeEach(seed);

/** The view's variables: GitLab sends empty strings for the unused cursors. */
const view = (variables: Record<string, unknown>): Record<string, unknown> => ({ first: null, last: null, before: '', after: '', sort: 'ID_ASC', ...variables });

/** The parts of the view's connection the assertions read. */
interface ViewConnection {
  readonly count: number;
  readonly nodes: readonly { readonly modelRecordId: number; readonly state: string; readonly verificationState: string }[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly hasPreviousPage: boolean; readonly startCursor: string | null; readonly endCursor: string | null };
  readonly __typename?: string;
}

function registries(answer: GraphqlAnswer): ViewConnection {
  expect(answer.status).toBe(200);
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data.geoNode.packagesNugetSymbolRegistries as ViewConnection;
}

const modelIds = (connection: ViewConnection): number[] => connection.nodes.map((n) => n.modelRecordId);

describe("GitLab's replication details query on the secondary (admin)", () => {
  it('answers every registry with the fields the view reads', async () => {
    const connection = registries(await graphql(secondary, REPLICATION_DETAILS_QUERY, view({ first: 20 })));
    expect(connection.count).toBe(17);
    expect(modelIds(connection)).toEqual(ALL);
    expect(connection.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: expect.any(String), endCursor: expect.any(String), __typename: 'PageInfo' });
    expect(connection.__typename).toBe('PackagesNugetSymbolRegistryConnection');
    expect(connection.nodes[2]).toEqual({
      id: gid(3),
      state: 'FAILED',
      retryCount: 2,
      lastSyncFailure: 'Error downloading file',
      retryAt: '2026-11-03T11:00:00Z',
      lastSyncedAt: '2026-11-03T10:00:00Z',
      modelRecordId: 3,
      verifiedAt: null,
      verificationState: 'PENDING',
      verificationFailure: null,
      createdAt: '2026-10-03T00:00:00Z',
      __typename: 'PackagesNugetSymbolRegistry',
    });
    expect(connection.nodes.slice(0, 8).map((n) => n.state)).toEqual(['SYNCED', 'SYNCED', 'FAILED', 'PENDING', 'STARTED', 'SYNCED', 'SYNCED', 'FAILED']);
    expect(connection.nodes.slice(0, 8).map((n) => n.verificationState)).toEqual([
      'SUCCEEDED',
      'FAILED',
      'PENDING',
      'PENDING',
      'PENDING',
      'SUCCEEDED',
      'PENDING',
      'DISABLED',
    ]);
  });

  it.each([
    ['replicationState', { replicationState: 'SYNCED' }, [1, 2, 6, 7]],
    ['replicationState FAILED', { replicationState: 'FAILED' }, [3, 8]],
    ['verificationState', { verificationState: 'FAILED' }, [2]],
    ['both', { replicationState: 'SYNCED', verificationState: 'SUCCEEDED' }, [1, 6]],
    ['verificationState DISABLED', { verificationState: 'DISABLED' }, [8]],
    ['ids (the item view)', { ids: [gid(3), gid(5)] }, [3, 5]],
    ['replicationState STARTED', { replicationState: 'STARTED' }, [5, ...FILLERS]],
    // Equal timestamps (row 5 and the fillers) are ordered by id, in the sort's direction.
    ['sort LAST_SYNCED_AT_DESC (NULLs first, as PostgreSQL)', { sort: 'LAST_SYNCED_AT_DESC' }, [4, ...[...FILLERS].reverse(), 5, 8, 7, 6, 3, 2, 1]],
    ['sort VERIFIED_AT_ASC (NULLs last)', { sort: 'VERIFIED_AT_ASC' }, [1, 2, 6, 3, 4, 5, 7, 8, ...FILLERS]],
  ])('filters and sorts: %s', async (_what, filter, expected) => {
    const connection = registries(await graphql(secondary, REPLICATION_DETAILS_QUERY, view({ first: 20, ...filter })));
    expect(modelIds(connection)).toEqual(expected);
    expect(connection.count).toBe(expected.length);
  });

  it('pages forward with first/after and back with last/before, as the view does', async () => {
    const forward: number[] = [];
    let after = '';
    const seenPageInfo: { hasNextPage: boolean; hasPreviousPage: boolean }[] = [];
    for (let pages = 0; pages < 10; pages += 1) {
      const connection = registries(await graphql(secondary, REPLICATION_DETAILS_QUERY, view({ first: 3, after, replicationState: null })));
      expect(connection.count).toBe(17);
      forward.push(...modelIds(connection));
      seenPageInfo.push({ hasNextPage: connection.pageInfo.hasNextPage, hasPreviousPage: connection.pageInfo.hasPreviousPage });
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor ?? '';
    }
    expect(forward).toEqual(ALL);
    expect(seenPageInfo).toEqual([
      { hasNextPage: true, hasPreviousPage: false },
      ...Array.from({ length: 4 }, () => ({ hasNextPage: true, hasPreviousPage: true })),
      { hasNextPage: false, hasPreviousPage: true },
    ]);

    // The view's "previous" button: last N before the current page's startCursor.
    const lastPage = registries(await graphql(secondary, REPLICATION_DETAILS_QUERY, view({ last: 3 })));
    expect(modelIds(lastPage)).toEqual([107, 108, 109]);
    expect(lastPage.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const backward: number[][] = [modelIds(lastPage)];
    let before = lastPage.pageInfo.startCursor;
    for (let pages = 0; pages < 10; pages += 1) {
      const connection = registries(await graphql(secondary, REPLICATION_DETAILS_QUERY, view({ last: 3, before })));
      backward.unshift(modelIds(connection));
      expect(connection.pageInfo.hasNextPage).toBe(true);
      if (!connection.pageInfo.hasPreviousPage) break;
      before = connection.pageInfo.startCursor;
    }
    expect(backward).toEqual([[1, 2], [3, 4, 5], [6, 7, 8], [101, 102, 103], [104, 105, 106], [107, 108, 109]]);

    // Filtered and sorted pages keep the filter and order across cursors.
    const synced = registries(await graphql(secondary, REPLICATION_DETAILS_QUERY, view({ first: 2, replicationState: 'SYNCED', sort: 'ID_DESC' })));
    expect(modelIds(synced)).toEqual([7, 6]);
    const next = registries(await graphql(secondary, REPLICATION_DETAILS_QUERY, view({ first: 2, after: synced.pageInfo.endCursor, replicationState: 'SYNCED', sort: 'ID_DESC' })));
    expect(modelIds(next)).toEqual([2, 1]);
    expect(next.pageInfo.hasNextPage).toBe(false);
  });

  it('a cursor of another sort, or garbage, is a GraphQL error mapped by the gateway (INVALID_ARGUMENT, 400), not an HTTP error', async () => {
    const first = registries(await graphql(secondary, REPLICATION_DETAILS_QUERY, view({ first: 1 })));
    for (const variables of [view({ first: 1, after: first.pageInfo.endCursor, sort: 'ID_DESC' }), view({ first: 1, after: 'garbage!' })]) {
      const answer = await graphql(secondary, REPLICATION_DETAILS_QUERY, variables);
      expect(answer.status).toBe(200);
      expect(answer.body.data.geoNode.packagesNugetSymbolRegistries).toBeNull();
      expect(answer.body.errors).toEqual([
        expect.objectContaining({ path: ['geoNode', 'packagesNugetSymbolRegistries'], extensions: { code: ErrorCodes.INVALID_ARGUMENT, status: 400 } }),
      ]);
    }
  });
});

describe('every PackagesNugetSymbolRegistry field', () => {
  it("has GitLab's name, type and value", async () => {
    const answer = await graphql(secondary, ALL_FIELDS_QUERY, { ids: [gid(2)] });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data.geoNode).toMatchObject({ name: secondaryName, primary: false });
    const connection = answer.body.data.geoNode.packagesNugetSymbolRegistries;
    expect(connection.count).toBe(1);
    expect(connection.edges).toEqual([
      {
        cursor: expect.any(String),
        node: {
          checksumMismatch: true,
          createdAt: '2026-10-02T00:00:00Z',
          forceToRedownload: null,
          id: gid(2),
          lastSyncFailure: null,
          lastSyncedAt: '2026-11-02T10:00:00Z',
          missingOnPrimary: null,
          modelRecordId: 2,
          packagesNugetSymbolId: '2',
          retryAt: null,
          retryCount: 0,
          state: 'SYNCED',
          verificationChecksum: 'cd'.repeat(32),
          verificationChecksumMismatched: 'cd'.repeat(32),
          verificationFailure: 'Checksum does not match the primary checksum',
          verificationRetryAt: '2026-11-02T10:10:00Z',
          verificationRetryCount: 1,
          verificationStartedAt: '2026-11-02T10:04:00Z',
          verificationState: 'FAILED',
          // Ruby's Time#iso8601: whole seconds.
          verifiedAt: '2026-11-02T10:05:00Z',
        },
      },
    ]);
  });
});

describe('mutations on the secondary (admin)', () => {
  it('geoRegistriesUpdate RESYNC starts the row and queues its sync job', async () => {
    const answer = await graphql(secondary, UPDATE_MUTATION, { registryId: gid(3), action: 'RESYNC', clientMutationId: 'm-1' });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data.geoRegistriesUpdate).toEqual({
      clientMutationId: 'm-1',
      errors: [],
      registry: { __typename: 'PackagesNugetSymbolRegistry', id: gid(3), modelRecordId: 3, state: 'STARTED', verificationState: 'PENDING', lastSyncedAt: expect.any(String) },
    });
    expect((await states())[3]).toEqual([1, 0]);
    const attempt = new Date(answer.body.data.geoRegistriesUpdate.registry.lastSyncedAt as string);
    // The job's attempt is the row's new last_synced_at (Time shows whole seconds).
    const jobs = await queuedJobs();
    expect(jobs).toEqual([{ replicableName: packagesNugetSymbol.name, modelRecordId: 3, attempt: expect.any(Date) }]);
    expect(Math.floor((jobs[0]?.attempt.getTime() ?? 0) / 1000)).toBe(attempt.getTime() / 1000);
  });

  it('geoRegistriesUpdate REVERIFY sets the verification to pending', async () => {
    const answer = await graphql(secondary, UPDATE_MUTATION, { registryId: gid(1), action: 'REVERIFY' });
    expect(answer.body.data.geoRegistriesUpdate).toMatchObject({ clientMutationId: null, errors: [], registry: { id: gid(1), state: 'SYNCED', verificationState: 'PENDING' } });
    expect((await states())[1]).toEqual([2, 0]);
  });

  it.each([
    ['an unknown registry', gid(999)],
    ['a registry type this system has not', 'gid://gitlab/Geo::LfsObjectRegistry/1'],
  ])('geoRegistriesUpdate of %s is resource-not-available', async (_what, registryId) => {
    const answer = await graphql(secondary, UPDATE_MUTATION, { registryId, action: 'RESYNC' });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ geoRegistriesUpdate: null });
    expect(answer.body.errors).toEqual([expect.objectContaining({ message: RESOURCE_NOT_AVAILABLE_MESSAGE, path: ['geoRegistriesUpdate'] })]);
  });

  it('geoRegistriesUpdate refuses an id that is not a Geo registry global id', async () => {
    const before = await states();
    const answer = await graphql(secondary, UPDATE_MUTATION, { registryId: 'gid://gitlab/Project/1', action: 'RESYNC' });
    expect(answer.body.data ?? null).toBeNull();
    expect(answer.body.errors?.[0]?.message).toMatch(/does not represent an instance of Geo::BaseRegistry/);
    expect(await states()).toEqual(before);
  });

  it('geoRegistriesBulkUpdate RESYNC_ALL with a state filter makes the matching rows pending', async () => {
    const answer = await graphql(secondary, BULK_MUTATION, { registryClass: 'PACKAGES_NUGET_SYMBOL_REGISTRY', action: 'RESYNC_ALL', replicationState: 'FAILED' });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data.geoRegistriesBulkUpdate).toEqual({ clientMutationId: 'bulk-1', errors: [], registryClass: 'PACKAGES_NUGET_SYMBOL_REGISTRY' });
    const after = await states();
    expect([after[3]?.[0], after[8]?.[0]]).toEqual([0, 0]);
    expect([1, 2, 4, 5, 6, 7].map((id) => after[id]?.[0])).toEqual([2, 2, 0, 1, 2, 2]);
  });

  it('geoRegistriesBulkUpdate REVERIFY_ALL with ids and a verification filter', async () => {
    const answer = await graphql(secondary, BULK_MUTATION, {
      registryClass: 'PACKAGES_NUGET_SYMBOL_REGISTRY',
      action: 'REVERIFY_ALL',
      ids: [gid(1), gid(2), gid(6)],
      verificationState: 'SUCCEEDED',
    });
    expect(answer.body.data.geoRegistriesBulkUpdate.errors).toEqual([]);
    const after = await states();
    expect([1, 2, 6, 7].map((id) => after[id]?.[1])).toEqual([0, 3, 0, 0]);

    await graphql(secondary, BULK_MUTATION, { registryClass: 'PACKAGES_NUGET_SYMBOL_REGISTRY', action: 'REVERIFY_ALL' });
    // Every synced row, whatever its verification state; unsynced rows are left alone.
    const all = await states();
    expect([1, 2, 6, 7].map((id) => all[id]?.[1])).toEqual([0, 0, 0, 0]);
    expect(all[8]).toEqual([3, 4]);
  });
});

describe('callers without admin rights (GitLab answers 200 with no data, not 401/403)', () => {
  it.each([
    ['a user without admin rights', READER],
    ['an anonymous caller', {}],
  ])('%s: geoNode is null and both mutations are resource-not-available, changing nothing', async (_who, headers) => {
    const before = await states();
    const query = await graphql(secondary, REPLICATION_DETAILS_QUERY, view({ first: 20 }), headers);
    expect(query).toEqual({ status: 200, body: { data: { geoNode: null } } });

    const update = await graphql(secondary, UPDATE_MUTATION, { registryId: gid(3), action: 'RESYNC' }, headers);
    expect(update.status).toBe(200);
    expect(update.body.data).toEqual({ geoRegistriesUpdate: null });
    expect(update.body.errors).toEqual([expect.objectContaining({ message: RESOURCE_NOT_AVAILABLE_MESSAGE, path: ['geoRegistriesUpdate'] })]);

    const bulk = await graphql(secondary, BULK_MUTATION, { registryClass: 'PACKAGES_NUGET_SYMBOL_REGISTRY', action: 'RESYNC_ALL' }, headers);
    expect(bulk.body.data).toEqual({ geoRegistriesBulkUpdate: null });
    expect(bulk.body.errors).toEqual([expect.objectContaining({ message: RESOURCE_NOT_AVAILABLE_MESSAGE })]);
    expect(await states()).toEqual(before);
  });

  it('an unknown token is HTTP 401 "Invalid token" (GitLab GraphqlController), in GraphQL error shape', async () => {
    const answer = await graphql(secondary, REPLICATION_DETAILS_QUERY, view({ first: 20 }), { 'private-token': 'not-a-token' });
    expect(answer).toEqual({ status: 401, body: { errors: [{ message: 'Invalid token', extensions: { code: ErrorCodes.UNAUTHENTICATED } }] } });
  });
});

describe('the primary (no tracking database)', () => {
  it('answers its own node with no registries, and other nodes without theirs (GitLab: only the current node)', async () => {
    const own = await graphql(primary, `{ geoNode { id name primary packagesNugetSymbolRegistries { count edges { cursor } } } }`);
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data.geoNode).toEqual({ id: `gid://gitlab/GeoNode/${primaryId}`, name: primaryName, primary: true, packagesNugetSymbolRegistries: { count: 0, edges: [] } });

    // The secondary has 17 rows, but the primary cannot read another node's tracking database.
    const other = await graphql(primary, ALL_FIELDS_QUERY, { name: secondaryName });
    expect(other.body.data.geoNode).toEqual({ name: secondaryName, primary: false, packagesNugetSymbolRegistries: { count: 0, edges: [] } });
    const view0 = registries(await graphql(primary, REPLICATION_DETAILS_QUERY, view({ first: 20 })));
    expect(view0).toMatchObject({ count: 0, nodes: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });

    expect((await graphql(primary, ALL_FIELDS_QUERY, { name: 'no-such-site' })).body).toEqual({ data: { geoNode: null } });
  });

  it('refuses the mutations: a single registry cannot be found there, a bulk update reports why', async () => {
    const before = await states();
    const update = await graphql(primary, UPDATE_MUTATION, { registryId: gid(3), action: 'RESYNC' });
    expect(update.body.errors).toEqual([expect.objectContaining({ message: RESOURCE_NOT_AVAILABLE_MESSAGE })]);
    const bulk = await graphql(primary, BULK_MUTATION, { registryClass: 'PACKAGES_NUGET_SYMBOL_REGISTRY', action: 'RESYNC_ALL' });
    expect(bulk.body.data.geoRegistriesBulkUpdate).toEqual({ clientMutationId: 'bulk-1', errors: [PRIMARY_HAS_NO_REGISTRIES_MESSAGE], registryClass: 'PACKAGES_NUGET_SYMBOL_REGISTRY' });
    expect(await states()).toEqual(before);
  });

  it('non-admins get null there too', async () => {
    expect((await graphql(primary, ALL_FIELDS_QUERY, {}, READER)).body).toEqual({ data: { geoNode: null } });
  });
});
