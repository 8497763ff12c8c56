import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { UnavailableError } from '@geo/domain';
import { decodeSyncJob, ensureConsumer, ensureStream, geoSyncJobsStream, pullConsumer, type JetStreamSession, type SyncJob } from '@geo/nats';
import { traceCarrier } from '@geo/otel';
import { startTracing } from '@geo/otel/sdk';
import { PgSyncTraceContextRepository } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, recordingLogger, testServiceUrls, uniqueName, waitFor } from '@geo/testing';
import { CoreNatsNudges } from './nudges';
import { JetStreamSyncJobPublisher, type SyncJobPublisher } from './sync-job-publisher';
import { SyncScheduler, type ScheduleReport, type SyncSchedulerOptions } from './sync-scheduler';
import { FakeCatalogue, TEST_SITE } from './test-support/fake-catalogue';
import { FK, secondaryDb, TABLE, type SecondaryDb } from './test-support/secondary-db';

const NAME = packagesNugetSymbol.name;

/** Publisher that records jobs (and fails while `failing` is set). */
class RecordingPublisher implements SyncJobPublisher {
  readonly jobs: SyncJob[] = [];
  failing = false;
  ready = true;
  isReady(): boolean {
    return this.ready;
  }
  async publishJob(job: SyncJob): Promise<void> {
    if (this.failing) throw new UnavailableError('queue down');
    this.jobs.push(job);
  }
}

