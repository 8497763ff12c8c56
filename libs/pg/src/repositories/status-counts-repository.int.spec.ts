import { GeoError, SyncStates, VerificationStates, type RegistryCountGroup, type StateCountGroup } from '@geo/domain';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import type { MigrationBuilder } from 'node-pg-migrate';
import type { Connection, Pool, PoolClient, Submittable } from 'pg';
import { migration as rowCountsMigration } from '../migrations/replicables/20261125100002_packages-nuget-symbol-row-counts';
import type { RoleMigration } from '../migrations/role';
import { migrate } from '../migrations/runner';
import { createPool } from '../pool';
import { FOLD_EVERY_STATEMENTS, replicableRowCounts, rowCountsDdl } from '../schema/row-counts-ddl';
import { PgRegistryRepository } from './registry-repository';
import { PgPrimaryStatusCounts, PgRegistryStatusCounts } from './status-counts-repository';
import { PgVerificationStateRepository } from './verification-state-repository';

/**
 * The trigger-maintained counters (ADR 0006) against the only thing that matters: after any mix of
 * statements, committed or rolled back, concurrent or not, what the repositories read equals an
 * independent `COUNT(*) … GROUP BY` of the counted table.
 */

const def = packagesNugetSymbol;
const REGISTRY = def.registryTable;
const STATES = def.stateTable;
const MODEL = def.source.table;
const FK = def.modelForeignKey;
const COUNTERS = replicableRowCounts(def);
const STATE_VALUES = Object.values(SyncStates);
const VERIFICATION_VALUES = Object.values(VerificationStates);

/** Deterministic PRNG (mulberry32), so a failing random mix can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The methods node-postgres' Connection has for COPY but its type definitions omit. */
interface CopyInConnection {
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * `COPY … FROM STDIN` through node-postgres, which has no COPY API of its own (pg-copy-streams is not
 * a dependency): a Submittable that answers the server's CopyInResponse with the data, then CopyDone.
 */
class CopyIn implements Submittable {
  readonly done: Promise<number>;
  private resolve: (rows: number) => void = () => undefined;
  private reject: (error: Error) => void = () => undefined;
  private rows = 0;

  constructor(
    private readonly text: string,
    private readonly data: string,
  ) {
    this.done = new Promise<number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: Connection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: Connection): void {
    const copy = connection as unknown as CopyInConnection; // see CopyInConnection
    copy.sendCopyFromChunk(Buffer.from(this.data));
    copy.endCopyFrom();
  }

  handleCommandComplete(message: { text: string }): void {
    this.rows = Number(/(\d+)$/.exec(message.text)?.[1] ?? 0);
  }

  handleReadyForQuery(): void {
    this.resolve(this.rows);
  }

  handleError(error: Error): void {
    this.reject(error);
  }

