/**
 * `npx tsx tools/bench/secondary-verify.ts [--files 10000] [--runs 3]` (or `npm run bench -- secondary-verify`),
 * and `runSecondaryVerifyBench()` for other benchmark commands (`npm run bench -- status`).
 *
 * Secondary verification throughput against `sha256sum` over the same files, in one run:
 * 1. a primary database whose symbols are verified (succeeded, with their SHA-256), the secondary
 *    registered on it with credentials, and the primary's registry app as its own process (the
 *    catalogue the secondary asks, `GetReplicables` over gRPC with GL-Geo JWTs, as in production);
 * 2. a secondary database with one synced, verification-pending registry row and record row per
 *    blob, and the blobs (4–64 KiB of random bytes) in an fs store in a temp dir;
 * 3. every file is read once so both contenders start from a warm page cache;
 * 4. `sha256sum` over the file list (xargs, sequential), timed;
 * 5. the checksum app's secondary verification worker (its real wiring, default capacity, in this
 *    process) from start until every row is verified, timed; the rows are reset to pending between
 *    runs. Each contender runs `--runs` times (default 3); the medians are reported.
 * The last stdout line of the command is one JSON object (the function's result).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type AppConfig } from '@geo/config';
import { createPool, migrate } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import { FsBlobStore } from '@geo/storage';
import { createTestDatabase, testServiceUrls, type TestDatabase } from '@geo/testing';
import type { Pool } from 'pg';
import { buildSecondary } from '../../apps/checksum/src/wiring';
import { startSite, type RunningSite } from '../dev/lib/site-processes';
import { median, stderrLogger, timeSha256sum } from './lib/measure';
import { insertSymbolRows, writeRandomBlobs, type BenchBlob } from './lib/verify-fixture';

const MIN_SIZE = 4 * 1024;
const MAX_SIZE = 64 * 1024;
const REGISTRY = packagesNugetSymbol.registryTable;
const FK = packagesNugetSymbol.modelForeignKey;

export interface SecondaryVerifyBenchOptions {
  /** Blobs to verify; default 10,000. */
  readonly files?: number;
  /** Runs of each contender (the medians count); default 3. */
  readonly runs?: number;
}

export interface SecondaryVerifyBenchResult {
  readonly files: number;
  /** Median seconds the secondary worker took to verify every file. */
  readonly seconds: number;
  readonly files_per_s: number;
  /** `sha256sum` over the same files in the same run (median). */
  readonly sha256sum_files_per_s: number;
  /** sha256sum seconds / worker seconds (target ≥ 0.8). */
  readonly ratio: number;
}

/** The primary's side: verified symbols, this secondary's `geo_sites` row, and its registry app running. */
async function startPrimaryCatalogue(
  work: string,
  primaryDb: TestDatabase,
  blobs: readonly BenchBlob[],
  checksums: ReadonlyMap<string, string>,
  credentials: { accessKey: string; secret: string },
): Promise<RunningSite> {
  await migrate({ role: 'primary', databaseUrl: primaryDb.url });
  const pool = createPool({ databaseUrl: primaryDb.url, max: 2 });
  try {
    await insertSymbolRows(pool, blobs);
    // The primary has verified every symbol: succeeded state rows with the blobs' SHA-256.
    await pool.query(
      `UPDATE packages_nuget_symbol_states s SET verification_state = 2, verification_checksum = decode(v.sha, 'hex'), verified_at = now()
       FROM packages_nuget_symbols m, unnest($1::text[], $2::text[]) AS v(key, sha)
       WHERE m.id = s.packages_nuget_symbol_id AND m.object_storage_key = v.key`,
      [blobs.map((b) => b.key), blobs.map((b) => checksums.get(b.key))],
    );
    await pool.query(`INSERT INTO geo_sites (name, url, "primary", enabled) VALUES ('bench-primary', 'http://127.0.0.1:1', true, true)`);
    await pool.query(
      `INSERT INTO geo_sites (name, url, "primary", enabled, access_key, secret_access_key) VALUES ('bench-secondary', 'http://127.0.0.1:2', false, true, $1, $2)`,
      [credentials.accessKey, credentials.secret],
    );
  } finally {
    await pool.end();
  }
  return startSite({
    name: 'bench-primary',
    role: 'primary',
    databaseUrl: primaryDb.url,
    natsUrl: testServiceUrls().natsUrl,
    blobRoot: join(work, 'primary-blobs'),
    adminToken: randomBytes(16).toString('hex'),
    logDir: join(work, 'primary-logs'),
    apps: ['registry'],
    env: { LOG_LEVEL: 'warn' },
  });
}

/** The secondary's side: a synced, verification-pending registry row and a record row per blob. */
async function seedSecondary(pool: Pool, blobs: readonly BenchBlob[], primaryIds: ReadonlyMap<string, number>): Promise<void> {
  const ids = blobs.map((b) => primaryIds.get(b.key));
  await pool.query(
    `INSERT INTO ${REGISTRY} (${FK}, created_at, state, last_synced_at, verification_state)
     SELECT id, now(), 2, now(), 0 FROM unnest($1::bigint[]) AS ids(id)`,
    [ids],
  );
  await pool.query(
    `INSERT INTO geo_replicable_records (replicable_name, model_record_id, blob_key, size, created_at)
     SELECT $1, id, key, size, now() FROM unnest($2::bigint[], $3::text[], $4::bigint[]) AS r(id, key, size)`,
    [packagesNugetSymbol.name, ids, blobs.map((b) => b.key), blobs.map((b) => b.size)],
  );
}

