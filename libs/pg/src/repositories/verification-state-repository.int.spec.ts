import { applyVerificationEvent, verificationErrorEvent, verificationTimeoutValues, type VerificationFields } from '@geo/domain';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import type { Pool } from 'pg';
import { migrate } from '../migrations/runner';
import { createPool } from '../pool';
import { railsForeignKeyName } from '../schema/naming';
import { withTransaction } from '../transaction';
import { PgVerificationStateRepository, type VerificationClaim, type VerificationResult } from './verification-state-repository';

const def = packagesNugetSymbol;
const SHA_A = 'a'.repeat(64);
const SHA_B = '0123456789abcdef'.repeat(4);
const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('PgVerificationStateRepository', () => {
  let db: TestDatabase;
  let pool: Pool;
  let repo: PgVerificationStateRepository;
  let batch = 0;

  beforeAll(async () => {
    db = await createTestDatabase('geo_pg_vstates');
    await migrate({ role: 'primary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 12 });
    repo = new PgVerificationStateRepository(pool, def);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  beforeEach(async () => {
    await pool.query('TRUNCATE namespaces, projects, packages_packages, packages_nuget_symbols, packages_nuget_symbol_states, geo_events RESTART IDENTITY CASCADE');
  });

  /** Inserts `count` symbol rows (namespace → project → package → symbols); with state rows unless told not to. */
  async function insertSymbols(count: number, options: { withStates?: boolean } = {}): Promise<number[]> {
    batch += 1;
    const ns = await pool.query<{ id: string }>(`INSERT INTO namespaces (name, path) VALUES ($1, $1) RETURNING id`, [`g${batch}`]);
    const project = await pool.query<{ id: string }>(`INSERT INTO projects (name, path, namespace_id) VALUES ('p', 'p', $1) RETURNING id`, [ns.rows[0]!.id]);
    const pkg = await pool.query<{ id: string }>(
      `INSERT INTO packages_packages (project_id, name, version, package_type) VALUES ($1, 'Pkg', '1.0.0', 4) RETURNING id`,
      [project.rows[0]!.id],
    );
    const symbols = await pool.query<{ id: string }>(
      `INSERT INTO packages_nuget_symbols (created_at, updated_at, package_id, project_id, size, file_store, file, file_path, signature, object_storage_key)
       SELECT now(), now(), $1, $2, 1000 + g, 1, 'f.pdb', 'f.pdb', 'sig' || $3::text || '-' || g, 'b' || $3::text || '/' || g || '.pdb' FROM generate_series(1, $4::int) g
       RETURNING id`,
      [pkg.rows[0]!.id, project.rows[0]!.id, batch, count],
    );
    const ids = symbols.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    if (options.withStates !== false) await pool.query(`INSERT INTO packages_nuget_symbol_states (packages_nuget_symbol_id) SELECT unnest($1::bigint[])`, [ids]);
    return ids;
  }

  async function setState(modelId: number, sql: string, values: unknown[] = []): Promise<void> {
    await pool.query(`UPDATE packages_nuget_symbol_states SET ${sql} WHERE packages_nuget_symbol_id = $1`, [modelId, ...values]);
  }

  async function stateOf(modelId: number) {
    const row = await repo.findByModelId(modelId);
    if (row === undefined) throw new Error(`no state row for ${modelId}`);
    return row;
  }

  const ctx = (now = new Date()) => ({ now, random: () => 0 });
  const succeed = (claim: VerificationClaim, checksum = SHA_A): VerificationResult => ({
    claim,
    next: applyVerificationEvent(claim.state, { event: 'verification_succeeded', checksum }, ctx()),
  });
  const fail = (claim: VerificationClaim, message: string): VerificationResult => ({
    claim,
    next: applyVerificationEvent(claim.state, verificationErrorEvent(message), ctx()),
  });

  describe('claimBatch', () => {
    it('claims pending rows (never verified first, then oldest verified_at), then due failed rows (NULL retry first), and marks them started', async () => {
      const [p1, p2, p3, fDue, fNull, fFuture, done, started] = await insertSymbols(8);
      await setState(p1!, `verified_at = now() - interval '1 day'`);
      await setState(p2!, `verified_at = now() - interval '2 days'`);
      // p3 never verified (NULL) → first
      await setState(fDue!, `verification_state = 3, verification_retry_at = now() - interval '1 minute', verification_retry_count = 2`);
      await setState(fNull!, `verification_state = 3, verification_retry_at = NULL`);
      await setState(fFuture!, `verification_state = 3, verification_retry_at = now() + interval '1 hour'`);
      await setState(done!, `verification_state = 2, verification_checksum = '\\x00'::bytea`);
      await setState(started!, `verification_state = 1, verification_started_at = now()`);

      const first = await repo.claimBatch(2);
      expect(first.map((c) => c.state.modelId).sort()).toEqual([p2!, p3!].sort());
      const rest = await repo.claimBatch(10);
      expect(rest.map((c) => c.state.modelId).sort((a, b) => a - b)).toEqual([p1!, fDue!, fNull!].sort((a, b) => a - b));
      expect(await repo.claimBatch(10)).toEqual([]);

      const claimed = rest.find((c) => c.state.modelId === fDue)!;
      expect(claimed.state).toMatchObject({ verificationState: 'verification_started', verificationRetryCount: 2 });
      // The claim token is stored at millisecond precision, so it survives the trip through a JS Date.
      const stored = await pool.query<{ exact: boolean }>(
        `SELECT verification_started_at = date_trunc('milliseconds', verification_started_at) AS exact FROM packages_nuget_symbol_states WHERE packages_nuget_symbol_id = $1`,
        [fDue],
      );
      expect(stored.rows[0]?.exact).toBe(true);
      expect(Math.abs(claimed.state.verificationStartedAt!.getTime() - Date.now())).toBeLessThan(5000);
      expect(claimed.blob).toEqual({ key: expect.stringMatching(/^b\d+\/4\.pdb$/), size: 1004, fileStore: 1 });
      expect((await stateOf(fFuture!)).verificationState).toBe('verification_failed');
      expect((await stateOf(done!)).verificationState).toBe('verification_succeeded');
    });

    it('fills a batch with due failed rows when pending rows run short', async () => {
      const ids = await insertSymbols(4);
      await setState(ids[2]!, `verification_state = 3, verification_retry_at = now() - interval '1 second'`);
      await setState(ids[3]!, `verification_state = 3, verification_retry_at = now() - interval '1 second'`);
      expect((await repo.claimBatch(3)).map((c) => c.state.modelId)).toHaveLength(3);
      expect(await repo.claimBatch(3)).toHaveLength(1);
    });

    it('never gives one row to two concurrent claimers', async () => {
      const ids = await insertSymbols(95);
      const claims = await Promise.all(Array.from({ length: 12 }, () => repo.claimBatch(10)));
      const more = await repo.claimBatch(100);
      const claimedIds = [...claims.flat(), ...more].map((c) => c.state.modelId);
      expect(claimedIds).toHaveLength(95);
      expect(new Set(claimedIds).size).toBe(95);
      expect([...claimedIds].sort((a, b) => a - b)).toEqual(ids);
    });

    it('rejects a negative limit and claims nothing with 0', async () => {
      await insertSymbols(1);
      await expect(repo.claimBatch(-1)).rejects.toMatchObject({ code: 'GEO_V0001' });
      expect(await repo.claimBatch(0)).toEqual([]);
    });
  });

  describe('recordResults', () => {
    it('writes successes and failures in one statement with the domain-computed fields', async () => {
      const [a, b] = await insertSymbols(2);
      const claims = await repo.claimBatch(10);
      const ca = claims.find((c) => c.state.modelId === a)!;
      const cb = claims.find((c) => c.state.modelId === b)!;
      const failure = fail(cb, 'File is not checksummable');
      const recorded = await repo.recordResults([succeed(ca, SHA_B), failure]);
      expect(recorded.map((r) => [r.modelId, r.verificationState])).toEqual([
        [a, 'verification_succeeded'],
        [b, 'verification_failed'],
      ]);
      expect(await stateOf(a!)).toMatchObject({ verificationState: 'verification_succeeded', verificationChecksum: SHA_B, verificationFailure: null, verificationRetryCount: 0 });
      const failed = await stateOf(b!);
      expect(failed).toMatchObject({
        verificationState: 'verification_failed',
        verificationChecksum: null,
        verificationFailure: 'Error during verification: File is not checksummable',
        verificationRetryCount: 1,
      });
      expect(failed.verificationRetryAt).toEqual(failure.next.verificationRetryAt);
      expect(failed.verifiedAt).toEqual(failure.next.verifiedAt);
    });

    it('drops a result whose row was re-marked while its checksum was calculated (reverified → stays pending)', async () => {
      const [a] = await insertSymbols(1);
      const [claim] = await repo.claimBatch(1);
      expect(await repo.reverify(a!)).toBe('verification_pending');
      expect(await repo.recordResults([succeed(claim!)])).toEqual([]);
      expect((await stateOf(a!)).verificationState).toBe('verification_pending');
    });

    it('drops a result of an older claim once the row was claimed again (only the current claim writes)', async () => {
      const [a] = await insertSymbols(1);
      const [stale] = await repo.claimBatch(1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const current = await repo.claimOne(a!);
      expect(current!.state.verificationStartedAt!.getTime()).toBeGreaterThan(stale!.state.verificationStartedAt!.getTime());
      expect(await repo.recordResults([fail(stale!, 'stale worker')])).toEqual([]);
      expect((await stateOf(a!)).verificationState).toBe('verification_started');
      expect(await repo.recordResults([succeed(current!)])).toHaveLength(1);
      expect((await stateOf(a!)).verificationChecksum).toBe(SHA_A);
    });

    it('writes inside the caller transaction (nothing when it rolls back)', async () => {
      const [a] = await insertSymbols(1);
      const [claim] = await repo.claimBatch(1);
      await expect(
        withTransaction(pool, async (tx) => {
          expect(await repo.recordResults([succeed(claim!)], tx)).toHaveLength(1);
          throw new Error('event write failed');
        }),
      ).rejects.toThrow('event write failed');
      expect((await stateOf(a!)).verificationState).toBe('verification_started');
    });

    it('refuses results that are neither succeeded nor failed', async () => {
      await insertSymbols(1);
      const [claim] = await repo.claimBatch(1);
      const pending: VerificationFields = { ...claim!.state, verificationState: 'verification_pending' };
      await expect(repo.recordResults([{ claim: claim!, next: pending }])).rejects.toMatchObject({ code: 'GEO_V0001' });
    });
  });

  describe('failTimedOut', () => {
    it('fails rows started before the cutoff with the bulk timeout values and leaves recent ones', async () => {
      const [old, recent, pending] = await insertSymbols(3);
      await setState(old!, `verification_state = 1, verification_started_at = now() - interval '9 hours', verification_retry_count = 4, verification_checksum = '\\x01'::bytea`);
      await setState(recent!, `verification_state = 1, verification_started_at = now() - interval '1 hour'`);
      const now = new Date();
      const values = verificationTimeoutValues(def.verification.timeoutSeconds, ctx(now));
      expect(await repo.failTimedOut(new Date(now.getTime() - def.verification.timeoutSeconds * 1000), values)).toBe(1);
      expect(await stateOf(old!)).toMatchObject({
        verificationState: 'verification_failed',
        verificationFailure: 'Verification timed out after 28800',
        verificationChecksum: null,
        verificationRetryCount: 1,
        verificationRetryAt: values.verificationRetryAt,
        verifiedAt: now,
      });
      expect((await stateOf(recent!)).verificationState).toBe('verification_started');
      expect((await stateOf(pending!)).verificationState).toBe('verification_pending');
    });
  });

  describe('markStaleSucceededPending', () => {
    it('re-marks succeeded rows verified before the cutoff, oldest first, up to the limit', async () => {
      const [a, b, c, fresh, failedOld] = await insertSymbols(5);
      for (const [id, days] of [
        [a, 10],
        [b, 30],
        [c, 20],
        [fresh, 1],
      ] as const) {
        await setState(id!, `verification_state = 2, verification_checksum = '\\xaa'::bytea, verified_at = now() - make_interval(days => $2)`, [days]);
      }
      await setState(failedOld!, `verification_state = 3, verified_at = now() - interval '30 days', verification_failure = 'x'`);
      const cutoff = new Date(Date.now() - 7 * DAY);
      expect(await repo.markStaleSucceededPending(cutoff, 2)).toBe(2);
      expect((await stateOf(b!)).verificationState).toBe('verification_pending');
      expect((await stateOf(c!)).verificationState).toBe('verification_pending');
      expect((await stateOf(a!)).verificationState).toBe('verification_succeeded');
      expect(await repo.markStaleSucceededPending(cutoff, 1000)).toBe(1);
      expect((await stateOf(a!)).verificationState).toBe('verification_pending');
      expect((await stateOf(fresh!)).verificationState).toBe('verification_succeeded');
      expect((await stateOf(failedOld!)).verificationState).toBe('verification_failed');
      // The checksum stays until the next success overwrites it (GitLab keeps it too).
      expect((await stateOf(a!)).verificationChecksum).toBe('aa');
    });
  });

  describe('backfillRange', () => {
    it('inserts missing state rows as pending, range by range, and reports the end of the table', async () => {
      const ids = await insertSymbols(5, { withStates: false });
      const step1 = await repo.backfillRange(0, 3);
      expect(step1).toEqual({ lastModelId: ids[2], inserted: 3, deleted: 0 });
      const step2 = await repo.backfillRange(step1.lastModelId!, 3);
      expect(step2).toEqual({ lastModelId: ids[4], inserted: 2, deleted: 0 });
      expect(await repo.backfillRange(step2.lastModelId!, 3)).toEqual({ lastModelId: null, inserted: 0, deleted: 0 });
      for (const id of ids) expect((await stateOf(id)).verificationState).toBe('verification_pending');
      // A second pass finds nothing to do.
      expect(await repo.backfillRange(0, 10)).toEqual({ lastModelId: ids[4], inserted: 0, deleted: 0 });
    });

    it('deletes state rows whose model row is gone, inside the range and past the last model row', async () => {
      // Without the cascading foreign key, orphans can exist: the backfill must remove them itself.
      await pool.query(`ALTER TABLE packages_nuget_symbol_states DROP CONSTRAINT ${railsForeignKeyName(def.stateTable, def.modelForeignKey)}`);
      try {
        const ids = await insertSymbols(4);
        await pool.query('DELETE FROM packages_nuget_symbols WHERE id = ANY($1::bigint[])', [[ids[1], ids[3]]]);
        expect(await repo.backfillRange(0, 1)).toEqual({ lastModelId: ids[0], inserted: 0, deleted: 0 });
        // Range (ids[0], ids[2]] holds the orphan ids[1].
        expect(await repo.backfillRange(ids[0]!, 1)).toEqual({ lastModelId: ids[2], inserted: 0, deleted: 1 });
        // No model row after ids[2]: the tail orphan ids[3] goes.
        expect(await repo.backfillRange(ids[2]!, 1)).toEqual({ lastModelId: null, inserted: 0, deleted: 1 });
        expect(await repo.getChecksums(ids)).toHaveLength(2);
      } finally {
        await pool.query('DELETE FROM packages_nuget_symbol_states WHERE packages_nuget_symbol_id NOT IN (SELECT id FROM packages_nuget_symbols)');
        await pool.query(
          `ALTER TABLE packages_nuget_symbol_states ADD CONSTRAINT ${railsForeignKeyName(def.stateTable, def.modelForeignKey)}
           FOREIGN KEY (packages_nuget_symbol_id) REFERENCES packages_nuget_symbols(id) ON DELETE CASCADE`,
        );
      }
    });
  });

  describe('needsVerificationCount', () => {
    it('counts pending and due failed rows, up to the limit', async () => {
      const [, , fDue, fFuture, done] = await insertSymbols(5);
      await setState(fDue!, `verification_state = 3, verification_retry_at = now() - interval '1 second'`);
      await setState(fFuture!, `verification_state = 3, verification_retry_at = now() + interval '1 hour'`);
      await setState(done!, `verification_state = 2`);
      expect(await repo.needsVerificationCount(100)).toBe(3);
      expect(await repo.needsVerificationCount(2)).toBe(2);
      expect(await repo.needsVerificationCount(0)).toBe(0);
    });
  });

  describe('getChecksums', () => {
    it('returns state, hex checksum and verified_at per known id, in id order', async () => {
      const [a, b] = await insertSymbols(2);
      const [claim] = (await repo.claimBatch(10)).filter((c) => c.state.modelId === a);
      await repo.recordResults([succeed(claim!, SHA_B)]);
      const rows = await repo.getChecksums([b!, a!, 999_999]);
      expect(rows.map((r) => r.modelId)).toEqual([a, b]);
      expect(rows[0]).toMatchObject({ verificationState: 'verification_succeeded', checksum: SHA_B });
      expect(rows[0]!.verifiedAt).toBeInstanceOf(Date);
      expect(rows[1]).toMatchObject({ modelId: b, verificationState: 'verification_started', checksum: null, verifiedAt: null });
    });
  });

  describe('claimOne', () => {
    it('claims a record in any state, creating its state row if missing; undefined for an unknown record', async () => {
      const [done] = await insertSymbols(1);
      await setState(done!, `verification_state = 2`);
      const [noState] = await insertSymbols(1, { withStates: false });
      expect((await repo.claimOne(done!))?.state.verificationState).toBe('verification_started');
      const created = await repo.claimOne(noState!);
      expect(created).toMatchObject({ state: { modelId: noState, verificationState: 'verification_started' }, blob: { size: 1001 } });
      expect(await repo.claimOne(999_999)).toBeUndefined();
    });
  });

  describe('reverify / reverifyAll', () => {
    it('reverify: from failed keeps retry count and time (progressive backoff), from succeeded clears them', async () => {
      const [failed, done, noState] = await insertSymbols(3);
      await setState(failed!, `verification_state = 3, verification_failure = 'boom', verification_retry_count = 3, verification_retry_at = now() + interval '5 minutes'`);
      await setState(done!, `verification_state = 2, verification_checksum = '\\xaa'::bytea, verification_retry_count = 0`);
      await pool.query('DELETE FROM packages_nuget_symbol_states WHERE packages_nuget_symbol_id = $1', [noState]);
      const before = await stateOf(failed!);
      expect(await repo.reverify(failed!)).toBe('verification_pending');
      // Same fields as the domain's transition from failed.
      const expected = applyVerificationEvent(before, { event: 'verification_pending' }, ctx());
      expect(await stateOf(failed!)).toEqual(expected);
      expect(await repo.reverify(done!)).toBe('verification_pending');
      expect(await stateOf(done!)).toMatchObject({ verificationState: 'verification_pending', verificationRetryCount: 0, verificationRetryAt: null, verificationFailure: null });
      expect(await repo.reverify(noState!)).toBe('verification_pending');
      expect(await repo.reverify(999_999)).toBeUndefined();
    });

    it('reverifyAll marks every non-pending row in batches, honouring id and state filters', async () => {
      const ids = await insertSymbols(2500);
      await pool.query(`UPDATE packages_nuget_symbol_states SET verification_state = 2 WHERE packages_nuget_symbol_id <= $1`, [ids[2199]]);
      await pool.query(`UPDATE packages_nuget_symbol_states SET verification_state = 3, verification_failure = 'x' WHERE packages_nuget_symbol_id > $1`, [ids[2199]]);
      expect(await repo.reverifyAll({ state: 'verification_failed', modelIds: [ids[0]!, ids[2300]!, ids[2301]!] })).toBe(2);
      expect(await repo.reverifyAll({ state: 'verification_failed' })).toBe(298);
      expect(await repo.reverifyAll({ modelIds: [ids[0]!, ids[1]!] })).toBe(2);
      expect(await repo.reverifyAll()).toBe(2198);
      expect(await repo.reverifyAll()).toBe(0);
      expect(await repo.needsVerificationCount(10_000)).toBe(2500);
    });
  });
});
