/**
 * The status app of both roles in-process against real PostgreSQL (a primary and a secondary
 * database), the shared NATS JetStream and real gRPC between them (issue 5 acceptance):
 * - every GeoNodeStatus count equals an independent SQL COUNT over registries in every combination
 *   of sync and verification state (secondary) and state rows in every verification state (primary),
 *   percentages per GitLab (0 when the denominator is 0);
 * - the event stream's lag, last event and cursor; heartbeat and sync-progress rules on real rows;
 * - ReportStatus: a secondary's push is stored on the primary and served back; a wrong token is
 *   UNAUTHENTICATED and stores nothing.
 */
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { ErrorCodes, type NodeStatus, type ReplicableStatus } from '@geo/domain';
import { loadConfig } from '@geo/config';
import { createChannelClient, geoAuthMetadata, startGrpcServer, unary, type GrpcServerHandle } from '@geo/grpc';
import { ensureConsumer, ensureStream, geoEventsStream, publish, pullConsumer } from '@geo/nats';
import { createPool, migrate, PgReplicableCatalogRepository } from '@geo/pg';
import { StatusServiceClient } from '@geo/proto';
import { packagesNugetSymbol } from '@geo/replicables';
import type { Component } from '@geo/service-kit';
import { createTestDatabase, recordingLogger, testServiceUrls, type TestDatabase, uniqueName, waitFor } from '@geo/testing';
import { toProtoNodeStatus } from './grpc/node-status-codec';
import { REPORT_STATUS_JWT_DATA, StatusPusher } from './grpc/status-pusher';
import { eventConsumerDurable } from './nats/event-stream-view';
import { catalogueDescriber } from './test-support/catalogue-describer';
import { buildPrimary, buildSecondary, type StatusParts } from './wiring';

jest.setTimeout(60_000);

const NAME = packagesNugetSymbol.name;
const REGISTRY = packagesNugetSymbol.registryTable;
const STATES = packagesNugetSymbol.stateTable;
const MODEL = packagesNugetSymbol.source.table;
const SECRET = 's'.repeat(40);

const urls = testServiceUrls();
let primaryDb: TestDatabase;
let secondaryDb: TestDatabase;
let pgPrimary: Pool;
let pgSecondary: Pool;
let nc: NatsConnection;
let jsm: JetStreamManager;
let stream: { name: string; subjectPrefix: string };
let primarySiteName: string;
let secondarySiteName: string;
let primaryId: number;
let secondaryId: number;
let accessKey: string;
let primary: StatusParts;
let secondary: StatusParts;
let primaryServer: GrpcServerHandle;
let catalogueServer: GrpcServerHandle;
let primaryClient: StatusServiceClient;
const started: Component[] = [];

async function insertId(pool: Pool, sql: string, values: unknown[] = []): Promise<number> {
  return Number((await pool.query<{ id: string }>(`${sql} RETURNING id`, values)).rows[0]!.id);
}

async function count(pool: Pool, sql: string): Promise<number> {
  return Number((await pool.query<{ n: string }>(sql)).rows[0]!.n);
}

