/**
 * `npm run bench -- ingest [--runs 3] [--packages 1000] [--warmup 100] [--concurrency 16] [--files 10000]`
 *
 * 1. Ingest: starts a primary site's gateway and nuget app as real processes (fs blob store, a fresh
 *    database, one enabled secondary registered so `created` events are written as in production),
 *    pushes `--packages` `.nupkg`s (untimed), then pushes the matching `.snupkg`s through HTTP, timing
 *    all but the first `--warmup`,
 *    each holding 5 portable PDBs made from the fixture PDBs with patched ids, `--concurrency` in flight.
 * 2. Verification: runs tools/bench/verify.ts (10,000 blobs of 4–64 KiB, compared with `sha256sum`
 *    over the same files in the same run) and takes its JSON line.
 * The last line printed is one JSON object with both results.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { migrate } from '@geo/pg';
import { buildNupkg, buildSnupkg, createTestDatabase, patchPortablePdbId, readFixture } from '@geo/testing';
import { startSite } from '../dev/lib/site-processes';

const PDBS_PER_PACKAGE = 5;
/** Portable PDBs in the shared fixtures used as templates (ids patched per copy). */
const TEMPLATE_PDBS = ['cecil/PdbChecksumLib.pdb', 'cecil/EmptyPdb.pdb', 'cecil/pdb-mismatch.pdb', 'symstore/dir1/System.Threading.Thread.pdb'];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const BOUNDARY = 'geo-bench-boundary-7d1c4e';

/**
 * The multipart body the NuGet client sends (one file part named `package`), encoded once up front so
 * the timed loop spends the shared CPU on the server, not on FormData encoding in the client.
 */
function multipartBody(bytes: Buffer, fileName: string): Buffer {
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="package"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

async function push(url: string, path: string, apiKey: string, body: Buffer, name: string): Promise<void> {
  const res = await fetch(`${url}${path}`, {
    method: 'PUT',
    headers: { 'X-NuGet-ApiKey': apiKey, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body,
  });
  if (res.status !== 201) throw new Error(`push ${name} answered ${res.status}: ${await res.text()}`);
}

async function adminPost<T>(url: string, token: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${url}/api/v4${path}`, {
    method: 'POST',
    headers: { 'PRIVATE-TOKEN': token, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

function runVerifyBench(files: number): Promise<Record<string, number>> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'verify.ts'), '--files', String(files)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`verify bench exited with ${code}`));
      else resolvePromise(JSON.parse(last) as Record<string, number>);
    });
  });
}

async function ingestBench(packages: number, warmup: number, concurrency: number): Promise<{ pdbsPerSecond: number; seconds: number }> {
  const db = await createTestDatabase('geo_bench_ingest');
  const work = mkdtempSync(join(tmpdir(), 'geo-bench-ingest-'));
  const adminToken = randomBytes(24).toString('hex');
  await migrate({ role: 'primary', databaseUrl: db.url });
  const site = await startSite({
    name: 'bench-primary',
    role: 'primary',
    databaseUrl: db.url,
    natsUrl: 'nats://127.0.0.1:4222',
    blobRoot: join(work, 'blobs'),
    adminToken,
    logDir: join(work, 'logs'),
    apps: ['gateway', 'nuget'],
    env: { LOG_LEVEL: 'warn' },
    // e.g. GEO_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the apps
    nodeArgs: process.env.GEO_BENCH_NODE_ARGS?.split(' ').filter((a) => a !== ''),
  });
  try {
    const url = site.url!;
    await adminPost(url, adminToken, '/geo_sites', { name: 'bench-primary', url, primary: true });
    await adminPost(url, adminToken, '/geo_sites', { name: 'bench-secondary', url: 'http://127.0.0.1:1', primary: false });
    const ns = await adminPost<{ id: number }>(url, adminToken, '/namespaces', { name: 'Bench', path: 'bench' });
    const project = await adminPost<{ id: number; nuget_api_key: string }>(url, adminToken, '/projects', {
      name: 'Bench',
      path: 'bench',
      namespace_id: ns.id,
    });
    const base = `/api/v4/projects/${project.id}/packages/nuget`;
    const templates = TEMPLATE_PDBS.map(readFixture);
    const ids = Array.from({ length: packages }, (_, i) => i);
    const version = '1.0.0';
    await pool(ids, concurrency, (i) =>
      push(url, `${base}/`, project.nuget_api_key, multipartBody(buildNupkg({ id: `Bench.Pkg${i}`, version }), `pkg${i}.nupkg`), `pkg${i}.nupkg`),
    );
    const snupkgs = ids.map((i) =>
      multipartBody(buildSnupkg({
        id: `Bench.Pkg${i}`,
        version,
        pdbs: Array.from({ length: PDBS_PER_PACKAGE }, (_, k) => ({
          path: `lib/net8.0/Bench${k}.pdb`,
          bytes: patchPortablePdbId(templates[k % templates.length]!, i * PDBS_PER_PACKAGE + k + 1),
        })),
      }), `pkg${i}.snupkg`),
    );
    // The first `warmup` pushes let the processes' JIT settle; only the rest are timed.
    const pushSymbols = (i: number) => push(url, `${base}/symbolpackage`, project.nuget_api_key, snupkgs[i]!, `pkg${i}.snupkg`);
    await pool(ids.slice(0, warmup), concurrency, pushSymbols);
    const timed = ids.slice(warmup);
    const started = process.hrtime.bigint();
    await pool(timed, concurrency, pushSymbols);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { pdbsPerSecond: (timed.length * PDBS_PER_PACKAGE) / seconds, seconds };
  } finally {
    await site.stop();
    await db.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const packages = arg('packages', 1000);
  const warmup = Math.min(arg('warmup', 100), packages - 1);
  const concurrency = arg('concurrency', 16);
  const files = arg('files', 10_000);
  const runs = arg('runs', 3);
  // Each run gets a fresh site and database; the median damps this machine's PostgreSQL and disk noise.
  const results: Array<{ pdbsPerSecond: number; seconds: number }> = [];
  for (let run = 1; run <= runs; run++) {
    const result = await ingestBench(packages, warmup, concurrency);
    results.push(result);
    console.log(
      `ingest run ${run}/${runs}: ${packages - warmup} .snupkg × ${PDBS_PER_PACKAGE} PDBs (after ${warmup} warm-up pushes) in ${result.seconds.toFixed(2)} s through HTTP, ${concurrency} in flight → ${result.pdbsPerSecond.toFixed(0)} PDBs/s`,
    );
  }
  const sorted = [...results].sort((a, b) => a.pdbsPerSecond - b.pdbsPerSecond);
  const ingest = sorted[Math.floor(sorted.length / 2)]!;
  console.log(
    `ingest: median of ${runs} runs ${ingest.pdbsPerSecond.toFixed(0)} PDBs/s [${sorted[0]!.pdbsPerSecond.toFixed(0)}..${sorted.at(-1)!.pdbsPerSecond.toFixed(0)}] (target ≥ 500)`,
  );
  const verify = await runVerifyBench(files);
  const round = (n: number | undefined, digits: number) => Number((n ?? NaN).toFixed(digits));
  console.log(
    JSON.stringify({
      bench: 'ingest',
      pdbs_per_s: round(ingest.pdbsPerSecond, 1),
      verify_files_per_s: round(verify.verify_files_per_s, 1),
      verify_mb_per_s: round(verify.verify_mb_per_s, 1),
      sha256sum_mb_per_s: round(verify.sha256sum_mb_per_s, 1),
      verify_ratio: round(verify.verify_ratio, 3),
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
