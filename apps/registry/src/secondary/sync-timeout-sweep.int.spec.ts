import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, recordingLogger, waitFor } from '@geo/testing';
import { SyncTimeoutSweep } from './sync-timeout-sweep';
import { FK, secondaryDb, TABLE, type SecondaryDb } from './test-support/secondary-db';

describe('SyncTimeoutSweep (real PostgreSQL)', () => {
  let s: SecondaryDb;

  beforeAll(async () => {
    s = await secondaryDb(await createTestDatabase('geo_registry_timeouts'));
  });

  afterAll(async () => {
    await s?.close();
  });

  beforeEach(async () => {
    await s.pool.query(`TRUNCATE ${TABLE}, geo_replicable_records`);
  });

  it('fails rows started more than 8 h ago with GitLab’s text and retry fields, and nothing else', async () => {
    const now = new Date('2026-03-01T12:00:00.000Z');
    await s.registry.insertPending([1, 2, 3, 4]);
    await s.pool.query(`UPDATE ${TABLE} SET state = 1, last_synced_at = $1, retry_count = 6, last_sync_failure = 'old' WHERE ${FK} IN (1, 2)`, [
      new Date(now.getTime() - 28_801_000),
    ]);
    await s.pool.query(`UPDATE ${TABLE} SET state = 1, last_synced_at = $1 WHERE ${FK} = 3`, [new Date(now.getTime() - 28_799_000)]);
    const logger = recordingLogger();
    const sweep = new SyncTimeoutSweep({ replicable: packagesNugetSymbol, registry: s.sweep, logger, clock: () => now, random: () => 29, batchSize: 1 });

    expect(await sweep.runOnce()).toBe(2);
    for (const id of [1, 2]) {
      expect(await s.registry.findByModelId(id)).toMatchObject({
        state: 'failed',
        lastSyncFailure: 'Sync timed out after 28800',
        retryCount: 1,
        // next_retry_time(1) with the largest jitter: 1 + 15 + 29 × 2 = 74 s.
        retryAt: new Date(now.getTime() + 74_000),
      });
    }
    expect((await s.registry.findByModelId(3))?.state).toBe('started');
    expect((await s.registry.findByModelId(4))?.state).toBe('pending');
    expect(logger.lines).toEqual([{ level: 'warn', message: 'registry: syncs timed out', fields: { replicable: packagesNugetSymbol.name, timedOut: 2, timeoutSeconds: 28800 } }]);
  });

  it('runs at start as a component and stops without waiting for the 10 min interval', async () => {
    await s.registry.insertPending([1]);
    await s.pool.query(`UPDATE ${TABLE} SET state = 1, last_synced_at = now() - interval '9 hours'`);
    const sweep = new SyncTimeoutSweep({ replicable: packagesNugetSymbol, registry: s.sweep, logger: recordingLogger() });
    await sweep.start();
    try {
      await waitFor(async () => (await s.registry.findByModelId(1))?.state === 'failed', 'the timed-out row to fail');
    } finally {
      const stopping = Date.now();
      await sweep.stop();
      expect(Date.now() - stopping).toBeLessThan(1000);
    }
  });
});
