/**
 * `npm run bench -- status [--sizes 1000000,10000000] [--iterations 200] [--baseline-iterations 10]
 *                          [--files 10000] [--skip-alternatives] [--skip-verify]`
 *
 * Status counts at scale (issue 5, ADR 0006), in one fresh secondary tracking database:
 * 1. Synthetic registry rows are loaded with `COPY … FROM STDIN` (1 million rows per statement, so the
 *    counters' triggers see COPY as production bulk loads would), spread evenly over all 20
 *    (state, verification_state) combinations, up to each size of `--sizes`; then VACUUM ANALYZE.
 * 2. At each size: the counts equal a full `GROUP BY` (else the bench fails), then `--iterations`
 *    timed reads of `PgRegistryStatusCounts.registryCounts`, and of the per-replicable status as the
 *    status app computes it on a secondary (counts + `PgRegistryBacklogRepository.hasWork` →
 *    `secondaryReplicableStatus`); and `--baseline-iterations` timed runs of the plain
 *    `SELECT state, verification_state, count(*) … GROUP BY 1, 2`. p50 and p99 (nearest rank) each.
 * 3. At the first size, the counters' write overhead against a trigger-less copy of the table (same
 *    rows, same indexes): a 100k-row bulk UPDATE (rolled back; 5 alternating rounds, medians), the
 *    server time of single-row autocommit UPDATEs (DO loops, no fsync), and 8 client connections
 *    running autocommit single-row UPDATEs, followed by the first read, which folds what they left.
 * 4. At the last size: reads every 50 ms for 15 s while 4 connections run autocommit single-row
 *    UPDATEs; then (unless --skip-alternatives) ADR 0006's alternatives: per-field COUNT(*)s
 *    over partial indexes with index-only scans (after building the one partial index they need),
 *    and the planner-statistics estimate, before and after a bulk update.
 * 5. Secondary verification throughput against `sha256sum` (`runSecondaryVerifyBench` from
 *    tools/bench/secondary-verify.ts, `--files` blobs of 4–64 KiB) unless --skip-verify.
 * The bench database is dropped at the end. The last line printed is one JSON object:
 * {"bench":"status","p99_ms_1m","p99_ms_10m","verify_files_per_s","verify_ratio"}.
 */
import { statfsSync } from 'node:fs';
import { secondaryReplicableStatus, SyncStates, VerificationStates } from '@geo/domain';
import { createPool, migrate, PgRegistryBacklogRepository, PgRegistryStatusCounts, replicableRowCounts } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase } from '@geo/testing';
import type { Pool } from 'pg';
import { copyIn } from './lib/pg-copy-in';
import { runSecondaryVerifyBench, type SecondaryVerifyBenchResult } from './secondary-verify';

const def = packagesNugetSymbol;
const TABLE = def.registryTable;
const FK = def.modelForeignKey;
const COUNTS_TABLE = replicableRowCounts(def).registry.countsTable;
const PLAIN_TABLE = 'bench_registry_without_counters';
const COPY_STATEMENT_ROWS = 1_000_000;
const COPY_CHUNK_ROWS = 10_000;
const STATES = Object.values(SyncStates);
const VERIFICATION_STATES = Object.values(VerificationStates);
const COMBINATIONS = STATES.length * VERIFICATION_STATES.length;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const numberArg = (name: string, fallback: number): number => Number(arg(name, String(fallback)));
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const elapsedMs = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e6;

/** Nearest-rank percentile of `samples` (ms). */
function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

async function timeRuns(iterations: number, run: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(elapsedMs(started));
  }
  return samples;
}

interface Timing {
  readonly p50: number;
  readonly p99: number;
  readonly n: number;
}

function timing(samples: readonly number[]): Timing {
  return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)), n: samples.length };
}

const show = (t: Timing): string => `p50 ${t.p50} ms, p99 ${t.p99} ms (n=${t.n})`;

/**
 * Registry rows `from..to` (model ids) as COPY text, in chunks. Row i is in combination i mod 20, so
 * every (state, verification_state) pair holds 5 % of the rows; started/synced/failed rows have
 * `last_synced_at`, failed rows a `retry_at` in the future, succeeded ones `verified_at`.
 */
