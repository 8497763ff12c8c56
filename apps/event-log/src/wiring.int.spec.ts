import { credentials, type ServiceError } from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ErrorCodes } from '@geo/domain';
import { loadConfig, type AppConfig } from '@geo/config';
import { startGrpcServer, type GrpcServerHandle } from '@geo/grpc';
import { GEO_EVENTS_STREAM } from '@geo/nats';
import { createPool, EventOutboxRepository, migrate, withTransaction } from '@geo/pg';
import { EventLogServiceClient, type GetCursorResponse, type GetLastEventResponse } from '@geo/proto';
import { createLogger, type Component } from '@geo/service-kit';
import { createTestDatabase, privateNatsServer, recordingLogger, type PrivateNatsServer, type TestDatabase, waitFor } from '@geo/testing';
import { build, buildPrimary } from './wiring';

let nats: PrivateNatsServer;
const databases: TestDatabase[] = [];

beforeAll(async () => {
  nats = await privateNatsServer();
  await nats.start();
});

afterAll(async () => {
  await nats?.dispose();
  for (const db of databases) await db.drop();
});

async function database(migrated: boolean): Promise<TestDatabase> {
  const db = await createTestDatabase('geo_event_log_wiring');
  databases.push(db);
  if (migrated) await migrate({ role: 'primary', databaseUrl: db.url });
  return db;
}

function config(role: 'primary' | 'secondary', databaseUrl: string): AppConfig {
  return loadConfig('event-log', {
    GEO_ROLE: role,
    GEO_SITE_NAME: `test-${role}`,
    DATABASE_URL: databaseUrl,
    NATS_URL: nats.url,
    BLOB_STORE_ROOT: '/nonexistent/blobs',
    ...(role === 'secondary'
      ? { GEO_PRIMARY_GRPC_URL: 'http://127.0.0.1:1', GEO_PRIMARY_NATS_URL: nats.url, GEO_ACCESS_KEY: 'key', GEO_SECRET_ACCESS_KEY: 'secret' }
      : {}),
  });
}

function unary<Res>(call: (callback: (error: ServiceError | null, response: Res) => void) => void): Promise<Res> {
  return new Promise((resolve, reject) => call((error, response) => (error ? reject(error) : resolve(response))));
}

describe('event-log primary wiring', () => {
  const started: Component[] = [];
  let server: GrpcServerHandle | undefined;
  let client: EventLogServiceClient | undefined;

  afterEach(async () => {
    client?.close();
    await server?.shutdown(100);
    for (const component of started.splice(0).reverse()) await component.stop();
  });

  it('relays the outbox into GEO_EVENTS and serves GetLastEvent and GetCursor over gRPC', async () => {
    const db = await database(true);
    const parts = buildPrimary(config('primary', db.url), recordingLogger(), { pollIntervalMs: 20, retryDelay: { initialMs: 20, maxMs: 200 } });
    for (const component of parts.components ?? []) {
      await component.start();
      started.push(component);
    }
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: parts.grpcServices ?? [] });
    client = new EventLogServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    const c = client;

    const empty = await unary<GetLastEventResponse>((cb) => c.getLastEvent({}, cb));
    expect(empty).toEqual({ eventId: undefined, createdAt: undefined });

    const pool = createPool({ databaseUrl: db.url, max: 1 });
    const outbox = new EventOutboxRepository(pool);
    const events = [];
    try {
      for (const id of [1, 2]) {
        events.push(
          ...(await withTransaction(pool, (tx) =>
            outbox.insert(tx, [{ replicableName: 'packages_nuget_symbol', eventName: 'created', payload: { model_record_id: id } }]),
          )),
        );
      }
      await waitFor(async () => (await outbox.listUnrelayed({ limit: 10 })).length === 0, 'both events relayed');
    } finally {
      await pool.end();
    }
    const newest = events[1]!;
    const last = await unary<GetLastEventResponse>((cb) => c.getLastEvent({}, cb));
    expect(last.eventId).toBe(newest.id);
    // The wire timestamp carries milliseconds; PostgreSQL keeps microseconds, which Date drops too.
    expect(last.createdAt?.toISOString()).toBe(newest.createdAt.toISOString());

    // A primary has no log cursor: the answer is "none", not an error.
    expect(await unary<GetCursorResponse>((cb) => c.getCursor({}, cb))).toEqual({ eventId: undefined, createdAt: undefined });

    const nc = await connect({ servers: nats.url, reconnect: false });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(GEO_EVENTS_STREAM);
      expect(info.state.messages).toBe(2);
    } finally {
      await nc.close();
    }
  });

  it('refuses to start against a database whose migrations were not applied', async () => {
    const db = await database(false);
    const [databaseComponent] = buildPrimary(config('primary', db.url), recordingLogger()).components ?? [];
    expect(databaseComponent?.name).toBe('postgres');
    await expect(databaseComponent!.start()).rejects.toMatchObject({ code: ErrorCodes.SCHEMA_OUT_OF_DATE });
    await databaseComponent!.stop();
  });

  it('builds the log cursor on a secondary: database, both NATS links, catalogue client, consumer, heartbeat', async () => {
    const logger = createLogger({ service: 'geo-event-log', site: 'test-secondary', level: 'silent' });
    const parts = await build({ config: config('secondary', 'postgres://unused@127.0.0.1/unused'), logger });
    expect((parts.components ?? []).map((c) => c.name)).toEqual(['postgres', 'nats', 'nats', 'primary-catalog-client', 'event-log-consumer', 'event-log-heartbeat']);
    expect(parts.grpcServices ?? []).toEqual([]);
  });
});