beforeAll(async () => {
  [primaryDb, secondaryDb] = await Promise.all([createTestDatabase('geo_status_primary'), createTestDatabase('geo_status_secondary')]);
  await migrate({ role: 'primary', databaseUrl: primaryDb.url });
  await migrate({ role: 'secondary', databaseUrl: secondaryDb.url });
  pgPrimary = createPool({ databaseUrl: primaryDb.url, max: 2 });
  pgSecondary = createPool({ databaseUrl: secondaryDb.url, max: 2 });
  nc = await connect({ servers: urls.natsUrl });
  jsm = await jetstreamManager(nc);
  const streamName = uniqueName('T_STATUS_EVENTS').toUpperCase();
  stream = { name: streamName, subjectPrefix: `test.${streamName.toLowerCase()}` };
  await ensureStream(jsm, geoEventsStream(stream));

  primarySiteName = uniqueName('eu');
  secondarySiteName = uniqueName('us');
  accessKey = uniqueName('AK');
  primaryId = await insertId(pgPrimary, `INSERT INTO geo_sites (name, url, "primary") VALUES ($1, 'https://eu.example/', true)`, [primarySiteName]);
  secondaryId = await insertId(pgPrimary, `INSERT INTO geo_sites (name, url, access_key, secret_access_key) VALUES ($1, 'https://us.example/', $2, $3)`, [
    secondarySiteName,
    accessKey,
    SECRET,
  ]);

  const logger = recordingLogger();
  // One round at start; the tests compute on demand (interval 1 h).
  primary = buildPrimary(
    loadConfig('status', { GEO_ROLE: 'primary', GEO_SITE_NAME: primarySiteName, DATABASE_URL: primaryDb.url, NATS_URL: urls.natsUrl, GEO_STATUS_INTERVAL_SECONDS: '3600' }),
    logger,
  );
  for (const c of primary.components ?? []) {
    await c.start();
    started.push(c);
  }
  primaryServer = await startGrpcServer({ host: '127.0.0.1', port: 0, services: primary.grpcServices ?? [] });
  const catalog = new PgReplicableCatalogRepository(pgPrimary);
  catalogueServer = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [catalogueDescriber((key) => catalog.findSiteByAccessKey(key))] });
  primaryClient = createChannelClient(StatusServiceClient, `http://127.0.0.1:${primaryServer.port}`);

  secondary = buildSecondary(
    loadConfig('status', {
      GEO_ROLE: 'secondary',
      GEO_SITE_NAME: secondarySiteName,
      DATABASE_URL: secondaryDb.url,
      NATS_URL: urls.natsUrl,
      GEO_PRIMARY_NATS_URL: urls.natsUrl,
      GEO_PRIMARY_GRPC_URL: `http://127.0.0.1:${primaryServer.port}`,
      GEO_PRIMARY_REGISTRY_GRPC_URL: `http://127.0.0.1:${catalogueServer.port}`,
      GEO_ACCESS_KEY: accessKey,
      GEO_SECRET_ACCESS_KEY: SECRET,
      GEO_STATUS_INTERVAL_SECONDS: '3600',
      GEO_STATUS_MAX_EVENT_LAG_SECONDS: '60',
      GEO_STATUS_SYNC_MAX_STALL_SECONDS: '1',
      GEO_STATUS_EVENT_CONSUMER_MAX_SILENCE_SECONDS: '1',
    }),
    logger,
    { eventStream: stream.name },
  );
  for (const c of secondary.components ?? []) {
    await c.start();
    started.push(c);
  }
});

afterAll(async () => {
  for (const c of started.splice(0).reverse()) await c.stop();
  primaryClient?.close();
  await primaryServer?.shutdown();
  await catalogueServer?.shutdown();
  await jsm?.streams.delete(stream.name).catch(() => undefined);
  await nc?.close();
  await pgPrimary?.end();
  await pgSecondary?.end();
  await primaryDb?.drop();
  await secondaryDb?.drop();
});

/** GitLab `calc_percentage`: count / total × 100, 0 when the total is 0. */
const pct = (n: number, total: number): number => (total === 0 ? 0 : (n / total) * 100);

function symbols(status: NodeStatus): ReplicableStatus {
  const r = status.replicables[NAME];
  if (r === undefined) throw new Error(`no ${NAME} in the status`);
  return r;
}

/** The secondary's §8.1 fields as independent SQL counts. */
async function secondaryExpected(): Promise<ReplicableStatus> {
  const q = (where: string) => count(pgSecondary, `SELECT count(*) AS n FROM ${REGISTRY} WHERE ${where}`);
  const registry = await q('true');
  const synced = await q('state = 2');
  const verified = await q('state = 2 AND verification_state = 2');
  return {
    count: registry,
    checksumTotalCount: null,
    checksummedCount: null,
    checksumFailedCount: null,
    registryCount: registry,
    syncedCount: synced,
    failedCount: await q('state = 3'),
    verifiedCount: verified,
    verificationFailedCount: await q('state = 2 AND verification_state = 3'),
    verificationTotalCount: await q('state = 2 AND verification_state <> 4'),
    syncedInPercentage: pct(synced, registry),
    verifiedInPercentage: pct(verified, registry),
  };
}

/** The primary's §8.1 fields as independent SQL counts. */
async function primaryExpected(): Promise<ReplicableStatus> {
  const states = (where: string) =>
    count(pgPrimary, `SELECT count(*) AS n FROM ${MODEL} m JOIN ${STATES} s ON s.packages_nuget_symbol_id = m.id WHERE ${where}`);
  return {
    count: await count(pgPrimary, `SELECT count(*) AS n FROM ${MODEL}`),
    checksumTotalCount: await states('true'),
    checksummedCount: await states('s.verification_state = 2'),
    checksumFailedCount: await states('s.verification_state = 3'),
    registryCount: null,
    syncedCount: null,
    failedCount: null,
    verifiedCount: null,
    verificationFailedCount: null,
    verificationTotalCount: null,
    syncedInPercentage: 0,
    verifiedInPercentage: 0,
  };
}

