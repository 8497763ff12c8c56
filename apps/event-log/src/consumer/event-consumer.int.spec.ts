import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { UnavailableError } from '@geo/domain';
import { ensureStream, geoEventsStream, NatsLink, publish } from '@geo/nats';
import { createPool, migrate, PgRegistryRepository, PgReplicableRecordRepository } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import { FsBlobStore } from '@geo/storage';
import { createTestDatabase, privateNatsServer, recordingLogger, testServiceUrls, type PrivateNatsServer, type TestDatabase, uniqueName, waitFor } from '@geo/testing';
import { toOutgoingGeoEvent } from '../relay/geo-event-message';
import { EventApplier } from './event-applier';
import { EventConsumer, eventConsumerName } from './event-consumer';
import { PgEventStore } from './pg-event-store';
import type { EventStore } from './ports';
import { FakeCatalogue, record } from './test-fakes';

const NAME = packagesNugetSymbol.name;
const UPLOADER = packagesNugetSymbol.gitlab.uploaderClass;
const SHA = 'cd'.repeat(32);
const FAST_RETRY = { initialMs: 50, maxMs: 200 } as const;

// Waits below allow up to 15 s, so a failure names what it waited for instead of a bare jest timeout.
jest.setTimeout(20_000);

let nc: NatsConnection;
let jsm: JetStreamManager;
let js: JetStreamClient;
let db: TestDatabase;
let pool: Pool;
let blobRoot: string;
let blobs: FsBlobStore;
let stream: { readonly name: string; readonly subjectPrefix: string };
let siteName: string;
let lastSeq: number;
const running: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  nc = await connect({ servers: testServiceUrls().natsUrl });
  jsm = await jetstreamManager(nc);
  js = jetstream(nc);
});

afterAll(async () => {
  await nc?.close();
});

beforeEach(async () => {
  db = await createTestDatabase('geo_event_log_consumer');
  await migrate({ role: 'secondary', databaseUrl: db.url });
  pool = createPool({ databaseUrl: db.url, max: 4 });
  const name = uniqueName('T_EVENTS_IN').toUpperCase();
  stream = { name, subjectPrefix: `test.${name.toLowerCase()}` };
  await ensureStream(jsm, geoEventsStream(stream));
  siteName = uniqueName('site');
  lastSeq = 0;
  blobRoot = await mkdtemp(join(tmpdir(), 'geo-event-consumer-'));
  blobs = new FsBlobStore({ root: blobRoot });
});

afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  await jsm.streams.delete(stream.name).catch(() => undefined);
  await pool?.end();
  await db?.drop();
  await rm(blobRoot, { recursive: true, force: true });
});

/** Publishes an event exactly as the primary's relay does (subject, Nats-Msg-Id, JSON body). */
async function publishEvent(id: number, eventName: string, payload: Record<string, unknown>): Promise<void> {
  const out = toOutgoingGeoEvent(
    { id, replicableName: NAME, eventName, payload, createdAt: new Date(Date.UTC(2026, 10, 25, 12, 0, 0, id)) },
    stream.subjectPrefix,
  );
  lastSeq = (await publish(js, out.subject, out.data, { msgId: out.msgId })).seq;
}

async function publishRaw(body: string): Promise<void> {
  lastSeq = (await publish(js, `${stream.subjectPrefix}.${NAME}.created`, body)).seq;
}

const created = (id: number, modelRecordId: number) => publishEvent(id, 'created', { model_record_id: modelRecordId, correlation_id: `c${id}` });
const deleted = (id: number, modelRecordId: number, blobPath: string) =>
  publishEvent(id, 'deleted', { model_record_id: modelRecordId, blob_path: blobPath, uploader_class: UPLOADER });
const checksumSucceeded = (id: number, modelRecordId: number) => publishEvent(id, 'checksum_succeeded', { model_record_id: modelRecordId });