/** Starts the app's secondary parts, waits until the worker verified `files` rows, stops them. */
async function timeVerification(config: AppConfig, files: number): Promise<number> {
  const parts = buildSecondary(config, stderrLogger);
  const worker = parts.workers[0];
  if (worker === undefined) throw new Error('no verification worker (replication flag off?)');
  // Everything but the worker (database, checksum threads, catalogue client) starts untimed.
  const support = (parts.components ?? []).filter((c) => c !== worker);
  for (const component of support) await component.start();
  const started = process.hrtime.bigint();
  await worker.start();
  try {
    const done = () => worker.counters.succeeded + worker.counters.failed + worker.counters.disabled;
    while (done() < files) await new Promise((resolve) => setTimeout(resolve, 5));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (worker.counters.succeeded !== files) throw new Error(`expected ${files} successes, got ${JSON.stringify(worker.counters)}`);
    return seconds;
  } finally {
    await worker.stop();
    for (const component of [...support].reverse()) await component.stop();
  }
}

/**
 * Runs the benchmark (see the file comment). Needs PostgreSQL and `sha256sum`; creates and drops
 * its own databases and temp dir, and stops the primary registry process it starts.
 */
export async function runSecondaryVerifyBench(options: SecondaryVerifyBenchOptions = {}): Promise<SecondaryVerifyBenchResult> {
  const files = options.files ?? 10_000;
  const runs = Math.max(1, options.runs ?? 3);
  const work = mkdtempSync(join(tmpdir(), 'geo-bench-secondary-verify-'));
  const blobRoot = join(work, 'secondary-blobs');
  const credentials = { accessKey: `AKBENCH${randomBytes(8).toString('hex').toUpperCase()}`, secret: randomBytes(24).toString('hex') };
  const primaryDb = await createTestDatabase('geo_bench_sv_primary');
  const secondaryDb = await createTestDatabase('geo_bench_sv_secondary');
  const seedPool = createPool({ databaseUrl: secondaryDb.url, max: 2 });
  let primary: RunningSite | undefined;
  try {
    await migrate({ role: 'secondary', databaseUrl: secondaryDb.url });
    const blobs = await writeRandomBlobs(new FsBlobStore({ root: blobRoot }), files, MIN_SIZE, MAX_SIZE);
    const paths = blobs.map((b) => join(blobRoot, ...b.key.split('/')));
    // Reading every file once hashes it for the primary's rows and warms the page cache for both contenders.
    const checksums = new Map<string, string>();
    for (const [i, blob] of blobs.entries()) checksums.set(blob.key, createHash('sha256').update(await readFile(paths[i]!)).digest('hex'));
    primary = await startPrimaryCatalogue(work, primaryDb, blobs, checksums, credentials);
    const primaryPool = createPool({ databaseUrl: primaryDb.url, max: 1 });
    const idRows = await primaryPool.query<{ id: string; key: string }>('SELECT id, object_storage_key AS key FROM packages_nuget_symbols').finally(() => primaryPool.end());
    await seedSecondary(seedPool, blobs, new Map(idRows.rows.map((r) => [r.key, Number(r.id)])));
    const listFile = join(work, 'files.txt');
    await writeFile(listFile, `${paths.join('\n')}\n`);

    const config = loadConfig('checksum', {
      GEO_ROLE: 'secondary',
      GEO_SITE_NAME: 'bench-secondary',
      DATABASE_URL: secondaryDb.url,
      NATS_URL: testServiceUrls().natsUrl,
      BLOB_STORE_ROOT: blobRoot,
      GEO_PRIMARY_GRPC_URL: `http://127.0.0.1:${primary.grpcPorts.registry}`,
      GEO_ACCESS_KEY: credentials.accessKey,
      GEO_SECRET_ACCESS_KEY: credentials.secret,
      LOG_LEVEL: 'warn',
    });

    const shaSeconds: number[] = [];
    const verifySeconds: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      shaSeconds.push(await timeSha256sum(listFile));
      await seedPool.query(`UPDATE ${REGISTRY} SET verification_state = 0`);
      verifySeconds.push(await timeVerification(config, files));
      console.error(`run ${i + 1}/${runs}: sha256sum ${shaSeconds[i]!.toFixed(2)} s, secondary verification ${verifySeconds[i]!.toFixed(2)} s`);
    }
    const { rows } = await seedPool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${REGISTRY} WHERE state = 2 AND verification_state = 2`);
    if (rows[0]?.n !== files) throw new Error(`expected ${files} verified registries, found ${rows[0]?.n}`);

    const seconds = median(verifySeconds);
    const shaS = median(shaSeconds);
    return {
      files,
      seconds: Number(seconds.toFixed(3)),
      files_per_s: Number((files / seconds).toFixed(1)),
      sha256sum_files_per_s: Number((files / shaS).toFixed(1)),
      ratio: Number((shaS / seconds).toFixed(3)),
    };
  } finally {
    await primary?.stop();
    await seedPool.end();
    await secondaryDb.drop();
    await primaryDb.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

// Run as a command (not when another benchmark imports the function).
if (require.main === module) {
  const files = arg('files', 10_000);
  const runs = arg('runs', 3);
  runSecondaryVerifyBench({ files, runs }).then(
    (result) => {
      console.log(
        `secondary-verify: ${result.files} blobs (${MIN_SIZE / 1024}–${MAX_SIZE / 1024} KiB), median of ${runs}: worker ${result.seconds.toFixed(2)} s ` +
          `(${result.files_per_s} files/s), sha256sum ${result.sha256sum_files_per_s} files/s, ratio ${result.ratio} (target ≥ 0.8)`,
      );
      console.log(JSON.stringify(result));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