describe('SyncScheduler (real PostgreSQL)', () => {
  let s: SecondaryDb;
  let catalogue: FakeCatalogue;

  beforeAll(async () => {
    s = await secondaryDb(await createTestDatabase('geo_registry_scheduler'));
  });

  afterAll(async () => {
    await s?.close();
  });

  beforeEach(async () => {
    await s.pool.query(`TRUNCATE ${TABLE}, geo_replicable_records, geo_sync_trace_contexts`);
    catalogue = new FakeCatalogue(NAME);
    catalogue.site = { ...TEST_SITE, filesMaxCapacity: 3 };
  });

  function scheduler(jobs: SyncJobPublisher, extra: Partial<SyncSchedulerOptions> = {}) {
    const logger = recordingLogger();
    return { scheduler: new SyncScheduler({ replicable: packagesNugetSymbol, registry: s.sweep, catalogue, jobs, logger, ...extra }), logger };
  }

  async function lastSyncedAt(modelId: number): Promise<Date | null> {
    return (await s.registry.findByModelId(modelId))?.lastSyncedAt ?? null;
  }

  describe('trace contexts kept with new rows (ADR 0009)', () => {
    const TRACE_ID = 'c0ffee'.padEnd(32, '1');
    const stored = { traceparent: `00-${TRACE_ID}-${'2'.repeat(16)}-01` };

    /** Records each job with the trace active while it was published. */
    class TracePublisher extends RecordingPublisher {
      readonly activeTraceIds: (string | undefined)[] = [];
      override async publishJob(job: SyncJob): Promise<void> {
        this.activeTraceIds.push(trace.getActiveSpan()?.spanContext().traceId);
        expect(traceCarrier()).not.toBeNull();
        await super.publishJob(job);
      }
    }

    it('while spans are exported, publishes the job of a row in the trace stored for it, and takes the context', async () => {
      const tracing = startTracing({ serviceName: 'scheduler-trace-test', exporter: new InMemorySpanExporter() });
      try {
        await s.registry.insertPending([7, 8]);
        await new PgSyncTraceContextRepository(s.pool).save(NAME, new Map([[7, stored]]));
        const jobs = new TracePublisher();
        const { scheduler: sch } = scheduler(jobs);
        expect(await sch.runOnce()).toMatchObject({ claimed: 2, published: 2 });
        const byId = new Map(jobs.jobs.map((j, i) => [j.modelRecordId, { job: j, traceId: jobs.activeTraceIds[i] }]));
        expect(byId.get(7)?.job.traceContext).toEqual(stored);
        expect(byId.get(7)?.traceId).toBe(TRACE_ID);
        // The other row's job runs in the loop's own span, a different trace.
        expect(byId.get(8)?.job.traceContext).toBeUndefined();
        expect(byId.get(8)?.traceId).not.toBe(TRACE_ID);
        expect((await s.pool.query('SELECT 1 FROM geo_sync_trace_contexts')).rowCount).toBe(0);
      } finally {
        await tracing.shutdown();
      }
    });

    it('without an exporter, leaves stored contexts alone and publishes as before', async () => {
      await s.registry.insertPending([9]);
      await new PgSyncTraceContextRepository(s.pool).save(NAME, new Map([[9, stored]]));
      const jobs = new RecordingPublisher();
      const { scheduler: sch } = scheduler(jobs);
      expect(await sch.runOnce()).toMatchObject({ claimed: 1, published: 1 });
      expect(jobs.jobs[0]?.traceContext).toBeUndefined();
      expect((await s.pool.query('SELECT 1 FROM geo_sync_trace_contexts')).rowCount).toBe(1);
    });
  });

  describe('one loop at a time (recording publisher)', () => {
    it('claims up to the site capacity, pending first then due failed rows, with the row’s last_synced_at as attempt', async () => {
      await s.registry.insertPending([1, 2]);
      await s.registry.insertPending([3, 4]);
      await s.pool.query(`UPDATE ${TABLE} SET state = 3, retry_at = now() - interval '1 minute' WHERE ${FK} = 3`);
      await s.pool.query(`UPDATE ${TABLE} SET state = 3, retry_at = now() + interval '1 hour' WHERE ${FK} = 4`);
      const jobs = new RecordingPublisher();
      const { scheduler: sch } = scheduler(jobs);

      const report = await sch.runOnce();
      expect(report).toMatchObject({ capacity: 3, inFlight: 0, claimed: 3, published: 3, publishFailures: 0 });
      expect(jobs.jobs.map((j) => j.modelRecordId).sort()).toEqual([1, 2, 3]);
      for (const job of jobs.jobs) {
        expect(job.replicableName).toBe(NAME);
        expect(job.attempt).toEqual(await lastSyncedAt(job.modelRecordId));
      }
      expect((await s.states()).get(4)).toBe(3); // not due: left alone

      expect(await sch.runOnce()).toMatchObject({ inFlight: 3, claimed: 0, published: 0 });
    });

    it('uses the default capacity of 10 while the primary cannot be asked, and logs it', async () => {
      await s.registry.insertPending(Array.from({ length: 15 }, (_, i) => i + 1));
      catalogue.failWith = new UnavailableError('primary down');
      const jobs = new RecordingPublisher();
      const { scheduler: sch, logger } = scheduler(jobs);
      expect(await sch.runOnce()).toMatchObject({ capacity: 10, claimed: 10 });
      expect(logger.lines.some((l) => l.level === 'warn' && /site settings/.test(l.message))).toBe(true);
    });

    it('shares files_max_capacity between types', async () => {
      catalogue.site = { ...TEST_SITE, filesMaxCapacity: 10 };
      await s.registry.insertPending(Array.from({ length: 15 }, (_, i) => i + 1));
      const { scheduler: sch } = scheduler(new RecordingPublisher(), { typesSharingCapacity: 3 });
      expect(await sch.runOnce()).toMatchObject({ capacity: 3, claimed: 3 });
    });

    it('claims nothing while the site is disabled or the queue is unreachable', async () => {
      await s.registry.insertPending([1]);
      const jobs = new RecordingPublisher();
      jobs.ready = false;
      const { scheduler: sch } = scheduler(jobs, { settingsRefreshMs: 1 });
      expect(await sch.runOnce()).toMatchObject({ claimed: 0, skipped: 'queue-unavailable' });
      jobs.ready = true;
      catalogue.site = { ...TEST_SITE, enabled: false };
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await sch.runOnce()).toMatchObject({ claimed: 0, skipped: 'site-disabled' });
      expect((await s.states()).get(1)).toBe(0);
    });

    it('keeps rows started when publishing fails and publishes their jobs on the next loop', async () => {
      await s.registry.insertPending([1, 2]);
      const jobs = new RecordingPublisher();
      jobs.failing = true;
      const { scheduler: sch, logger } = scheduler(jobs);
      expect(await sch.runOnce()).toMatchObject({ claimed: 2, published: 0, publishFailures: 2 });
      expect([...(await s.states()).values()]).toEqual([1, 1]);
      expect(logger.lines.some((l) => l.level === 'warn' && /not published/.test(l.message))).toBe(true);

      jobs.failing = false;
      expect(await sch.runOnce()).toMatchObject({ inFlight: 2, claimed: 0, published: 2, publishFailures: 0 });
      expect(jobs.jobs.map((j) => j.modelRecordId).sort()).toEqual([1, 2]);
      for (const job of jobs.jobs) expect(job.attempt).toEqual(await lastSyncedAt(job.modelRecordId));
    });

    it('publishes again the jobs of rows started longer than stalledAfterMs, at most once per period', async () => {
      await s.registry.insertPending([1, 2]);
      const stalledAt = new Date(Date.now() - 20 * 60_000);
      stalledAt.setMilliseconds(123);
      await s.pool.query(`UPDATE ${TABLE} SET state = 1, last_synced_at = $1 WHERE ${FK} = 1`, [stalledAt]);
      await s.pool.query(`UPDATE ${TABLE} SET state = 1, last_synced_at = now() WHERE ${FK} = 2`);
      let now = new Date();
      const jobs = new RecordingPublisher();
      const { scheduler: sch } = scheduler(jobs, { clock: () => now });

      expect(await sch.runOnce()).toMatchObject({ republished: 1, inFlight: 2, claimed: 0 });
      expect(jobs.jobs).toEqual([{ replicableName: NAME, modelRecordId: 1, attempt: stalledAt }]);
      expect(await sch.runOnce()).toMatchObject({ republished: 0 });
      now = new Date(now.getTime() + 10 * 60_000 + 1);
      const third = await sch.runOnce();
      expect(third.republished).toBe(2); // row 2 is now stalled too
    });
  });

  describe('as a component over NATS JetStream', () => {
    let nc: NatsConnection;
    let js: JetStreamClient;
    let jsm: JetStreamManager;
    const streams: string[] = [];

    beforeAll(async () => {
      nc = await connect({ servers: testServiceUrls().natsUrl });
      js = jetstream(nc);
      jsm = await jetstreamManager(nc);
    });

    afterAll(async () => {
      for (const name of streams) await jsm.streams.delete(name).catch(() => false);
      await nc?.close();
    });

    async function natsParts() {
      const stream = uniqueName('T_SYNC_JOBS').toUpperCase();
      streams.push(stream);
      const subjectPrefix = `test.${stream.toLowerCase()}`;
      await ensureStream(jsm, geoSyncJobsStream({ name: stream, subjectPrefix }));
      const session: JetStreamSession = { js, jsm, epoch: 1 };
      const logger = recordingLogger();
      const publisher = new JetStreamSyncJobPublisher({ link: { session: () => session }, logger, stream: { name: stream, subjectPrefix } });
      const nudges = new CoreNatsNudges({ connection: () => nc, logger, subject: `test.nudge.${stream.toLowerCase()}` });
      return { stream, publisher, nudges };
    }

    async function worker(stream: string) {
      await ensureConsumer(jsm, stream, pullConsumer({ durable: 'worker', ackWaitMs: 30_000 }));
      return js.consumers.get(stream, 'worker');
    }

    it('never has more than files_max_capacity rows started while workers complete jobs by attempt', async () => {
      const total = 30;
      await s.registry.insertPending(Array.from({ length: total }, (_, i) => i + 1));
      const { stream, publisher, nudges } = await natsParts();
      const reports: ScheduleReport[] = [];
      const { scheduler: sch, logger } = scheduler(publisher, { nudges, pollIntervalMs: 50, onLoop: (r) => reports.push(r) });
      await sch.start();
      const completed: number[] = [];
      let maxStarted = 0;
      try {
        const consumer = await worker(stream);
        const deadline = Date.now() + 20_000;
        while (completed.length < total && Date.now() < deadline) {
          for await (const msg of await consumer.fetch({ max_messages: 1, expires: 1000 })) {
            const job = decodeSyncJob(msg.data);
            maxStarted = Math.max(maxStarted, await s.sweep.countStarted());
            // The worker's compare-and-set: only the attempt the job carries may complete the row.
            const done = await s.pool.query(`UPDATE ${TABLE} SET state = 2 WHERE ${FK} = $1 AND state = 1 AND last_synced_at = $2`, [
              job.modelRecordId,
              job.attempt,
            ]);
            expect(done.rowCount).toBe(1);
            completed.push(job.modelRecordId);
            msg.ack();
            nudges.nudge(); // as a worker finishing frees capacity
          }
        }
      } finally {
        await sch.stop();
        nudges.close();
      }
      expect(completed.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(maxStarted).toBeLessThanOrEqual(3);
      expect(maxStarted).toBeGreaterThan(0);
      expect(reports.every((r) => (r.inFlight ?? 0) + r.claimed <= r.capacity)).toBe(true);
      expect([...(await s.states()).values()].every((state) => state === 2)).toBe(true);
      expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    });

    it('a nudge wakes the scheduler long before its poll interval', async () => {
      const { stream, publisher, nudges } = await natsParts();
      const reports: ScheduleReport[] = [];
      const { scheduler: sch } = scheduler(publisher, { nudges, pollIntervalMs: 60_000, onLoop: (r) => reports.push(r) });
      await sch.start();
      try {
        await waitFor(() => reports.length >= 1, 'the first loop');
        await s.registry.insertPending([7]);
        nudges.nudge();
        const consumer = await worker(stream);
        let job: SyncJob | undefined;
        for await (const msg of await consumer.fetch({ max_messages: 1, expires: 5000 })) {
          job = decodeSyncJob(msg.data);
          msg.ack();
        }
        expect(job?.modelRecordId).toBe(7);
        expect(job?.attempt).toEqual(await lastSyncedAt(7));
      } finally {
        const stopping = Date.now();
        await sch.stop();
        expect(Date.now() - stopping).toBeLessThan(1000);
        nudges.close();
      }
    });

    it('the JetStream publisher stores one message per attempt (Nats-Msg-Id dedupe)', async () => {
      const { stream, publisher, nudges } = await natsParts();
      nudges.close();
      const job: SyncJob = { replicableName: NAME, modelRecordId: 5, attempt: new Date('2026-03-01T00:00:00.001Z') };
      await publisher.publishJob(job);
      await publisher.publishJob(job);
      await publisher.publishJob({ ...job, attempt: new Date('2026-03-01T00:00:00.002Z') });
      expect((await jsm.streams.info(stream)).state.messages).toBe(2);
      expect(publisher.isReady()).toBe(true);
    });
  });
});