/** A secondary's consumer as the app wires it, with short delays; started. */
async function startConsumer(
  catalogue: FakeCatalogue,
  options: { readonly store?: EventStore; readonly natsUrl?: string; readonly fetchExpiresMs?: number; readonly startAt?: 'all' | 'new' } = {},
) {
  const logger = recordingLogger();
  const servers = options.natsUrl ?? testServiceUrls().natsUrl;
  const link = new NatsLink({ servers, name: 'geo-event-log@test-secondary', logger, retryDelay: FAST_RETRY, reconnectTimeWaitMs: 50 });
  await link.start();
  running.push(link);
  const store = options.store ?? new PgEventStore({ pool });
  let nudges = 0;
  const applier = new EventApplier({ replicables: [packagesNugetSymbol], catalogue, store, blobs, logger, nudge: () => (nudges += 1) });
  const consumer = new EventConsumer({
    siteName,
    link,
    applier,
    store,
    logger,
    stream: stream.name,
    fetchExpiresMs: options.fetchExpiresMs ?? 1000,
    retryDelay: FAST_RETRY,
    // The tests publish their events before the consumer's first start.
    startAt: options.startAt ?? 'all',
  });
  await consumer.start();
  running.push(consumer);
  return { consumer, link, logger, nudges: () => nudges };
}

/** Until the server has every published message acked (or termed) and nothing outstanding. */
async function allSettled(): Promise<void> {
  await waitFor(
    async () => {
      const info = await jsm.consumers.info(stream.name, eventConsumerName(siteName)).catch(() => undefined);
      return info !== undefined && info.num_pending === 0 && info.num_ack_pending === 0 && info.ack_floor.stream_seq >= lastSeq;
    },
    `every message up to seq ${lastSeq} settled`,
    15_000,
  );
}

interface RegistryRow {
  id: string;
  state: number;
  verification_state: number;
  verification_failure: string | null;
  verification_retry_count: number;
  verification_retry_at: Date | null;
  checksum_mismatch: boolean;
}

async function registries(): Promise<RegistryRow[]> {
  const { rows } = await pool.query<RegistryRow>(
    `SELECT packages_nuget_symbol_id AS id, state, verification_state, verification_failure, verification_retry_count,
            verification_retry_at, checksum_mismatch
     FROM packages_nuget_symbol_registry ORDER BY packages_nuget_symbol_id`,
  );
  return rows;
}

async function records(): Promise<{ id: string; blob_key: string; checksum: string | null }[]> {
  const { rows } = await pool.query<{ id: string; blob_key: string; checksum: string | null }>(
    `SELECT model_record_id AS id, blob_key, encode(primary_checksum, 'hex') AS checksum FROM geo_replicable_records ORDER BY model_record_id`,
  );
  return rows;
}

async function cursorRows(): Promise<{ event_id: string; event_created_at: Date | null }[]> {
  return (await pool.query<{ event_id: string; event_created_at: Date | null }>('SELECT event_id, event_created_at FROM geo_event_log_states')).rows;
}

async function blobKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of blobs.list('')) keys.push(key);
  return keys.sort();
}

/** Tracks a record as the sweep would: pending registry + record row, and its blob in the store. */
async function track(id: number): Promise<void> {
  await new PgRegistryRepository(pool, packagesNugetSymbol).insertPending([id]);
  await new PgReplicableRecordRepository(pool).upsert([record(id)]);
  await blobs.put(record(id).blobKey, Buffer.from(`blob ${id}`));
}

