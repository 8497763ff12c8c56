/**
 * `npm run bench -- replication`: a primary and a secondary site as real processes on loopback
 * (tools/dev/lib/two-sites.ts) replicate (a) 10,000 blobs of 4–64 KiB and (b) 40 blobs of 8–12 MiB
 * from empty to all synced, and in the same run `rsync` pulls the same files from an rsync daemon on
 * loopback, once with `--fsync` (the durability a synced blob has) and once plain. Then the sync lag
 * (symbol written on the primary → synced on the secondary) at 50 new symbols/s pushed through the
 * NuGet API for 60 s, and the peak RSS of every secondary service. The last line is the JSON summary.
 *
 * Timing of a replication run: from the moment the secondary inserted its first registry row for the
 * set (its consistency sweep found the records; process start-up is not counted) until every row is
 * synced (polled every 20 ms). The primary has verified every blob before the secondary starts, so
 * each download is checked against the primary's SHA-256, as in production.
 *
 * Flags: --small N (10000) --large N (40) --lag-seconds S (60) --lag-rate R (50 symbols/s)
 *        --capacity C (files_max_capacity of the secondary and its worker concurrency, 64) --skip-lag --only-lag
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '@geo/storage';
import { buildNupkg, buildSnupkg, patchPortablePdbId, readFixture } from '@geo/testing';
import { startTwoSites, type TwoSites } from '../dev/lib/two-sites';
import { rsyncDaemon, timeRsync } from './lib/rsync';
import { insertSymbolRows, writeRandomBlobs, type BenchBlob } from './lib/verify-fixture';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
/** e.g. GEO_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile every app of both sites. */
const nodeArgs = process.env.GEO_BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '');

const MiB = 1024 * 1024;
const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls until `probe` returns a value; throws after `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

async function count(sites: TwoSites, sql: string): Promise<number> {
  return Number((await sites.secondary.pg.query<{ n: string }>(sql)).rows[0]!.n);
}

interface ReplicationResult {
  readonly files: number;
  readonly bytes: number;
  readonly seconds: number;
}

/** Seeds the primary with `blobs` (model rows, pending state rows), waits for primary verification. */
async function seedPrimary(sites: TwoSites, blobs: readonly BenchBlob[]): Promise<void> {
  await insertSymbolRows(sites.primary.pg, blobs);
  await waitFor(
    'primary verification',
    async () => {
      const r = await sites.primary.pg.query<{ n: string }>('SELECT count(*) AS n FROM packages_nuget_symbol_states WHERE verification_state <> 2');
      return r.rows[0]!.n === '0' ? true : undefined;
    },
    300_000,
    200,
  );
}

/** CPU seconds (user + system) so far of every process of both sites, plus PostgreSQL, nats-server and the bench. */
function cpuSeconds(sites: TwoSites): Record<string, number> {
  const ticks = (pid: number | string): number => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return 0;
    }
  };
  const out: Record<string, number> = {};
  for (const [role, site] of [['primary', sites.primary.site], ['secondary', sites.secondary.site]] as const) {
    for (const [app, pid] of Object.entries(site?.pids() ?? {})) out[`${role}/${app}`] = ticks(pid);
  }
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let comm = '';
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm === 'postgres' || comm === 'nats-server') out[comm] = (out[comm] ?? 0) + ticks(pid);
  }
  out['bench'] = process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
  return out;
}

/** Where the CPU went between two `cpuSeconds` samples, in ms per file. */
function cpuReport(before: Record<string, number>, after: Record<string, number>, files: number): string {
  return Object.entries(after)
    .map(([name, s]) => [name, ((s - (before[name] ?? 0)) * 1000) / files] as const)
    .filter(([, ms]) => ms >= 0.005)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${round(ms, 2)}`)
    .join(', ');
}