function* registryRows(from: number, to: number): Generator<Buffer> {
  const at = '2026-11-25 00:00:00+00';
  let lines: string[] = [];
  for (let id = from; id <= to; id++) {
    const combination = id % COMBINATIONS;
    const state = STATES[combination % STATES.length]!;
    const verification = VERIFICATION_STATES[Math.floor(combination / STATES.length)]!;
    const synced = state === SyncStates.pending ? '\\N' : at;
    const retryAt = state === SyncStates.failed ? '2099-01-01 00:00:00+00' : '\\N';
    const verifiedAt = verification === VerificationStates.verification_succeeded ? at : '\\N';
    lines.push(`${id}\t${at}\t${synced}\t${retryAt}\t${verifiedAt}\t${state}\t${verification}\n`);
    if (lines.length === COPY_CHUNK_ROWS) {
      yield Buffer.from(lines.join(''));
      lines = [];
    }
  }
  if (lines.length > 0) yield Buffer.from(lines.join(''));
}

/** Loads model ids `from..to` with one COPY statement per million rows; returns rows/s. */
async function load(pool: Pool, from: number, to: number): Promise<number> {
  const started = process.hrtime.bigint();
  const client = await pool.connect();
  try {
    for (let start = from; start <= to; start += COPY_STATEMENT_ROWS) {
      const end = Math.min(to, start + COPY_STATEMENT_ROWS - 1);
      const rows = await copyIn(
        client,
        `COPY ${TABLE} (${FK}, created_at, last_synced_at, retry_at, verified_at, state, verification_state) FROM STDIN`,
        registryRows(start, end),
      );
      if (rows !== end - start + 1) throw new Error(`COPY loaded ${rows} rows, expected ${end - start + 1}`);
    }
  } finally {
    client.release();
  }
  return (to - from + 1) / (elapsedMs(started) / 1000);
}

const GROUP_BY_SQL = `SELECT state, verification_state, count(*) AS n FROM ${TABLE} GROUP BY 1, 2`;

/** The counters must equal a full GROUP BY; a bench of wrong counts would be worthless. */
async function assertExact(pool: Pool, counts: PgRegistryStatusCounts): Promise<void> {
  const truth = (await pool.query<{ state: number; verification_state: number; n: string }>(GROUP_BY_SQL)).rows
    .map((r) => `${r.state}/${r.verification_state}=${r.n}`)
    .sort();
  const read = (await counts.registryGroups(def)).map((g) => `${SyncStates[g.state]}/${VerificationStates[g.verificationState]}=${g.count}`).sort();
  if (JSON.stringify(truth) !== JSON.stringify(read)) throw new Error(`counters differ from GROUP BY:\n  counters ${read.join(' ')}\n  GROUP BY ${truth.join(' ')}`);
}

interface SizeResult {
  readonly rows: number;
  readonly counts: Timing;
  readonly status: Timing;
  readonly groupBy: Timing;
}

/** The counts table's size and dead rows (what a read scans besides the live deltas). */
async function countsTableState(pool: Pool): Promise<string> {
  const r = await pool.query<{ size: string; dead: string }>(
    `SELECT pg_size_pretty(pg_relation_size($1)) AS size, n_dead_tup AS dead FROM pg_stat_user_tables WHERE relid = $1::regclass`,
    [COUNTS_TABLE],
  );
  return `${r.rows[0]?.size ?? '?'}, ${r.rows[0]?.dead ?? '?'} dead rows`;
}

/**
 * Times the reads at the current size. With `vacuumLikeAutovacuum` (this server runs with
 * autovacuum off), the counts table left bloated by earlier write tests is first read as it is, then
 * vacuumed as autovacuum would have done within its naptime, before the timings that count.
 */