describe('event-log consumer against PostgreSQL and JetStream', () => {
  it('created: in scope → pending registry + record and a nudge; out of scope → nothing; the cursor and status follow', async () => {
    const catalogue = new FakeCatalogue().add(record(1), record(3));
    await created(101, 1);
    await created(102, 2); // out of scope: the catalogue does not return it
    await created(103, 3);
    const { consumer, nudges } = await startConsumer(catalogue);
    await allSettled();

    expect((await registries()).map((r) => [r.id, r.state])).toEqual([
      ['1', 0],
      ['3', 0],
    ]);
    expect(await records()).toEqual([
      { id: '1', blob_key: 'symbols/1/file.pdb', checksum: null },
      { id: '3', blob_key: 'symbols/3/file.pdb', checksum: null },
    ]);
    expect(await cursorRows()).toEqual([{ event_id: '103', event_created_at: new Date(Date.UTC(2026, 10, 25, 12, 0, 0, 103)) }]);
    expect(nudges()).toBeGreaterThanOrEqual(1);
    expect(catalogue.lookups.flatMap((l) => l.ids).sort()).toEqual([1, 2, 3]);
    expect(consumer.status()).toEqual({
      lastEventId: 103,
      lastEventAt: new Date(Date.UTC(2026, 10, 25, 12, 0, 0, 103)),
      lastAppliedAt: expect.any(Date),
      connected: true,
    });
  });

  it('deleted: rows and blob go, also for a registry out of scope (no record row: the payload path is used)', async () => {
    await track(1);
    await track(2);
    await new PgRegistryRepository(pool, packagesNugetSymbol).insertPending([7]); // out of scope: registry only
    await blobs.put('symbols/7/file.pdb', Buffer.from('orphan 7'));
    await deleted(201, 1, 'symbols/1/file.pdb');
    await deleted(202, 7, 'symbols/7/file.pdb');
    await deleted(203, 8, '../../outside/the/store'); // hostile path, nothing tracked: nothing happens

    await startConsumer(new FakeCatalogue());
    await allSettled();
    expect((await registries()).map((r) => r.id)).toEqual(['2']);
    expect((await records()).map((r) => r.id)).toEqual(['2']);
    expect(await blobKeys()).toEqual(['symbols/2/file.pdb']);
    expect((await cursorRows())[0]?.event_id).toBe('203');
  });

  it('replaying every message from the start changes nothing', async () => {
    const catalogue = new FakeCatalogue().add(record(1), record(2, { primaryChecksum: SHA, primaryVerificationState: 'verification_succeeded' }));
    await track(3);
    await created(1, 1);
    await created(2, 2);
    await checksumSucceeded(3, 2);
    await deleted(4, 3, 'symbols/3/file.pdb');
    const first = await startConsumer(catalogue);
    await allSettled();
    const snapshot = { registries: await registries(), records: await records(), cursor: await cursorRows(), blobs: await blobKeys() };
    expect(snapshot.registries.map((r) => r.id)).toEqual(['1', '2']);

    // Same site, consumer recreated: the stream hands every event over again.
    await first.consumer.stop();
    await jsm.consumers.delete(stream.name, eventConsumerName(siteName));
    await startConsumer(catalogue);
    await allSettled();
    expect({ registries: await registries(), records: await records(), cursor: await cursorRows(), blobs: await blobKeys() }).toEqual(snapshot);
  });

  it('checksum_succeeded: an existing registry becomes verification_pending (GitLab semantics per from-state), the record gets the checksum', async () => {
    await track(1);
    await track(2);
    // 1: verification failed twice (retry fields kept, only the text cleared); 2: succeeded with a mismatch record (all cleared).
    await pool.query(`UPDATE packages_nuget_symbol_registry SET state = 2, verification_state = 3, verification_failure = 'Checksum does not match',
      verification_retry_count = 2, verification_retry_at = '2030-01-01T00:00:00Z', checksum_mismatch = true WHERE packages_nuget_symbol_id = 1`);
    await pool.query(`UPDATE packages_nuget_symbol_registry SET state = 2, verification_state = 2, verification_retry_count = 1,
      checksum_mismatch = true WHERE packages_nuget_symbol_id = 2`);
    const catalogue = new FakeCatalogue().add(record(1, { primaryChecksum: SHA, primaryVerificationState: 'verification_succeeded' }));
    await checksumSucceeded(301, 1);
    await checksumSucceeded(302, 2);
    await checksumSucceeded(303, 9); // no registry: nothing

    await startConsumer(catalogue);
    await allSettled();
    expect(await registries()).toEqual([
      { id: '1', state: 2, verification_state: 0, verification_failure: null, verification_retry_count: 2, verification_retry_at: new Date('2030-01-01T00:00:00Z'), checksum_mismatch: true },
      { id: '2', state: 2, verification_state: 0, verification_failure: null, verification_retry_count: 0, verification_retry_at: null, checksum_mismatch: false },
    ]);
    expect((await records()).map((r) => [r.id, r.checksum])).toEqual([
      ['1', SHA],
      ['2', null],
    ]);
  });

  it('acks only after the commit: failed commits leave nothing behind and the messages come back until applied', async () => {
    const pgStore = new PgEventStore({ pool });
    const observedAfterFailure: number[] = [];
    let attempts = 0;
    // Does every write of the batch, then fails the commit (like a connection lost at COMMIT): twice.
    const flakyStore: EventStore = {
      readCursor: () => pgStore.readCursor(),
      async transaction(work) {
        attempts += 1;
        if (attempts > 2) return pgStore.transaction(work);
        try {
          return await pgStore.transaction(async (writes) => {
            await work(writes);
            throw new UnavailableError('PostgreSQL unavailable: injected commit failure');
          });
        } finally {
          observedAfterFailure.push((await registries()).length + (await records()).length + (await cursorRows()).length);
        }
      },
    };
    await track(5);
    await created(401, 1);
    await deleted(402, 5, 'symbols/5/file.pdb');
    const { logger } = await startConsumer(new FakeCatalogue().add(record(1)), { store: flakyStore });
    await allSettled();

    expect(attempts).toBeGreaterThanOrEqual(3);
    // After each failed attempt: only the seeded registry + record of 5, no row of 1, no cursor.
    expect(observedAfterFailure.slice(0, 2)).toEqual([2, 2]);
    expect(logger.lines.filter((l) => l.message === 'event-log consumer: cannot apply events now; batch will be redelivered')).toHaveLength(2);
    expect((await registries()).map((r) => r.id)).toEqual(['1']);
    expect(await blobKeys()).toEqual([]);
    expect((await cursorRows())[0]?.event_id).toBe('402');
    const info = await jsm.consumers.info(stream.name, eventConsumerName(siteName));
    expect(info.delivered.consumer_seq).toBeGreaterThan(info.delivered.stream_seq); // redelivered
  });

  it('terminates only the event that cannot be applied and the unreadable message; the others are applied', async () => {
    // Record 2's catalogue entry carries a checksum that is not hex: storing it fails, not retryably.
    const catalogue = new FakeCatalogue().add(record(1), record(2, { primaryChecksum: 'zz' }), record(3));
    await created(501, 1);
    await created(502, 2);
    await publishRaw('{"this is": "not a geo event"}');
    await created(503, 3);
    const { logger } = await startConsumer(catalogue);
    await allSettled();

    expect((await registries()).map((r) => r.id)).toEqual(['1', '3']);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'event-log consumer: event cannot be applied; message terminated' }));
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'event-log consumer: unreadable event rejected' }));
    expect((await cursorRows())[0]?.event_id).toBe('503');
  });

  it('status after a restart comes from the stored cursor', async () => {
    await created(601, 1);
    const first = await startConsumer(new FakeCatalogue());
    await allSettled();
    await first.consumer.stop();

    const second = await startConsumer(new FakeCatalogue());
    await waitFor(() => second.consumer.status().lastEventId === 601, 'the cursor loaded');
    expect(second.consumer.status()).toEqual({
      lastEventId: 601,
      lastEventAt: new Date(Date.UTC(2026, 10, 25, 12, 0, 0, 601)),
      lastAppliedAt: null,
      connected: true,
    });
  });

  it('a new site starts with the events published after its durable exists (GitLab: max(id)); a restarted one resumes where it stopped', async () => {
    await created(701, 1); // before the site existed: the sweep's job, not the consumer's
    const catalogue = new FakeCatalogue().add(record(1), record(2), record(3));
    const first = await startConsumer(catalogue, { startAt: 'new' });
    await waitFor(() => first.consumer.status().connected, 'the consumer connected');
    await waitFor(async () => (await jsm.consumers.info(stream.name, eventConsumerName(siteName)).catch(() => undefined)) !== undefined, 'the durable created');
    await created(702, 2);
    await allSettled();
    expect((await registries()).map((r) => r.id)).toEqual(['2']);
    // Stopped as the app stops (consumer, then its connection): a pull request left open on a live
    // connection could take the next message and hold it until the ack wait.
    await first.consumer.stop();
    await first.link.stop();
    // The server learns of the closed connection asynchronously; a message published before it did
    // could still go to the dead pull request and wait out the ack wait (seen under load).
    await waitFor(async () => (await jsm.consumers.info(stream.name, eventConsumerName(siteName))).num_waiting === 0, 'the old pull request gone');

    await created(703, 3); // while the site is down: applied after the restart
    await startConsumer(catalogue, { startAt: 'new' });
    await allSettled();
    expect((await registries()).map((r) => r.id)).toEqual(['2', '3']);
  });
});