function expectCounts(actual: ReplicableStatus, expected: ReplicableStatus): void {
  const { syncedInPercentage, verifiedInPercentage, ...counters } = expected;
  const { syncedInPercentage: actualSynced, verifiedInPercentage: actualVerified, ...actualCounters } = actual;
  expect(actualCounters).toEqual(counters);
  expect(actualSynced).toBeCloseTo(syncedInPercentage, 10);
  expect(actualVerified).toBeCloseTo(verifiedInPercentage, 10);
}

describe('GeoNodeStatus counts equal independent SQL counts', () => {
  it('empty tables: every count 0, percentages 0', async () => {
    const s = await secondary.service.refresh();
    expectCounts(symbols(s), await secondaryExpected());
    expect(symbols(s)).toMatchObject({ registryCount: 0, syncedInPercentage: 0, verifiedInPercentage: 0 });
    const p = await primary.service.refresh();
    expectCounts(symbols(p), await primaryExpected());
    expect(symbols(p).count).toBe(0);
  });

  it('secondary: registries in every (sync state × verification state) combination', async () => {
    let id = 0;
    for (let state = 0; state <= 3; state += 1) {
      for (let verification = 0; verification <= 4; verification += 1) {
        // 1..4 rows per combination, different per combination, so no two fields can agree by accident.
        const rows = ((state * 5 + verification) % 4) + 1;
        for (let i = 0; i < rows; i += 1) {
          id += 1;
          await pgSecondary.query(`INSERT INTO ${REGISTRY} (packages_nuget_symbol_id, created_at, state, verification_state) VALUES ($1, now(), $2, $3)`, [
            id,
            state,
            verification,
          ]);
        }
      }
    }
    const status = await secondary.service.refresh();
    const expected = await secondaryExpected();
    expect(expected.registryCount).toBe(id);
    expectCounts(symbols(status), expected);
    expect(status.lastSuccessfulStatusCheckAt).toEqual(status.updatedAt);

    // Rows move (a sync, a verification, a deletion) and the counts follow.
    await pgSecondary.query(`UPDATE ${REGISTRY} SET state = 2, verification_state = 2 WHERE packages_nuget_symbol_id IN (1, 2, 3)`);
    await pgSecondary.query(`DELETE FROM ${REGISTRY} WHERE packages_nuget_symbol_id IN (10, 11)`);
    expectCounts(symbols(await secondary.service.refresh()), await secondaryExpected());
  });

  it('primary: model rows with state rows in every verification state, and some without a state row', async () => {
    const modelIds: number[] = [];
    for (let i = 1; i <= 23; i += 1) {
      modelIds.push(
        await insertId(
          pgPrimary,
          `INSERT INTO ${MODEL} (created_at, updated_at, size, file, file_path, signature, object_storage_key) VALUES (now(), now(), 10, $1, $1, $2, $3)`,
          [`f${i}.pdb`, `SIG${i}`, `status-test/${i}.pdb`],
        ),
      );
    }
    // 20 state rows over the five verification states (2, 5, 3, 6, 4 rows), 3 records without one.
    const perState = [2, 5, 3, 6, 4];
    let next = 0;
    for (let verification = 0; verification < perState.length; verification += 1) {
      for (let i = 0; i < perState[verification]!; i += 1) {
        await pgPrimary.query(`INSERT INTO ${STATES} (packages_nuget_symbol_id, verification_state) VALUES ($1, $2)`, [modelIds[next], verification]);
        next += 1;
      }
    }
    const expected = await primaryExpected();
    expect(expected).toMatchObject({ count: 23, checksumTotalCount: 20, checksummedCount: 3, checksumFailedCount: 6 });
    expectCounts(symbols(await primary.service.refresh()), expected);
  });
});