async function measureSize(pool: Pool, rows: number, iterations: number, baselineIterations: number, vacuumLikeAutovacuum: boolean): Promise<SizeResult> {
  const counts = new PgRegistryStatusCounts(pool);
  const backlog = new PgRegistryBacklogRepository(pool, def);
  await assertExact(pool, counts);
  const readCounts = () => counts.registryCounts(def);
  const label = `${(rows / 1e6).toString()}M rows`;
  if (vacuumLikeAutovacuum) {
    const state = await countsTableState(pool);
    const unvacuumed = timing(await timeRuns(50, readCounts));
    await pool.query(`VACUUM ${COUNTS_TABLE}`);
    console.log(`${label}: registryCounts before vacuuming the counts table (${state}): ${show(unvacuumed)}; now vacuumed, as autovacuum would`);
  }
  // What the status app computes per type on a secondary (apps/status StatusComputer.secondaryPart).
  const readStatus = async () => {
    const [c] = await Promise.all([counts.registryCounts(def), backlog.hasWork()]);
    return secondaryReplicableStatus(c);
  };
  const readGroupBy = () => pool.query(GROUP_BY_SQL);
  await timeRuns(5, readCounts);
  await timeRuns(5, readStatus);
  await timeRuns(1, readGroupBy);
  const result = {
    rows,
    counts: timing(await timeRuns(iterations, readCounts)),
    status: timing(await timeRuns(iterations, readStatus)),
    groupBy: timing(await timeRuns(baselineIterations, readGroupBy)),
  };
  console.log(`${label}: registryCounts ${show(result.counts)}`);
  console.log(`${label}: per-replicable status (counts + hasWork) ${show(result.status)}`);
  console.log(`${label}: baseline GROUP BY ${show(result.groupBy)} → ${round(result.groupBy.p50 / result.counts.p50, 0)}× the counters' p50`);
  return result;
}

/** The write tests touch rows up to this id, so the first size must hold at least this many rows. */
const WRITE_TEST_MIN_ROWS = 600_000;

/**
 * The counters' cost to writers, against a copy of the table without them (same rows and indexes):
 * a 100k-row bulk UPDATE rolled back (5 alternating rounds), the server time of single-row autocommit
 * UPDATEs (DO loops, 5 alternating rounds), then 8 connections × 250 autocommit single-row UPDATEs
 * (3 alternating rounds), and the first counts read after them (it folds what they left).
 */
async function measureWriteOverhead(pool: Pool): Promise<void> {
  const started = process.hrtime.bigint();
  await pool.query(`CREATE TABLE ${PLAIN_TABLE} (LIKE ${TABLE} INCLUDING ALL)`);
  await pool.query(`INSERT INTO ${PLAIN_TABLE} SELECT * FROM ${TABLE}`);
  await pool.query(`VACUUM ANALYZE ${PLAIN_TABLE}`);
  console.log(`write overhead: trigger-less copy of the registry made in ${round(elapsedMs(started) / 1000, 1)} s`);

  const bulk = async (table: string): Promise<number> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const t = process.hrtime.bigint();
      const r = await client.query(`UPDATE ${table} SET state = 2, verification_state = 0, last_synced_at = now() WHERE id BETWEEN 200001 AND 300000`);
      const ms = elapsedMs(t);
      if (r.rowCount !== 100_000) throw new Error(`bulk update touched ${r.rowCount} rows`);
      await client.query('ROLLBACK');
      return ms;
    } finally {
      client.release();
    }
  };
  const withCounters: number[] = [];
  const without: number[] = [];
  for (let pass = 0; pass < 5; pass++) {
    withCounters.push(await bulk(TABLE));
    without.push(await bulk(PLAIN_TABLE));
  }
  const bulkWith = median(withCounters);
  const bulkWithout = median(without);
  console.log(
    `write overhead: UPDATE of 100k rows (state change, rolled back), median of 5: ${round(bulkWith, 0)} ms with counters, ${round(bulkWithout, 0)} ms without (${round((bulkWith / bulkWithout - 1) * 100, 0)} %)`,
  );

  // Server-side cost per write statement, without client or fsync noise: DO blocks of 5000 single-row
  // UPDATEs, each its own transaction (COMMIT in the loop, synchronous_commit off), every one moving
  // its row to another group.
  const perStatement = async (table: string, pass: number): Promise<number> => {
    const client = await pool.connect();
    try {
      await client.query('SET synchronous_commit = off');
      const t = process.hrtime.bigint();
      await client.query(
        `DO $$ BEGIN FOR i IN 1..5000 LOOP UPDATE ${table} SET state = (i + ${pass}) % 4, last_synced_at = now() WHERE id = 500000 + i * 7; COMMIT; END LOOP; END $$`,
      );
      const us = (elapsedMs(t) * 1000) / 5000;
      await client.query('RESET synchronous_commit');
      return us;
    } finally {
      client.release();
    }
  };
  const stmtWith: number[] = [];
  const stmtWithout: number[] = [];
  for (let pass = 0; pass < 5; pass++) {
    stmtWith.push(await perStatement(TABLE, pass));
    stmtWithout.push(await perStatement(PLAIN_TABLE, pass));
  }
  console.log(
    `write overhead: server time per single-row UPDATE + COMMIT (no fsync), median of 5 × 5000: ${round(median(stmtWith), 1)} µs with counters, ${round(median(stmtWithout), 1)} µs without (+${round(median(stmtWith) - median(stmtWithout), 1)} µs)`,
  );

  const deltasBefore = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${COUNTS_TABLE}`)).rows[0]!.n);
  const small = async (table: string, pass: number): Promise<number> => {
    const connections = 8;
    const perConnection = 250;
    const t = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: connections }, async (_, c) => {
        const client = await pool.connect();
        try {
          for (let i = 0; i < perConnection; i++) {
            // Disjoint rows per connection, moving between groups like scheduler claims and worker results.
            const id = 400_001 + c * perConnection + i;
            await client.query(`UPDATE ${table} SET state = $1, last_synced_at = now() WHERE id = $2`, [((i + pass) % 3) + 1, id]);
          }
        } finally {
          client.release();
        }
      }),
    );
    return (connections * perConnection) / (elapsedMs(t) / 1000);
  };
  const smallWithRuns: number[] = [];
  const smallWithoutRuns: number[] = [];
  for (let pass = 0; pass < 3; pass++) {
    smallWithRuns.push(await small(TABLE, pass));
    smallWithoutRuns.push(await small(PLAIN_TABLE, pass));
  }
  const smallWith = median(smallWithRuns);
  const smallWithout = median(smallWithoutRuns);
  const deltasAfter = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${COUNTS_TABLE}`)).rows[0]!.n);
  const foldStarted = process.hrtime.bigint();
  await new PgRegistryStatusCounts(pool).registryCounts(def);
  const foldMs = elapsedMs(foldStarted);
  console.log(
    `write overhead: 8 connections × 250 autocommit single-row UPDATEs, median of 3: ${round(smallWith, 0)} statements/s with counters, ${round(smallWithout, 0)} without (${round((smallWith / smallWithout - 1) * 100, 0)} %); ` +
      `the counts table held ${deltasBefore} rows before, ${deltasAfter} after (writers fold too), and the next read folded them in ${round(foldMs, 1)} ms`,
  );
  await pool.query(`DROP TABLE ${PLAIN_TABLE}`);
}