describe('event-log consumer across a NATS outage (private nats-server)', () => {
  let nats: PrivateNatsServer;

  beforeAll(async () => {
    nats = await privateNatsServer();
    await nats.start();
  });

  afterAll(async () => {
    await nats?.dispose();
  });

  /** Publishes on a short-lived connection of its own (the server goes away in between). */
  async function publishTo(url: string, ids: readonly number[]): Promise<void> {
    const conn = await connect({ servers: url, reconnect: false });
    try {
      const privateJs = jetstream(conn);
      await ensureStream(await jetstreamManager(conn), geoEventsStream(stream));
      for (const id of ids) {
        const out = toOutgoingGeoEvent({ id, replicableName: NAME, eventName: 'created', payload: { model_record_id: id }, createdAt: new Date() }, stream.subjectPrefix);
        await publish(privateJs, out.subject, out.data, { msgId: out.msgId });
      }
    } finally {
      await conn.close();
    }
  }

  it('keeps consuming after the primary NATS restarts, and stops promptly while a long pull waits', async () => {
    const catalogue = new FakeCatalogue().add(record(1), record(2), record(3));
    await publishTo(nats.url, [1]);
    const { consumer } = await startConsumer(catalogue, { natsUrl: nats.url, fetchExpiresMs: 30_000 });
    await waitFor(async () => (await registries()).length === 1, 'the first event applied');
    // What the heartbeat records (ADR 0007): reading while pulling from a connected stream, not during the outage.
    await waitFor(() => consumer.isReading(), 'the consumer reading the stream');

    await nats.stop();
    await waitFor(() => !consumer.status().connected, 'the link noticing the outage');
    expect(consumer.isReading()).toBe(false);
    await nats.start();
    await waitFor(() => consumer.status().connected, 'the link reconnected', 10_000);
    await publishTo(nats.url, [2, 3]);
    await waitFor(async () => (await registries()).length === 3, 'the events published after the restart applied', 15_000);
    expect(consumer.status().lastEventId).toBe(3);
    await waitFor(() => consumer.isReading(), 'the consumer reading again after the restart');

    // Idle in a 30 s pull: stopping must not wait for it to expire.
    const stopping = Date.now();
    await consumer.stop();
    expect(Date.now() - stopping).toBeLessThan(1000);
    expect(consumer.isReading()).toBe(false);
  }, 30_000);
});