/** Starts the secondary and times its replication of everything the primary has. */
async function replicate(sites: TwoSites, files: number, bytes: number): Promise<ReplicationResult> {
  await sites.startSecondary();
  // CPU from the first registry row on, the window the throughput is timed over: start-up (module
  // loading, compilation) is a fixed cost per process, not a cost per file.
  await waitFor('first registry row', async () => ((await count(sites, 'SELECT count(*) AS n FROM packages_nuget_symbol_registry')) > 0 ? true : undefined), 120_000, 10);
  const before = cpuSeconds(sites);
  await waitFor(`${files} synced`, async () => ((await count(sites, 'SELECT count(*) AS n FROM packages_nuget_symbol_registry WHERE state = 2')) === files ? true : undefined), 900_000);
  const done = Date.now();
  console.log(`CPU ms per file (from the first registry row): ${cpuReport(before, cpuSeconds(sites), files)}`);
  const first = await sites.secondary.pg.query<{ t: Date }>('SELECT min(created_at) AS t FROM packages_nuget_symbol_registry');
  return { files, bytes, seconds: (done - first.rows[0]!.t.getTime()) / 1000 };
}

/** Peak RSS (VmHWM) of each running secondary app, MB. */
function peakRss(sites: TwoSites): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [app, pid] of Object.entries(sites.secondary.site?.pids() ?? {})) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
    out[app] = round(kb / 1024);
  }
  return out;
}

function mergePeaks(into: Record<string, number>, from: Record<string, number>): void {
  for (const [app, mb] of Object.entries(from)) into[app] = Math.max(into[app] ?? 0, mb);
}

interface SetResult {
  readonly ours: ReplicationResult;
  readonly rsyncFsyncSeconds: number;
  readonly rsyncSeconds: number;
  readonly peaks: Record<string, number>;
}