/**
 * Reads while replication-like writes run: 4 connections of autocommit single-row UPDATEs moving rows
 * between groups (claims, results) for `seconds`, while the counts are read every 50 ms. Shows that
 * the deltas a read must fold stay bounded (writers fold too).
 */
async function measureUnderWrites(pool: Pool, rows: number, seconds: number): Promise<Timing> {
  const counts = new PgRegistryStatusCounts(pool);
  const deadline = Date.now() + seconds * 1000;
  let writes = 0;
  const writers = Array.from({ length: 4 }, async (_, w) => {
    const client = await pool.connect();
    try {
      for (let i = 0; Date.now() < deadline; i++) {
        const id = 1 + ((w * 2_500_000 + i * 7919) % rows);
        await client.query(`UPDATE ${TABLE} SET state = $1, verification_state = $2, last_synced_at = now() WHERE id = $3`, [i % 4, (i >> 2) % 5, id]);
        writes++;
      }
    } finally {
      client.release();
    }
  });
  const samples: number[] = [];
  while (Date.now() < deadline) {
    const started = process.hrtime.bigint();
    await counts.registryCounts(def);
    samples.push(elapsedMs(started));
    await new Promise((r) => setTimeout(r, 50));
  }
  await Promise.all(writers);
  const result = timing(samples);
  console.log(`${rows / 1e6}M rows, during ${round(writes / seconds, 0)} single-row UPDATEs/s from 4 connections: registryCounts ${show(result)}`);
  return result;
}