describe('event stream lag, last event and log cursor (secondary)', () => {
  const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

  async function publishEvent(id: number, createdAt: Date): Promise<void> {
    const body = { id, replicable_name: NAME, event_name: 'created', payload: { model_record_id: id }, created_at: createdAt.toISOString() };
    await publish(jetstream(nc), `${stream.subjectPrefix}.${NAME}.created`, new TextEncoder().encode(JSON.stringify(body)), { msgId: String(id) });
  }

  it('lag is the age of the oldest unapplied event, 0 once all are applied; above the limit it is unhealthy', async () => {
    const [t1, t2, t3] = [ago(100), ago(50), ago(10)];
    await publishEvent(1, t1);
    await publishEvent(2, t2);
    await publishEvent(3, t3);

    // No durable consumer yet (the event-log never ran): the last event is known, the lag is not.
    let status = await secondary.service.refresh();
    expect(status.lastEvent).toEqual({ eventId: 3, createdAt: t3 });
    expect(status.eventLagSeconds).toBeNull();

    const durable = eventConsumerDurable(secondarySiteName);
    await ensureConsumer(jsm, stream.name, pullConsumer({ durable, startAt: 'all', maxAckPending: 50 }));
    status = await secondary.service.refresh();
    expect(status.eventLagSeconds).toBeGreaterThanOrEqual(100);
    expect(status.eventLagSeconds).toBeLessThan(105);
    expect(status.health.issues.map((i) => i.code)).toContain('event_lag_high');
    expect(status.health.health).toMatch(/Event lag is 1 minute: the oldest event not applied yet is older than 1 minute/);

    // The consumer applies the first event: the second is now the oldest unapplied one.
    const consumer = await jetstream(nc).consumers.get(stream.name, durable);
    const first = await consumer.next({ expires: 2000 });
    first?.ack();
    await waitFor(async () => ((await secondary.service.refresh()).eventLagSeconds ?? 0) < 100, 'the lag to follow the ack');
    status = await secondary.service.refresh();
    expect(status.eventLagSeconds).toBeGreaterThanOrEqual(50);
    expect(status.eventLagSeconds).toBeLessThan(55);

    const rest = await consumer.fetch({ max_messages: 2, expires: 2000 });
    for await (const m of rest) m.ack();
    await waitFor(async () => (await secondary.service.refresh()).eventLagSeconds === 0, 'the lag to reach 0');
    expect((await secondary.service.refresh()).health.issues.map((i) => i.code)).not.toContain('event_lag_high');
  });

  it('reports the stored log cursor', async () => {
    const at = new Date('2026-11-25T10:00:00.123Z');
    await pgSecondary.query('INSERT INTO geo_event_log_states (event_id, event_created_at) VALUES (3, $1)', [at]);
    expect((await secondary.service.refresh()).cursorLastEvent).toEqual({ eventId: 3, createdAt: at });
  });
});