  // Messages a COPY FROM never receives, dispatched by the client only for other statements.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Runs `COPY <table> (<columns>) FROM STDIN` with tab-separated `rows` on `client`. */
async function copyRows(client: PoolClient, table: string, columns: readonly string[], rows: readonly (readonly (string | number)[])[]): Promise<number> {
  const copy = new CopyIn(`COPY ${table} (${columns.join(', ')}) FROM STDIN`, rows.map((r) => `${r.join('\t')}\n`).join(''));
  client.query(copy);
  return copy.done;
}

async function withClient<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}

/**
 * Runs `step` over and over until `work` settles, and resolves with how many steps ran (rejects with
 * `work`'s or a step's error). The loop always stops, so a failing `work` cannot hang the test.
 */
async function repeatUntilDone(work: Promise<unknown>, step: () => Promise<unknown>): Promise<number> {
  let done = false;
  const settled = work.finally(() => {
    done = true;
  });
  let steps = 0;
  const loop = async () => {
    while (!done) {
      await step();
      steps++;
    }
  };
  await Promise.all([settled, loop()]);
  return steps;
}

const byGroup = (a: RegistryCountGroup, b: RegistryCountGroup) =>
  SyncStates[a.state] - SyncStates[b.state] || VerificationStates[a.verificationState] - VerificationStates[b.verificationState];

/** The registry's groups by an independent full scan. */
async function registryTruth(pool: Pool): Promise<{ state: number; verificationState: number; count: number }[]> {
  const { rows } = await pool.query<{ state: number; verification_state: number; n: string }>(
    `SELECT state, verification_state, count(*) AS n FROM ${REGISTRY} GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  return rows.map((r) => ({ state: r.state, verificationState: r.verification_state, count: Number(r.n) }));
}

/** Spec §8.1's secondary fields, each by its own definition over the registry rows. */
async function secondaryTruth(pool: Pool) {
  const { rows } = await pool.query<Record<string, string>>(
    `SELECT count(*) AS registry_count,
            count(*) FILTER (WHERE state = 2) AS synced_count,
            count(*) FILTER (WHERE state = 3) AS failed_count,
            count(*) FILTER (WHERE state = 2 AND verification_state = 2) AS verified_count,
            count(*) FILTER (WHERE state = 2 AND verification_state = 3) AS verification_failed_count,
            count(*) FILTER (WHERE state = 2 AND verification_state <> 4) AS verification_total_count
     FROM ${REGISTRY}`,
  );
  const r = rows[0]!;
  return {
    registryCount: Number(r['registry_count']),
    syncedCount: Number(r['synced_count']),
    failedCount: Number(r['failed_count']),
    verifiedCount: Number(r['verified_count']),
    verificationFailedCount: Number(r['verification_failed_count']),
    verificationTotalCount: Number(r['verification_total_count']),
  };
}

async function expectRegistryExact(pool: Pool, counts: PgRegistryStatusCounts, context = ''): Promise<void> {
  const groups = (await counts.registryGroups(def)).sort(byGroup);
  const truth = await registryTruth(pool);
  expect({ context, groups: groups.map((g) => ({ state: SyncStates[g.state], verificationState: VerificationStates[g.verificationState], count: g.count })) }).toEqual({
    context,
    groups: truth,
  });
  expect(await counts.registryCounts(def)).toEqual(await secondaryTruth(pool));
}

/** A (state, verification_state) pair drawn from all 20 with `random`. */
function randomGroup(random: () => number): [number, number] {
  return [STATE_VALUES[Math.floor(random() * STATE_VALUES.length)]!, VERIFICATION_VALUES[Math.floor(random() * VERIFICATION_VALUES.length)]!];
}

describe('PgRegistryStatusCounts (tracking database)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let counts: PgRegistryStatusCounts;
  let registry: PgRegistryRepository;

  beforeAll(async () => {
    db = await createTestDatabase('geo_pg_status_counts_sec');
    await migrate({ role: 'secondary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 12 });
    counts = new PgRegistryStatusCounts(pool);
    registry = new PgRegistryRepository(pool, def);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  beforeEach(async () => {
    await pool.query(`TRUNCATE ${REGISTRY}, geo_replicable_records RESTART IDENTITY`);
  });

  /** Inserts `ids` as rows of the given groups with one multi-row INSERT. */
  async function insertRows(ids: readonly number[], group: (id: number) => [number, number]): Promise<void> {
    const groups = ids.map(group);
    await pool.query(
      `INSERT INTO ${REGISTRY} (${FK}, created_at, state, verification_state)
       SELECT id, now(), s, v FROM unnest($1::bigint[], $2::smallint[], $3::smallint[]) AS t(id, s, v)`,
      [ids, groups.map((g) => g[0]), groups.map((g) => g[1])],
    );
  }

  it('counts every (state, verification_state) combination, each with its own size', async () => {
    let nextId = 1;
    let size = 1;
    for (const s of STATE_VALUES) {
      for (const v of VERIFICATION_VALUES) {
        const ids = Array.from({ length: size++ }, () => nextId++);
        await insertRows(ids, () => [s, v]);
      }
    }
    await expectRegistryExact(pool, counts);
    const groups = await counts.registryGroups(def);
    expect(groups).toHaveLength(20);
    expect((await counts.registryCounts(def)).registryCount).toBe((20 * 21) / 2);
  });

  it('is empty on an empty registry', async () => {
    expect(await counts.registryGroups(def)).toEqual([]);
    expect(await counts.registryCounts(def)).toEqual(await secondaryTruth(pool));
    expect((await counts.registryCounts(def)).registryCount).toBe(0);
  });

  it('stays exact through a random mix of inserts, COPY, bulk and no-op updates, deletes, CTEs, ON CONFLICT and rolled-back work', async () => {
    const seed = 20261125;
    const random = prng(seed);
    let nextId = 1;
    const randInt = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const ops: Record<string, () => Promise<void>> = {
      // The production insert path: ON CONFLICT DO NOTHING with duplicates of existing ids.
      insertPending: async () => {
        const fresh = Array.from({ length: randInt(1, 40) }, () => nextId++);
        await registry.insertPending([...fresh, ...Array.from({ length: 5 }, () => randInt(1, nextId))]);
      },
      copy: async () => {
        const rows = Array.from({ length: randInt(1, 300) }, () => [nextId++, '2030-01-01T00:00:00Z', ...randomGroup(random)]);
        await withClient(pool, (c) => copyRows(c, REGISTRY, [FK, 'created_at', 'state', 'verification_state'], rows));
      },
      bulkUpdate: async () => {
        const [s, v] = randomGroup(random);
        await pool.query(`UPDATE ${REGISTRY} SET state = $1, verification_state = $2 WHERE ${FK} % $3 = $4`, [s, v, randInt(2, 7), randInt(0, 1)]);
      },
      moveOneColumn: async () => {
        await pool.query(`UPDATE ${REGISTRY} SET verification_state = $1 WHERE state = $2`, [randomGroup(random)[1], randomGroup(random)[0]]);
      },
      // Changes no group: must add nothing to any count.
      noGroupChange: async () => {
        await pool.query(`UPDATE ${REGISTRY} SET retry_at = now(), retry_count = retry_count + 1 WHERE ${FK} % 3 = 0`);
      },
      claim: async () => {
        await registry.claimSyncBatch({ limit: randInt(1, 50) });
      },
      deleteRange: async () => {
        const from = randInt(1, nextId);
        await pool.query(`DELETE FROM ${REGISTRY} WHERE ${FK} BETWEEN $1 AND $2`, [from, from + randInt(0, 60)]);
      },
      deleteByRepo: async () => {
        await registry.deleteByModelIds(Array.from({ length: 10 }, () => randInt(1, nextId)).filter((v, i, a) => a.indexOf(v) === i));
      },
      // One statement that deletes, inserts and updates (the sweep's shape): one trigger call per kind.
      cteMix: async () => {
        const from = randInt(1, nextId);
        const [s, v] = randomGroup(random);
        await pool.query(
          `WITH gone AS (DELETE FROM ${REGISTRY} WHERE ${FK} BETWEEN $1 AND $1 + 5 RETURNING 1),
                added AS (INSERT INTO ${REGISTRY} (${FK}, created_at, state, verification_state) SELECT g, now(), $3, $4 FROM generate_series($2::bigint, $2::bigint + 9) g RETURNING 1),
                moved AS (UPDATE ${REGISTRY} SET state = $4 % 4 WHERE ${FK} BETWEEN $1 + 10 AND $1 + 30 RETURNING 1)
           SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM added), (SELECT count(*) FROM moved)`,
          [from, nextId, s, v],
        );
        nextId += 10;
      },
      upsert: async () => {
        const [s, v] = randomGroup(random);
        await pool.query(
          `INSERT INTO ${REGISTRY} (${FK}, created_at, state, verification_state) SELECT g, now(), 0, 0 FROM generate_series($1::bigint, $1::bigint + 20) g
           ON CONFLICT (${FK}) DO UPDATE SET state = $2, verification_state = $3`,
          [randInt(Math.max(1, nextId - 40), nextId), s, v],
        );
        nextId += 21;
      },
      rolledBack: async () => {
        await withClient(pool, async (c) => {
          await c.query('BEGIN');
          await c.query(`UPDATE ${REGISTRY} SET state = 2, verification_state = 2`);
          await c.query(`DELETE FROM ${REGISTRY} WHERE ${FK} % 2 = 0`);
          await copyRows(c, REGISTRY, [FK, 'created_at', 'state', 'verification_state'], [[nextId + 1_000_000, '2030-01-01T00:00:00Z', 3, 3]]);
          await c.query('ROLLBACK');
        });
      },
      savepoint: async () => {
        await withClient(pool, async (c) => {
          await c.query('BEGIN');
          await c.query(`UPDATE ${REGISTRY} SET state = 3 WHERE ${FK} % 5 = 1`);
          await c.query('SAVEPOINT sp');
          await c.query(`DELETE FROM ${REGISTRY}`);
          await c.query('ROLLBACK TO SAVEPOINT sp');
          await c.query(`INSERT INTO ${REGISTRY} (${FK}, created_at, state, verification_state) VALUES ($1, now(), 1, 4)`, [nextId++]);
          await c.query('COMMIT');
        });
      },
    };
    const names = Object.keys(ops);
    for (let step = 0; step < 120; step++) {
      const name = names[Math.floor(random() * names.length)]!;
      await ops[name]!();
      // Not after every step: deltas must also add up across many unfolded statements.
      if (step % 3 === 2) await expectRegistryExact(pool, counts, `seed ${seed}, step ${step} (${name})`);
    }
    await expectRegistryExact(pool, counts, `seed ${seed}, end`);
  });

  it('counts big statements (planned afresh) and small ones (cached plan) alike on one connection', async () => {
    await withClient(pool, async (c) => {
      // Over 1000 rows each: the trigger aggregates these with EXECUTE.
      const rows = Array.from({ length: 5000 }, (_, i) => [i + 1, '2030-01-01T00:00:00Z', i % 4, i % 5]);
      expect(await copyRows(c, REGISTRY, [FK, 'created_at', 'state', 'verification_state'], rows)).toBe(5000);
      await expectRegistryExact(pool, counts, 'after a 5000-row COPY');
      await c.query(`UPDATE ${REGISTRY} SET state = 2, verification_state = 3 WHERE ${FK} <= 3000`);
      await expectRegistryExact(pool, counts, 'after a 3000-row UPDATE');
      await c.query(`DELETE FROM ${REGISTRY} WHERE ${FK} > 3000 AND ${FK} <= 4500`);
      await expectRegistryExact(pool, counts, 'after a 1500-row DELETE');
      // Then small statements on the same connection: the cached plans.
      await c.query(`INSERT INTO ${REGISTRY} (${FK}, created_at, state, verification_state) VALUES (9001, now(), 1, 1), (9002, now(), 3, 4)`);
      await c.query(`UPDATE ${REGISTRY} SET verification_state = 2 WHERE ${FK} IN (1, 2, 9001)`);
      await c.query(`DELETE FROM ${REGISTRY} WHERE ${FK} IN (4999, 5000, 9002)`);
    });
    await expectRegistryExact(pool, counts, 'after small statements');
    expect((await counts.registryCounts(def)).registryCount).toBe(5000 - 1500 + 2 - 3);
  });

  it('keeps every read exact while concurrent transactions move rows between groups, a third of them rolled back', async () => {
    const total = 3000;
    const random = prng(7);
    await insertRows(Array.from({ length: total }, (_, i) => i + 1), () => randomGroup(random));
    const workers = 6;
    // Updates only: the total never changes, so every read, at whatever snapshot, must sum to it.
    const writers = Array.from({ length: workers }, (_, w) =>
      withClient(pool, async (c) => {
        const r = prng(100 + w);
        for (let t = 0; t < 25; t++) {
          await c.query('BEGIN');
          for (let k = 0; k < 3; k++) {
            const [s, v] = randomGroup(r);
            // Each worker owns the rows with id % workers = w: no row-lock waits between workers,
            // so any waiting would have to come from the counters.
            await c.query(`UPDATE ${REGISTRY} SET state = $1, verification_state = $2 WHERE ${FK} % $3 = $4 AND ${FK} % 7 = $5`, [s, v, workers, w, Math.floor(r() * 7)]);
          }
          await c.query(r() < 1 / 3 ? 'ROLLBACK' : 'COMMIT');
        }
      }),
    );
    const reads: number[] = [];
    await repeatUntilDone(Promise.all(writers), async () => reads.push((await counts.registryCounts(def)).registryCount));
    expect(reads.length).toBeGreaterThan(5);
    expect(new Set(reads)).toEqual(new Set([total]));
    await expectRegistryExact(pool, counts);
  });

  it('stays exact under concurrent inserts, COPY, deletes and folds from parallel readers', async () => {
    const workers = 4;
    const writers = Array.from({ length: workers }, (_, w) =>
      withClient(pool, async (c) => {
        const r = prng(200 + w);
        let next = w * 1_000_000 + 1;
        for (let t = 0; t < 20; t++) {
          await c.query('BEGIN');
          const rows = Array.from({ length: 1 + Math.floor(r() * 50) }, () => [next++, '2030-01-01T00:00:00Z', ...randomGroup(r)]);
          await copyRows(c, REGISTRY, [FK, 'created_at', 'state', 'verification_state'], rows);
          await c.query(`DELETE FROM ${REGISTRY} WHERE ${FK} BETWEEN $1 AND $2 AND ${FK} % 3 = 0`, [w * 1_000_000, next]);
          await c.query(`UPDATE ${REGISTRY} SET state = 2 WHERE ${FK} BETWEEN $1 AND $2 AND ${FK} % 3 = 1`, [w * 1_000_000, next]);
          await c.query(r() < 0.3 ? 'ROLLBACK' : 'COMMIT');
        }
      }),
    );
    // Three readers fold the same counter at once: they claim disjoint delta rows (SKIP LOCKED).
    const writing = Promise.all(writers);
    const reads = await Promise.all(Array.from({ length: 3 }, () => repeatUntilDone(writing, () => counts.registryGroups(def))));
    expect(reads.every((n) => n > 0)).toBe(true);
    await expectRegistryExact(pool, counts);
    // Quiescent: one more read leaves exactly one delta row per non-empty group.
    await counts.registryGroups(def);
    const rows = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${COUNTERS.registry.countsTable}`);
    expect(Number(rows.rows[0]!.n)).toBe((await registryTruth(pool)).length);
  });

  it('writers fold the counter now and then, so it stays small between reads', async () => {
    await insertRows(Array.from({ length: 4000 }, (_, i) => i + 1), () => [0, 0]);
    await counts.registryGroups(def);
    await withClient(pool, async (c) => {
      await c.query('SET synchronous_commit = off');
      // 16000 autocommit statements (in a DO loop, for speed), each moving one row: without folding
      // they would leave 32000 delta rows.
      await c.query(`DO $$ BEGIN FOR i IN 1..16000 LOOP UPDATE ${REGISTRY} SET state = 1 + (i % 3) WHERE ${FK} = 1 + i % 4000; COMMIT; END LOOP; END $$`);
    });
    const deltas = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${COUNTERS.registry.countsTable}`)).rows[0]!.n);
    // One statement in FOLD_EVERY_STATEMENTS (1024) folds; the chance that none of 16000 did is e^-15.6.
    expect(FOLD_EVERY_STATEMENTS).toBe(1024);
    expect(deltas).toBeLessThan(32000);
    await expectRegistryExact(pool, counts);
  });

  it('REPEATABLE READ writers never fold, so concurrent folds cannot fail them with serialization errors', async () => {
    await insertRows(Array.from({ length: 3000 }, (_, i) => i + 1), () => [0, 0]);
    const repeatableReadWriter = withClient(pool, async (c) => {
      for (let t = 0; t < 3; t++) {
        await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        for (let id = 1 + t * 500; id <= 500 + t * 500; id++) await c.query(`UPDATE ${REGISTRY} SET state = 2 WHERE ${FK} = $1`, [id]);
        await c.query('COMMIT');
      }
    });
    // Meanwhile another writer keeps committing deltas and a reader keeps folding them, so rows in
    // the REPEATABLE READ snapshot are folded away under it all the time.
    let other = 1500;
    const moveAnotherRow = (c: PoolClient) => {
      other = other === 3000 ? 1501 : other + 1;
      return c.query(`UPDATE ${REGISTRY} SET state = $1 WHERE ${FK} = $2`, [other % 2, other]);
    };
    const [folds] = await Promise.all([
      repeatUntilDone(repeatableReadWriter, () => counts.registryGroups(def)),
      withClient(pool, (c) => repeatUntilDone(repeatableReadWriter, () => moveAnotherRow(c))),
    ]);
    expect(folds).toBeGreaterThan(0);
    await expectRegistryExact(pool, counts);
    expect((await counts.registryCounts(def)).syncedCount).toBe(1500);
  });

  it('an open writer transaction blocks neither other writers nor readers, and its changes count only once committed', async () => {
    await insertRows([1, 2, 3, 4], () => [0, 0]);
    await withClient(pool, async (a) => {
      await withClient(pool, async (b) => {
        await b.query(`SET lock_timeout = '2s'`);
        await a.query('BEGIN');
        await a.query(`UPDATE ${REGISTRY} SET state = 2, verification_state = 2 WHERE ${FK} = 1`);
        // A holds its delta rows uncommitted; B's write and a folding read must not wait for it.
        await b.query(`UPDATE ${REGISTRY} SET state = 3 WHERE ${FK} = 2`);
        await b.query(`INSERT INTO ${REGISTRY} (${FK}, created_at) VALUES (5, now())`);
        const during = new PgRegistryStatusCounts(b);
        expect(await during.registryCounts(def)).toMatchObject({ registryCount: 5, syncedCount: 0, failedCount: 1, verifiedCount: 0 });
        await a.query('COMMIT');
        expect(await during.registryCounts(def)).toMatchObject({ registryCount: 5, syncedCount: 1, failedCount: 1, verifiedCount: 1 });
      });
    });
    await expectRegistryExact(pool, counts);
  });

  it('TRUNCATE empties the counts (also with other tables and RESTART IDENTITY); a rolled-back TRUNCATE keeps them', async () => {
    await insertRows([1, 2, 3], () => [2, 2]);
    await withClient(pool, async (c) => {
      await c.query('BEGIN');
      await c.query(`TRUNCATE ${REGISTRY}`);
      await c.query('ROLLBACK');
    });
    await expectRegistryExact(pool, counts);
    expect((await counts.registryCounts(def)).verifiedCount).toBe(3);

    await counts.registryGroups(def); // folded rows too must go
    await pool.query(`TRUNCATE ${REGISTRY}, geo_replicable_records RESTART IDENTITY`);
    expect(await counts.registryGroups(def)).toEqual([]);
    await insertRows([7], () => [3, 3]);
    await expectRegistryExact(pool, counts);
  });

  it('reports a corrupted counter loudly instead of returning a wrong count', async () => {
    await insertRows([1], () => [2, 2]);
    // What a write with the triggers bypassed would leave behind.
    await pool.query(`INSERT INTO ${COUNTERS.registry.countsTable} (state, verification_state, count) VALUES (3, 3, -2)`);
    const error: unknown = await counts.registryCounts(def).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GeoError);
    expect(error).toMatchObject({ code: 'GEO_X0001', details: { countsTable: COUNTERS.registry.countsTable, group: [3, 3] } });
  });

  it('the install recounts a registry that already holds rows, waits for a writer in flight, and is idempotent', async () => {
    await insertRows(Array.from({ length: 500 }, (_, i) => i + 1), (id) => [id % 4, id % 5]);
    // A database from before the counters: no counter objects, rows written without them.
    await pool.query(`DROP FUNCTION ${COUNTERS.registry.functionName}() CASCADE`);
    await pool.query(`DROP TABLE ${COUNTERS.registry.countsTable}`);
    await insertRows(Array.from({ length: 100 }, (_, i) => 1000 + i), () => [2, 4]);

    const statements = migrationStatements(rowCountsMigration, 'secondary');
    expect(statements).toEqual(rowCountsDdl(COUNTERS.registry));
    await withClient(pool, async (writer) => {
      // A writer in flight when the migration starts: the install must count its rows exactly once.
      await writer.query('BEGIN');
      await writer.query(`INSERT INTO ${REGISTRY} (${FK}, created_at, state) VALUES (5000, now(), 3)`);
      const install = runInTransaction(pool, statements);
      await new Promise((r) => setTimeout(r, 200));
      await writer.query(`UPDATE ${REGISTRY} SET state = 1 WHERE ${FK} <= 50`);
      await writer.query('COMMIT');
      await install;
    });
    await expectRegistryExact(pool, counts);
    await runInTransaction(pool, statements);
    await expectRegistryExact(pool, counts);
    expect((await counts.registryCounts(def)).registryCount).toBe(601);
  });
});

/** The SQL a RoleMigration body issues for `role`, captured from a stand-in MigrationBuilder. */
function migrationStatements(migration: RoleMigration, role: 'primary' | 'secondary'): string[] {
  const statements: string[] = [];
  const pgm = { sql: (text: string) => statements.push(text) } as unknown as MigrationBuilder; // only sql() is used
  void migration[role](pgm);
  return statements;
}

async function runInTransaction(pool: Pool, statements: readonly string[]): Promise<void> {
  await withClient(pool, async (c) => {
    await c.query('BEGIN');
    for (const s of statements) await c.query(s);
    await c.query('COMMIT');
  });
}

describe('PgPrimaryStatusCounts (main database)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let counts: PgPrimaryStatusCounts;
  let states: PgVerificationStateRepository;
  let batch = 0;

  beforeAll(async () => {
    db = await createTestDatabase('geo_pg_status_counts_pri');
    await migrate({ role: 'primary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 8 });
    counts = new PgPrimaryStatusCounts(pool);
    states = new PgVerificationStateRepository(pool, def);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  beforeEach(async () => {
    await pool.query(`TRUNCATE namespaces, projects, packages_packages, ${MODEL}, ${STATES}, geo_events RESTART IDENTITY CASCADE`);
  });

  /** A project with a package; returns their ids. */
  async function project(): Promise<{ projectId: number; packageId: number }> {
    batch += 1;
    const ns = await pool.query<{ id: string }>(`INSERT INTO namespaces (name, path) VALUES ($1, $1) RETURNING id`, [`g${batch}`]);
    const p = await pool.query<{ id: string }>(`INSERT INTO projects (name, path, namespace_id) VALUES ('p', 'p', $1) RETURNING id`, [ns.rows[0]!.id]);
    const pkg = await pool.query<{ id: string }>(`INSERT INTO packages_packages (project_id, name, version, package_type) VALUES ($1, 'Pkg', '1.0.0', 4) RETURNING id`, [p.rows[0]!.id]);
    return { projectId: Number(p.rows[0]!.id), packageId: Number(pkg.rows[0]!.id) };
  }

  /** `count` model rows of a new project, without state rows; returns their ids. */
  async function symbols(count: number, owner?: { projectId: number; packageId: number }): Promise<number[]> {
    const { projectId, packageId } = owner ?? (await project());
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO ${MODEL} (created_at, updated_at, package_id, project_id, size, file_store, file, file_path, signature, object_storage_key)
       SELECT now(), now(), $1, $2::bigint, 100, 1, 'f.pdb', 'f.pdb', 'sig-' || $2::bigint || '-' || g, 'k/' || $2::bigint || '/' || g FROM generate_series(1, $3::int) g RETURNING id`,
      [packageId, projectId, count],
    );
    return rows.map((r) => Number(r.id));
  }

  async function primaryTruth() {
    const { rows } = await pool.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM ${MODEL}) AS count,
              count(*) AS checksum_total_count,
              count(*) FILTER (WHERE verification_state = 2) AS checksummed_count,
              count(*) FILTER (WHERE verification_state = 3) AS checksum_failed_count
       FROM ${STATES}`,
    );
    const r = rows[0]!;
    return {
      count: Number(r['count']),
      checksumTotalCount: Number(r['checksum_total_count']),
      checksummedCount: Number(r['checksummed_count']),
      checksumFailedCount: Number(r['checksum_failed_count']),
    };
  }

  async function expectPrimaryExact(context = ''): Promise<void> {
    const { rows } = await pool.query<{ verification_state: number; n: string }>(`SELECT verification_state, count(*) AS n FROM ${STATES} GROUP BY 1 ORDER BY 1`);
    const groups = (await counts.stateGroups(def)).map((g: StateCountGroup) => ({ v: VerificationStates[g.verificationState], n: g.count })).sort((a, b) => a.v - b.v);
    expect({ context, groups }).toEqual({ context, groups: rows.map((r) => ({ v: r.verification_state, n: Number(r.n) })) });
    expect(await counts.primaryCounts(def)).toEqual(await primaryTruth());
  }

  it('counts model rows and state rows in every verification state', async () => {
    const ids = await symbols(75);
    // 5 states × distinct sizes 1..5 (15 state rows); the other 60 symbols have none yet.
    let i = 0;
    for (const v of VERIFICATION_VALUES) {
      for (let k = 0; k <= v; k++) await pool.query(`INSERT INTO ${STATES} (${FK}, verification_state) VALUES ($1, $2)`, [ids[i++], v]);
    }
    await expectPrimaryExact();
    expect(await counts.primaryCounts(def)).toEqual({ count: 75, checksumTotalCount: 15, checksummedCount: 3, checksumFailedCount: 4 });
  });

  it('stays exact through backfill, claims, bulk reverify, COPY, cascading deletes and rolled-back work', async () => {
    const owner = await project();
    const first = await symbols(200, owner);
    await expectPrimaryExact('symbols without state rows');
    // The backfill's INSERT … ON CONFLICT + DELETE in one statement.
    expect(await states.backfillRange(0, 1000)).toMatchObject({ inserted: 200, deleted: 0 });
    await expectPrimaryExact('after backfill');
    await states.claimBatch(30);
    await pool.query(`UPDATE ${STATES} SET verification_state = 2, verification_checksum = '\\x00' WHERE verification_state = 1`);
    await pool.query(`UPDATE ${STATES} SET verification_state = 3, verification_failure = 'x' WHERE ${FK} % 7 = 0`);
    await expectPrimaryExact('after claims and results');
    await states.reverifyAll({ state: 'verification_succeeded' });
    await expectPrimaryExact('after reverifyAll');

    await withClient(pool, async (c) => {
      const rows = Array.from({ length: 50 }, (_, k) => ['2030-01-01T00:00:00Z', '2030-01-01T00:00:00Z', owner.packageId, owner.projectId, 10, 'f.pdb', 'f.pdb', `copy-${k}`, `copy/${k}`]);
      expect(await copyRows(c, MODEL, ['created_at', 'updated_at', 'package_id', 'project_id', 'size', 'file', 'file_path', 'signature', 'object_storage_key'], rows)).toBe(50);
      await c.query('BEGIN');
      await c.query(`DELETE FROM ${MODEL}`);
      await c.query('ROLLBACK');
    });
    await expectPrimaryExact('after COPY and a rolled-back delete of everything');

    // Deleting model rows cascades to their state rows; deleting a project cascades through both.
    await pool.query(`DELETE FROM ${MODEL} WHERE id = ANY($1::bigint[])`, [first.slice(0, 40)]);
    await expectPrimaryExact('after cascading model deletes');
    const other = await symbols(30);
    await pool.query(`INSERT INTO ${STATES} (${FK}, verification_state) SELECT unnest($1::bigint[]), 2`, [other]);
    await pool.query(`DELETE FROM projects WHERE id = $1`, [owner.projectId]);
    await expectPrimaryExact('after deleting a project');
    expect(await counts.primaryCounts(def)).toEqual({ count: 30, checksumTotalCount: 30, checksummedCount: 30, checksumFailedCount: 0 });
  });

  it('TRUNCATE … CASCADE of the model table empties both counters', async () => {
    const ids = await symbols(10);
    await pool.query(`INSERT INTO ${STATES} (${FK}, verification_state) SELECT unnest($1::bigint[]), 2`, [ids]);
    await counts.primaryCounts(def);
    await pool.query(`TRUNCATE ${MODEL} CASCADE`);
    expect(await counts.primaryCounts(def)).toEqual({ count: 0, checksumTotalCount: 0, checksummedCount: 0, checksumFailedCount: 0 });
    await expectPrimaryExact();
  });

  it('the migration recounts model and state tables that already hold rows', async () => {
    const ids = await symbols(120);
    await pool.query(`INSERT INTO ${STATES} (${FK}, verification_state) SELECT id, id % 5 FROM unnest($1::bigint[]) AS id`, [ids]);
    for (const spec of [COUNTERS.model, COUNTERS.states]) {
      await pool.query(`DROP FUNCTION ${spec.functionName}() CASCADE`);
      await pool.query(`DROP TABLE ${spec.countsTable}`);
    }
    await pool.query(`DELETE FROM ${MODEL} WHERE id % 4 = 0`);
    const statements = migrationStatements(rowCountsMigration, 'primary');
    expect(statements).toEqual([...rowCountsDdl(COUNTERS.model), ...rowCountsDdl(COUNTERS.states)]);
    await runInTransaction(pool, statements);
    await expectPrimaryExact();
    expect((await counts.primaryCounts(def)).count).toBe(90);
  });
});