async function replicationSet(label: string, files: number, minSize: number, maxSize: number, capacity: number): Promise<SetResult> {
  const sites = await startTwoSites({ label: `bench_${label}`, startSecondary: false, secondarySettings: { files_max_capacity: capacity }, secondaryEnv: { GEO_SYNC_WORKER_CONCURRENCY: String(capacity) }, ...(nodeArgs === undefined ? {} : { nodeArgs }) });
  const work = mkdtempSync(join(tmpdir(), `geo-bench-rsync-${label}-`));
  try {
    const blobs = await writeRandomBlobs(new FsBlobStore({ root: sites.primary.blobRoot }), files, minSize, maxSize);
    const bytes = blobs.reduce((n, b) => n + b.size, 0);
    console.log(`${label}: ${files} blobs, ${round(bytes / MiB)} MiB written on the primary; waiting for primary verification`);
    await seedPrimary(sites, blobs);
    const daemon = await rsyncDaemon(sites.primary.blobRoot, work);
    try {
      const rsyncFsyncSeconds = timeRsync(daemon.url, join(work, 'fsync'), true);
      const rsyncSeconds = timeRsync(daemon.url, join(work, 'plain'), false);
      rmSync(join(work, 'fsync'), { recursive: true, force: true });
      rmSync(join(work, 'plain'), { recursive: true, force: true });
      const ours = await replicate(sites, files, bytes);
      const peaks = peakRss(sites);
      console.log(
        `${label}: geo ${round(ours.seconds, 2)} s (${round(files / ours.seconds)} files/s, ${round(bytes / MiB / ours.seconds)} MB/s); ` +
          `rsync --fsync ${round(rsyncFsyncSeconds, 2)} s; rsync ${round(rsyncSeconds, 2)} s`,
      );
      return { ours, rsyncFsyncSeconds, rsyncSeconds, peaks };
    } finally {
      daemon.stop();
    }
  } finally {
    await sites.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Pushes `rate` symbols/s (packages of 5 PDBs) for `seconds`; returns per-symbol lag in ms and the secondary's peak RSS. */
async function lagRun(seconds: number, rate: number, capacity: number): Promise<{ lags: number[]; peaks: Record<string, number> }> {
  const sites = await startTwoSites({ label: 'bench_lag', secondarySettings: { files_max_capacity: capacity }, secondaryEnv: { GEO_SYNC_WORKER_CONCURRENCY: String(capacity) }, ...(nodeArgs === undefined ? {} : { nodeArgs }) });
  try {
    const ns = await sites.admin<{ id: number }>('POST', '/namespaces', { name: 'lag', path: 'lag' });
    const project = await sites.admin<{ id: number; nuget_api_key: string }>('POST', '/projects', { name: 'lag', path: 'lag', namespace_id: ns.id });
    const templates = ['cecil/PdbChecksumLib.pdb', 'cecil/EmptyPdb.pdb', 'cecil/pdb-mismatch.pdb', 'symstore/dir1/System.Threading.Thread.pdb'].map(readFixture);
    const perPackage = 5;
    const packages = Math.round((seconds * rate) / perPackage);
    const put = async (path: string, name: string, bytes: Buffer): Promise<void> => {
      const form = new FormData();
      form.append('package', new Blob([bytes]), name);
      const res = await fetch(`${sites.primary.url}/api/v4/projects/${project.id}/packages/nuget/${path}`, { method: 'PUT', headers: { 'X-NuGet-ApiKey': project.nuget_api_key }, body: form });
      if (res.status !== 201) throw new Error(`push ${name}: ${res.status} ${await res.text()}`);
    };
    for (let i = 0; i < packages; i += 1) await put('', `p${i}.nupkg`, buildNupkg({ id: `Lag.P${i}`, version: '1.0.0' }));
    // Warm-up, untimed: the secondary's consumer, subscriptions and JIT settle before the sustained run.
    const warmupPackages = 10;
    for (let i = 0; i < warmupPackages; i += 1) {
      await put('', `w${i}.nupkg`, buildNupkg({ id: `Lag.W${i}`, version: '1.0.0' }));
      await put('symbolpackage', `w${i}.snupkg`, buildSnupkg({
        id: `Lag.W${i}`,
        version: '1.0.0',
        pdbs: Array.from({ length: perPackage }, (_, k) => ({ path: `lib/W${k}.pdb`, bytes: patchPortablePdbId(templates[k % templates.length]!, 2_000_000 + i * perPackage + k) })),
      }));
    }
    await waitFor('the warm-up symbols synced', async () => ((await count(sites, 'SELECT count(*) AS n FROM packages_nuget_symbol_registry WHERE state = 2')) === warmupPackages * perPackage ? true : undefined), 120_000, 50);
    const snupkgs = Array.from({ length: packages }, (_, i) =>
      buildSnupkg({
        id: `Lag.P${i}`,
        version: '1.0.0',
        pdbs: Array.from({ length: perPackage }, (_, k) => ({ path: `lib/L${k}.pdb`, bytes: patchPortablePdbId(templates[k % templates.length]!, 1_000_000 + i * perPackage + k) })),
      }),
    );

    // Observer: the first time each symbol is seen synced on the secondary.
    const seen = new Map<number, number>();
    let observing = true;
    const observer = (async () => {
      while (observing) {
        const rows = await sites.secondary.pg.query<{ id: string }>('SELECT packages_nuget_symbol_id AS id FROM packages_nuget_symbol_registry WHERE state = 2');
        const now = Date.now();
        for (const r of rows.rows) if (!seen.has(Number(r.id))) seen.set(Number(r.id), now);
        await sleep(20);
      }
    })();

    const intervalMs = (1000 * perPackage) / rate;
    const started = Date.now();
    const pushes: Promise<void>[] = [];
    for (let i = 0; i < packages; i += 1) {
      const due = started + i * intervalMs;
      if (due > Date.now()) await sleep(due - Date.now());
      pushes.push(put('symbolpackage', `p${i}.snupkg`, snupkgs[i]!));
    }
    await Promise.all(pushes);
    const written = await sites.primary.pg.query<{ id: string; created_at: Date }>(
      "SELECT s.id, s.created_at FROM packages_nuget_symbols s JOIN packages_packages p ON p.id = s.package_id WHERE s.project_id = $1 AND p.name LIKE 'Lag.P%'",
      [project.id],
    );
    await waitFor('every pushed symbol synced', async () => (written.rows.every((r) => seen.has(Number(r.id))) ? true : undefined), 120_000, 50);
    observing = false;
    await observer;
    const lags = written.rows.map((r) => seen.get(Number(r.id))! - r.created_at.getTime()).sort((a, b) => a - b);
    // Where the time goes, per stage: event to registry row (relay + consumer), row to claim
    // (scheduler), claim to synced (job queue + transfer + install).
    const stages = await sites.secondary.pg.query<{ id: string; created_at: Date; last_synced_at: Date }>(
      'SELECT packages_nuget_symbol_id AS id, created_at, last_synced_at FROM packages_nuget_symbol_registry WHERE packages_nuget_symbol_id = ANY($1::bigint[])',
      [written.rows.map((r) => Number(r.id))],
    );
    const writtenAt = new Map(written.rows.map((r) => [Number(r.id), r.created_at.getTime()]));
    const stage = (f: (r: { id: string; created_at: Date; last_synced_at: Date }) => number) => {
      const values = stages.rows.map(f).sort((a, b) => a - b);
      return `p50 ${percentile(values, 50)} ms, p99 ${percentile(values, 99)} ms, max ${values.at(-1)} ms`;
    };
    console.log(`lag stages: write → registry row: ${stage((r) => r.created_at.getTime() - writtenAt.get(Number(r.id))!)}`);
    console.log(`lag stages: registry row → claimed: ${stage((r) => r.last_synced_at.getTime() - r.created_at.getTime())}`);
    console.log(`lag stages: claimed → seen synced: ${stage((r) => seen.get(Number(r.id))! - r.last_synced_at.getTime())}`);
    return { lags, peaks: peakRss(sites) };
  } finally {
    await sites.stop();
  }
}

async function main(): Promise<void> {
  const capacity = arg('capacity', 64);
  if (flag('only-lag')) {
    const run = await lagRun(arg('lag-seconds', 60), arg('lag-rate', 50), capacity);
    console.log(`lag: ${run.lags.length} symbols: p50 ${percentile(run.lags, 50)} ms, p99 ${percentile(run.lags, 99)} ms, max ${run.lags.at(-1)} ms`);
    console.log(`peak RSS (MB): ${JSON.stringify(run.peaks)}`);
    return;
  }
  // `--small 0` / `--large 0` skip a set (quick runs while profiling); its summary fields are null.
  const smallFiles = arg('small', 10_000);
  const largeFiles = arg('large', 40);
  const small = smallFiles === 0 ? undefined : await replicationSet('small', smallFiles, 4 * 1024, 64 * 1024, capacity);
  const large = largeFiles === 0 ? undefined : await replicationSet('large', largeFiles, 8 * MiB, 12 * MiB, capacity);
  const peaks: Record<string, number> = {};
  if (small !== undefined) mergePeaks(peaks, small.peaks);
  if (large !== undefined) mergePeaks(peaks, large.peaks);
  let lag = { p50: NaN, p99: NaN };
  if (!flag('skip-lag')) {
    const run = await lagRun(arg('lag-seconds', 60), arg('lag-rate', 50), capacity);
    mergePeaks(peaks, run.peaks);
    lag = { p50: percentile(run.lags, 50), p99: percentile(run.lags, 99) };
    console.log(`lag: ${run.lags.length} symbols at ${arg('lag-rate', 50)}/s: p50 ${lag.p50} ms, p99 ${lag.p99} ms, max ${run.lags.at(-1)} ms`);
  }
  const summary = {
    bench: 'replication',
    small:
      small === undefined
        ? null
        : {
            files_per_s: round(small.ours.files / small.ours.seconds),
            rsync_fsync_files_per_s: round(small.ours.files / small.rsyncFsyncSeconds),
            rsync_files_per_s: round(small.ours.files / small.rsyncSeconds),
            ratio: round(small.rsyncFsyncSeconds / small.ours.seconds, 3),
            ratio_plain: round(small.rsyncSeconds / small.ours.seconds, 3),
          },
    large:
      large === undefined
        ? null
        : {
            mb_per_s: round(large.ours.bytes / MiB / large.ours.seconds),
            rsync_fsync_mb_per_s: round(large.ours.bytes / MiB / large.rsyncFsyncSeconds),
            rsync_mb_per_s: round(large.ours.bytes / MiB / large.rsyncSeconds),
            ratio: round(large.rsyncFsyncSeconds / large.ours.seconds, 3),
            ratio_plain: round(large.rsyncSeconds / large.ours.seconds, 3),
          },
    lag_ms: lag,
    peak_rss_mb: peaks,
  };
  console.log(`peak RSS of the secondary's services (MB): ${JSON.stringify(peaks)}`);
  console.log(JSON.stringify(summary));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