describe('health rules over real rows (secondary)', () => {
  it('event consumer silent: a heartbeat 10 minutes old is named; a fresh one clears it', async () => {
    await pgSecondary.query(`INSERT INTO geo_event_log_heartbeats (consumer_name, last_read_at) VALUES ($1, now() - interval '10 minutes')`, [eventConsumerDurable(secondarySiteName)]);
    // The consumer is judged once the stream has existed for a full limit (1 s here).
    await secondary.service.refresh();
    await new Promise((r) => setTimeout(r, 1100));
    let status = await secondary.service.refresh();
    const silent = status.health.issues.find((i) => i.code === 'event_consumer_silent');
    expect(silent?.message).toMatch(/^Event consumer has not read the primary's event stream for 10 minutes/);
    await pgSecondary.query(`UPDATE geo_event_log_heartbeats SET last_read_at = now()`);
    status = await secondary.service.refresh();
    expect(status.health.issues.map((i) => i.code)).not.toContain('event_consumer_silent');
  });

  it('sync stalled: pending rows and no new synced row for longer than the limit; a sync clears it', async () => {
    await secondary.service.refresh();
    await new Promise((r) => setTimeout(r, 1500));
    let status = await secondary.service.refresh();
    expect(status.health.issues.map((i) => i.code)).toContain('sync_stalled');
    await pgSecondary.query(`UPDATE ${REGISTRY} SET state = 2 WHERE id = (SELECT min(id) FROM ${REGISTRY} WHERE state = 0)`);
    status = await secondary.service.refresh();
    expect(status.health.issues.map((i) => i.code)).not.toContain('sync_stalled');
  });
});

describe('ReportStatus', () => {
  const storedRow = async () =>
    (await pgPrimary.query<{ updated_at: Date; status: Record<string, unknown> }>('SELECT updated_at, status FROM geo_node_statuses WHERE geo_node_id = $1', [secondaryId])).rows;

  it('stores a secondary\'s push under its geo_sites id and serves it back (GetStatus, ListStatuses)', async () => {
    // The secondary's loop pushed once at start; push the current status explicitly too.
    const pusher = new StatusPusher({ target: `http://127.0.0.1:${primaryServer.port}`, accessKey, secretAccessKey: SECRET, logger: recordingLogger() });
    const own = await secondary.service.refresh();
    try {
      expect(await pusher.push(own)).toBe(true);
    } finally {
      pusher.close();
    }
    expect(own.geoNodeId).toBe(secondaryId); // learnt from DescribeCatalog
    const rows = await storedRow();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status['packages_nuget_symbols_registry_count']).toBe(symbols(own).registryCount);

    const got = await unary(primaryClient.getStatus.bind(primaryClient), { geoNodeId: secondaryId });
    expect(got.status).toMatchObject({ geoNodeId: secondaryId, name: secondarySiteName, cursorLastEventId: 3 });
    expect(got.status?.replicables[NAME]?.registryCount).toBe(symbols(own).registryCount);
    expect(got.status?.healthIssues.map((i) => i.code)).toEqual(own.health.issues.map((i) => i.code));

    const list = await unary(primaryClient.listStatuses.bind(primaryClient), {});
    expect(list.statuses.map((s) => s.geoNodeId)).toEqual([primaryId, secondaryId].sort((a, b) => a - b));
    expect(list.statuses.find((s) => s.geoNodeId === primaryId)?.replicables[NAME]?.count).toBe(23);

    await expect(unary(primaryClient.getStatus.bind(primaryClient), { geoNodeId: 987_654 })).rejects.toMatchObject({ code: ErrorCodes.NOT_FOUND });
  });

  it.each([
    ['a wrong secret', () => geoAuthMetadata({ accessKey, secret: 'x'.repeat(40), data: REPORT_STATUS_JWT_DATA })],
    ['an unknown access key', () => geoAuthMetadata({ accessKey: 'NOBODY', secret: SECRET, data: REPORT_STATUS_JWT_DATA })],
    ['a token bound to another call', () => geoAuthMetadata({ accessKey, secret: SECRET, data: { replicable_name: NAME, replicable_id: 1 } })],
  ])('refuses %s with UNAUTHENTICATED and stores nothing', async (_label, metadata) => {
    const before = await storedRow();
    const own = await secondary.service.current();
    await expect(
      unary(primaryClient.reportStatus.bind(primaryClient), { status: { ...toProtoNodeStatus(own), replicables: {} } }, { metadata: metadata(), deadlineMs: 5000 }),
    ).rejects.toMatchObject({ code: ErrorCodes.UNAUTHENTICATED });
    expect(await storedRow()).toEqual(before);
  });

  it('a failed push is counted and remembered (the primary_unreachable signal)', async () => {
    const pusher = new StatusPusher({ target: `http://127.0.0.1:${primaryServer.port}`, accessKey, secretAccessKey: 'wrong'.repeat(8), logger: recordingLogger() });
    try {
      expect(await pusher.push(await secondary.service.current())).toBe(false);
      expect(pusher.failedTotal()).toBe(1);
      expect(pusher.liveness()).toMatchObject({ lastSeenAt: null, lastError: expect.stringMatching(/./) as string });
    } finally {
      pusher.close();
    }
  });

  it('a secondary does not take reports', async () => {
    // The secondary's own StatusService: served only in-process here, through a server of its own.
    const server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: secondary.grpcServices ?? [] });
    const client = createChannelClient(StatusServiceClient, `http://127.0.0.1:${server.port}`);
    try {
      await expect(unary(client.reportStatus.bind(client), { status: undefined })).rejects.toMatchObject({ message: expect.stringMatching(/answered by the primary/) as string });
      const own = await unary(client.getStatus.bind(client), {});
      expect(own.status?.geoNodeId).toBe(secondaryId);
      await expect(unary(client.getStatus.bind(client), { geoNodeId: primaryId })).rejects.toMatchObject({ code: ErrorCodes.NOT_FOUND });
    } finally {
      client.close();
      await server.shutdown();
    }
  });
});