/** ADR 0006's alternatives at the current size: index-only per-field counts, and statistics estimates. */
async function measureAlternatives(pool: Pool, rows: number): Promise<void> {
  // GitLab counts each field with its own COUNT(*). The registry's seed indexes serve registry, synced
  // and failed counts (index on state); the verification fields need this partial index.
  let started = process.hrtime.bigint();
  await pool.query(`CREATE INDEX bench_registry_synced_verification_state ON ${TABLE} (verification_state) WHERE state = 2`);
  await pool.query(`VACUUM ANALYZE ${TABLE}`);
  console.log(`alternative: building the partial index (verification_state) WHERE state = 2 took ${round(elapsedMs(started) / 1000, 1)} s (+ VACUUM for the visibility map)`);
  const perField = [
    `SELECT count(*) FROM ${TABLE}`,
    `SELECT count(*) FROM ${TABLE} WHERE state = 2`,
    `SELECT count(*) FROM ${TABLE} WHERE state = 3`,
    `SELECT count(*) FROM ${TABLE} WHERE state = 2 AND verification_state = 2`,
    `SELECT count(*) FROM ${TABLE} WHERE state = 2 AND verification_state = 3`,
    `SELECT count(*) FROM ${TABLE} WHERE state = 2 AND verification_state <> 4`,
  ];
  const plans = await Promise.all(perField.map(async (sql) => (await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join(' ')));
  const indexOnly = plans.filter((p) => p.includes('Index Only Scan')).length;
  const samples = await timeRuns(5, async () => {
    for (const sql of perField) await pool.query(sql);
  });
  console.log(`alternative: six per-field COUNT(*)s at ${rows / 1e6}M rows (${indexOnly}/6 planned as index-only scans): ${show(timing(samples))}`);
  await pool.query('DROP INDEX bench_registry_synced_verification_state');

  // Planner statistics: instant, but only as fresh as the last ANALYZE.
  const estimate = async () => {
    started = process.hrtime.bigint();
    const r = await pool.query<{ total: number; synced: number }>(
      `SELECT c.reltuples::float8 AS total,
              c.reltuples * COALESCE((SELECT f FROM pg_stats s, unnest(s.most_common_vals::text::int[], s.most_common_freqs) AS m(v, f)
                                      WHERE s.tablename = $1 AND s.attname = 'state' AND m.v = 2), 0)::float8 AS synced
       FROM pg_class c WHERE c.relname = $1`,
      [TABLE],
    );
    const ms = elapsedMs(started);
    const truth = (await pool.query<{ synced: string }>(`SELECT count(*) FILTER (WHERE state = 2) AS synced FROM ${TABLE}`)).rows[0]!;
    return { ms, total: r.rows[0]!.total, synced: r.rows[0]!.synced, syncedTruth: Number(truth.synced) };
  };
  const fresh = await estimate();
  const client = await pool.connect();
  try {
    // A large resync-like change that autovacuum has not analysed yet (rolled back afterwards).
    await client.query('BEGIN');
    await client.query(`UPDATE ${TABLE} SET state = 2 WHERE state = 0 AND id <= $1`, [Math.floor(rows / 2)]);
    const staleTruth = Number((await client.query<{ n: string }>(`SELECT count(*) FILTER (WHERE state = 2) AS n FROM ${TABLE}`)).rows[0]!.n);
    const stale = (await client.query<{ synced: number }>(
      `SELECT c.reltuples * COALESCE((SELECT f FROM pg_stats s, unnest(s.most_common_vals::text::int[], s.most_common_freqs) AS m(v, f)
                                      WHERE s.tablename = $1 AND s.attname = 'state' AND m.v = 2), 0)::float8 AS synced
       FROM pg_class c WHERE c.relname = $1`,
      [TABLE],
    )).rows[0]!.synced;
    await client.query('ROLLBACK');
    const pct = (estimateValue: number, truth: number) => round(((estimateValue - truth) / truth) * 100, 1);
    console.log(
      `alternative: statistics estimate in ${round(fresh.ms, 2)} ms: synced ≈ ${Math.round(fresh.synced)} vs ${fresh.syncedTruth} right after ANALYZE (${pct(fresh.synced, fresh.syncedTruth)} %); ` +
        `after resyncing ${Math.floor(rows / 8)} rows without a new ANALYZE ≈ ${Math.round(stale)} vs ${staleTruth} (${pct(stale, staleTruth)} %)`,
    );
  } finally {
    client.release();
  }
}

/** Secondary verification throughput (tools/bench/secondary-verify.ts, another part of issue 5). */
async function secondaryVerify(files: number): Promise<SecondaryVerifyBenchResult> {
  const result = await runSecondaryVerifyBench({ files });
  console.log(
    `verify: ${result.files} blobs, median of 3: ${round(result.seconds, 2)} s → ${round(result.files_per_s, 0)} files/s, sha256sum ${round(result.sha256sum_files_per_s, 0)} files/s, ratio ${round(result.ratio, 3)} (target ≥ 0.8)`,
  );
  return result;
}

/** Free space where PostgreSQL keeps its data (the bench needs about 5 GB at 10M rows). */
async function reportDisk(pool: Pool): Promise<void> {
  const dir = (await pool.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
  try {
    const fs = statfsSync(dir);
    const freeGb = (fs.bavail * fs.bsize) / 1e9;
    console.log(`disk: ${round(freeGb, 1)} GB free under ${dir}`);
    if (freeGb < 10) throw new Error(`only ${round(freeGb, 1)} GB free under ${dir}; the 10M-row bench needs about 5 GB`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
    console.log(`disk: cannot stat ${dir} (${(error as Error).message}); not checked`);
  }
}

async function main(): Promise<void> {
  const sizes = arg('sizes', '1000000,10000000').split(',').map(Number);
  if (!sizes.every((n, i) => Number.isSafeInteger(n) && n > (sizes[i - 1] ?? 0)) || sizes[0]! < WRITE_TEST_MIN_ROWS) {
    throw new Error(`--sizes must be increasing integers, the first at least ${WRITE_TEST_MIN_ROWS}`);
  }
  const iterations = numberArg('iterations', 200);
  const baselineIterations = numberArg('baseline-iterations', 10);
  const files = numberArg('files', 10_000);
  const benchStarted = process.hrtime.bigint();
  const db = await createTestDatabase('geo_bench_status');
  const pool = createPool({ databaseUrl: db.url, max: 10, applicationName: 'geo-bench-status' });
  const results: SizeResult[] = [];
  try {
    await reportDisk(pool);
    await migrate({ role: 'secondary', databaseUrl: db.url });
    // Production runs autovacuum (the counts table depends on it, ADR 0006); CI servers may not.
    const autovacuumOff = (await pool.query<{ autovacuum: string }>('SHOW autovacuum')).rows[0]?.autovacuum === 'off';
    if (autovacuumOff) console.log('note: this PostgreSQL runs with autovacuum = off; the bench vacuums the counts table where autovacuum would');
    let loaded = 0;
    for (const [index, size] of sizes.entries()) {
      const rate = await load(pool, loaded + 1, size);
      const vacuumStarted = process.hrtime.bigint();
      await pool.query(`VACUUM ANALYZE ${TABLE}`);
      const sizeOnDisk = (await pool.query<{ s: string }>(`SELECT pg_size_pretty(pg_total_relation_size($1)) AS s`, [TABLE])).rows[0]!.s;
      console.log(
        `load: ${size - loaded} rows with COPY (${COPY_STATEMENT_ROWS} per statement, counters on) at ${round(rate, 0)} rows/s; ` +
          `VACUUM ANALYZE ${round(elapsedMs(vacuumStarted) / 1000, 1)} s; registry now ${size} rows, ${sizeOnDisk} with indexes`,
      );
      loaded = size;
      results.push(await measureSize(pool, size, iterations, baselineIterations, autovacuumOff));
      if (index === 0) await measureWriteOverhead(pool);
    }
    await measureUnderWrites(pool, loaded, 15);
    console.log(`counts table after the writes: ${await countsTableState(pool)}`);
    await assertExact(pool, new PgRegistryStatusCounts(pool));
    if (!flag('skip-alternatives')) await measureAlternatives(pool, loaded);
    await assertExact(pool, new PgRegistryStatusCounts(pool));
  } finally {
    await pool.end();
    await db.drop();
  }
  const verify = flag('skip-verify') ? undefined : await secondaryVerify(files);
  console.log(`status bench: ${round(elapsedMs(benchStarted) / 1000, 0)} s in all`);
  const p99At = (rows: number) => results.find((r) => r.rows === rows)?.counts.p99 ?? null;
  console.log(
    JSON.stringify({
      bench: 'status',
      p99_ms_1m: p99At(1_000_000),
      p99_ms_10m: p99At(10_000_000),
      verify_files_per_s: verify === undefined ? null : round(verify.files_per_s, 1),
      verify_ratio: verify === undefined ? null : round(verify.ratio, 3),
    }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
