/**
 * `npm run bench -- transfer-floor`: what the replication benchmark's targets leave room for on this
 * machine. The same two sets as `replication` (10,000 blobs of 4–64 KiB, 40 of 8–12 MiB) are pulled
 * over loopback, in the same run and three times each (medians):
 * - by `rsync -a --fsync` and plain `rsync -a` from an rsync daemon (the baselines of issue 4);
 * - by the bare Node floor: a primary process serving files over HTTP (lib/floor/serve-files.ts) and
 *   a secondary process downloading them with a synced blob's durability and nothing else — no
 *   database, queue, authentication, registry state or logging (lib/floor/fetch-files.ts), at the
 *   replication benchmark's concurrency (64) and byte budget (64 MiB).
 * The floor's ratio to `rsync --fsync` bounds the ratio the real system can reach with Node on this
 * machine. The last line is one JSON object.
 *
 * Flags: --small N (10000) --large N (40) --runs N (3) --concurrency N (64) --budget-mib N (64)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '@geo/storage';
import { freePort } from '@geo/testing';
import { median } from './lib/measure';
import { rsyncDaemon, timeRsync } from './lib/rsync';
import { writeRandomBlobs, type BenchBlob } from './lib/verify-fixture';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const MiB = 1024 * 1024;
/** The replication benchmark's settings (capacity and worker concurrency 64, the worker's 64 MiB byte budget). */
const CONCURRENCY = arg('concurrency', 64);
const BYTE_BUDGET = arg('budget-mib', 64) * MiB;
const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

interface FloorRun {
  readonly seconds: number;
  readonly cpu_ms: number;
}

function node(script: string, args: readonly string[]): string[] {
  return ['--max-semi-space-size=2', '--max-old-space-size=128', '--require', 'tsx/cjs', join(__dirname, 'lib', 'floor', script), ...args];
}

/** Starts the bare primary on a free port; resolves once it listens. */
async function serveFiles(root: string): Promise<{ port: number; stop: () => void }> {
  const port = await freePort();
  const child = spawn(process.execPath, node('serve-files.ts', [root, String(port)]), { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => (d.toString().includes('listening') ? resolve() : undefined));
    child.once('exit', (code) => reject(new Error(`serve-files exited with ${code}`)));
  });
  return { port, stop: () => child.kill('SIGTERM') };
}

function fetchFiles(port: number, dest: string, list: string): FloorRun {
  rmSync(dest, { recursive: true, force: true });
  const result = spawnSync(process.execPath, node('fetch-files.ts', [String(port), dest, list, String(CONCURRENCY), String(BYTE_BUDGET)]), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error(`fetch-files exited with ${result.status}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as FloorRun;
}

interface SetResult {
  readonly files: number;
  readonly bytes: number;
  readonly floor: number;
  readonly floorCpuMs: number;
  readonly rsyncFsync: number;
  readonly rsync: number;
}

async function floorSet(label: string, files: number, minSize: number, maxSize: number, runs: number): Promise<SetResult> {
  const work = mkdtempSync(join(tmpdir(), `geo-bench-floor-${label}-`));
  try {
    const root = join(work, 'src');
    const blobs: BenchBlob[] = await writeRandomBlobs(new FsBlobStore({ root }), files, minSize, maxSize);
    const bytes = blobs.reduce((n, b) => n + b.size, 0);
    const list = join(work, 'list.txt');
    writeFileSync(list, blobs.map((b) => `${b.key} ${b.size}`).join('\n'));
    const daemon = await rsyncDaemon(root, work);
    const server = await serveFiles(root);
    const floor: FloorRun[] = [];
    const rsyncFsync: number[] = [];
    const rsync: number[] = [];
    try {
      for (let run = 1; run <= runs; run++) {
        rsyncFsync.push(timeRsync(daemon.url, join(work, 'rsync-fsync'), true));
        rsync.push(timeRsync(daemon.url, join(work, 'rsync'), false));
        floor.push(fetchFiles(server.port, join(work, 'floor'), list));
        console.log(
          `${label} run ${run}/${runs}: node floor ${round(floor.at(-1)!.seconds, 2)} s (${round(floor.at(-1)!.cpu_ms / files, 3)} ms CPU per file in the downloader); ` +
            `rsync --fsync ${round(rsyncFsync.at(-1)!, 2)} s; rsync ${round(rsync.at(-1)!, 2)} s`,
        );
      }
    } finally {
      server.stop();
      daemon.stop();
    }
    return {
      files,
      bytes,
      floor: median(floor.map((f) => f.seconds)),
      floorCpuMs: median(floor.map((f) => f.cpu_ms)),
      rsyncFsync: median(rsyncFsync),
      rsync: median(rsync),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const runs = arg('runs', 3);
  // `--small 0` / `--large 0` skip a set (exploring settings); its summary is null.
  const smallFiles = arg('small', 10_000);
  const largeFiles = arg('large', 40);
  const small = smallFiles === 0 ? undefined : await floorSet('small', smallFiles, 4 * 1024, 64 * 1024, runs);
  const large = largeFiles === 0 ? undefined : await floorSet('large', largeFiles, 8 * MiB, 12 * MiB, runs);
  const summary = {
    bench: 'transfer-floor',
    small:
      small === undefined
        ? null
        : {
            floor_files_per_s: round(small.files / small.floor),
            rsync_fsync_files_per_s: round(small.files / small.rsyncFsync),
            rsync_files_per_s: round(small.files / small.rsync),
            floor_ratio: round(small.rsyncFsync / small.floor, 3),
            floor_cpu_ms_per_file: round(small.floorCpuMs / small.files, 3),
          },
    large:
      large === undefined
        ? null
        : {
            floor_mb_per_s: round(large.bytes / MiB / large.floor),
            rsync_fsync_mb_per_s: round(large.bytes / MiB / large.rsyncFsync),
            rsync_mb_per_s: round(large.bytes / MiB / large.rsync),
            floor_ratio: round(large.rsyncFsync / large.floor, 3),
            floor_cpu_ms_per_mb: round(large.floorCpuMs / (large.bytes / MiB), 3),
          },
  };
  console.log(JSON.stringify(summary));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
