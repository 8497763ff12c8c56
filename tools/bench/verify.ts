/**
 * `npx tsx tools/bench/verify.ts [--files 10000] [--runs 3] [--no-secondary] [--checksum-threads N]`
 *
 * Primary verification throughput against `sha256sum` over the same files, in one run:
 * 1. a fresh database and an fs blob store in a temp dir; `--files` blobs of random 4–64 KiB with
 *    their model rows and pending verification state rows (as the `nuget` app writes them); one
 *    enabled secondary is registered so every success also writes its `checksum_succeeded` event, as
 *    in production (`--no-secondary` leaves it out);
 * 2. every file is read once so both contenders start from a warm page cache;
 * 3. `sha256sum` over the file list (xargs, sequential), timed;
 * 4. the checksum app's primary verification worker (built by its real wiring, default capacity)
 *    from start until every row succeeded, timed; the rows are reset to pending between runs.
 * Each contender runs `--runs` times; the medians are reported. `--checksum-threads` overrides the
 * app's checksum threads for the fs store (0 = stream every blob through `FsBlobStore.get`). The last stdout line is one JSON
 * object: {"verify_files_per_s","verify_mb_per_s","sha256sum_mb_per_s","verify_ratio"} (MB = 10⁶ bytes).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@geo/config';
import { createPool, migrate } from '@geo/pg';
import { FsBlobStore } from '@geo/storage';
import { createTestDatabase, testServiceUrls } from '@geo/testing';
import { buildPrimary } from '../../apps/checksum/src/wiring';
import { median, stderrLogger, timeSha256sum } from './lib/measure';
import { insertSymbolRows, writeRandomBlobs, type BenchBlob } from './lib/verify-fixture';

const MIN_SIZE = 4 * 1024;
const MAX_SIZE = 64 * 1024;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const files = arg('files', 10_000);
  const runs = Math.max(1, arg('runs', 3));
  const withSecondary = !process.argv.includes('--no-secondary');
  const checksumThreads = process.argv.includes('--checksum-threads') ? arg('checksum-threads', 2) : undefined;
  const db = await createTestDatabase('geo_bench_verify');
  const work = mkdtempSync(join(tmpdir(), 'geo-bench-verify-'));
  const blobRoot = join(work, 'blobs');
  const seedPool = createPool({ databaseUrl: db.url, max: 2 });
  try {
    await migrate({ role: 'primary', databaseUrl: db.url });
    const store = new FsBlobStore({ root: blobRoot });
    const blobs: BenchBlob[] = await writeRandomBlobs(store, files, MIN_SIZE, MAX_SIZE);
    await insertSymbolRows(seedPool, blobs);
    if (withSecondary) {
      await seedPool.query(`INSERT INTO geo_sites (name, url, "primary", enabled) VALUES ('bench-secondary', 'http://127.0.0.1:1', false, true)`);
    }
    const totalBytes = blobs.reduce((sum, b) => sum + b.size, 0);
    const listFile = join(work, 'files.txt');
    const paths = blobs.map((b) => join(blobRoot, ...b.key.split('/')));
    await writeFile(listFile, `${paths.join('\n')}\n`);
    // Warm the page cache for both contenders.
    for (const path of paths) await readFile(path);

    const config = loadConfig('checksum', {
      GEO_ROLE: 'primary',
      GEO_SITE_NAME: 'bench',
      DATABASE_URL: db.url,
      NATS_URL: testServiceUrls().natsUrl,
      BLOB_STORE_ROOT: blobRoot,
      LOG_LEVEL: 'warn',
    });

    const shaSeconds: number[] = [];
    const verifySeconds: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      shaSeconds.push(await timeSha256sum(listFile));
      await seedPool.query('UPDATE packages_nuget_symbol_states SET verification_state = 0');
      verifySeconds.push(await timeVerification(config, files, checksumThreads));
      console.error(`run ${i + 1}/${runs}: sha256sum ${shaSeconds[i]!.toFixed(2)} s, verification ${verifySeconds[i]!.toFixed(2)} s`);
    }
    const { rows } = await seedPool.query<{ n: number }>('SELECT count(*)::int AS n FROM packages_nuget_symbol_states WHERE verification_state = 2');
    if (rows[0]?.n !== files) throw new Error(`expected ${files} succeeded rows, found ${rows[0]?.n}`);

    const mb = totalBytes / 1e6;
    const verifyS = median(verifySeconds);
    const shaS = median(shaSeconds);
    const result = {
      verify_files_per_s: Number((files / verifyS).toFixed(1)),
      verify_mb_per_s: Number((mb / verifyS).toFixed(1)),
      sha256sum_mb_per_s: Number((mb / shaS).toFixed(1)),
      verify_ratio: Number((shaS / verifyS).toFixed(3)),
    };
    console.log(
      `verify: ${files} blobs (${mb.toFixed(1)} MB, ${MIN_SIZE / 1024}–${MAX_SIZE / 1024} KiB), median of ${runs}: worker ${verifyS.toFixed(2)} s, ` +
        `sha256sum ${shaS.toFixed(2)} s, ${withSecondary ? 'with' : 'without'} checksum_succeeded events` +
        `${checksumThreads === undefined ? '' : `, checksum threads ${checksumThreads}`} (target ratio ≥ 0.8)`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await seedPool.end();
    await db.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Starts the app's primary parts, waits until the worker verified `files` rows, stops them. */
async function timeVerification(config: ReturnType<typeof loadConfig>, files: number, checksumThreads: number | undefined): Promise<number> {
  const parts = buildPrimary(config, stderrLogger, checksumThreads === undefined ? {} : { checksumThreads });
  const worker = parts.workers[0];
  if (worker === undefined) throw new Error('no verification worker (replication flag off?)');
  // Everything but the worker (database, checksum threads) starts untimed.
  const support = (parts.components ?? []).filter((c) => c !== worker);
  for (const component of support) await component.start();
  const started = process.hrtime.bigint();
  await worker.start();
  try {
    while (worker.counters.succeeded + worker.counters.failed < files) await new Promise((resolve) => setTimeout(resolve, 5));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (worker.counters.failed > 0) throw new Error(`${worker.counters.failed} verifications failed`);
    return seconds;
  } finally {
    await worker.stop();
    for (const component of [...support].reverse()) await component.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
