import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@geo/testing';

/** An rsync daemon on loopback exporting `root` as module `blobs`; returns its URL and a stop function. */
export async function rsyncDaemon(root: string, work: string): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const conf = join(work, 'rsyncd.conf');
  writeFileSync(conf, `use chroot = no\n[blobs]\n  path = ${root}\n  read only = yes\n`);
  const child = spawn('rsync', ['--daemon', '--no-detach', `--config=${conf}`, `--port=${port}`, '--address=127.0.0.1'], { stdio: 'ignore' });
  const url = `rsync://127.0.0.1:${port}/blobs/`;
  const deadline = Date.now() + 10_000;
  while (spawnSync('rsync', ['--list-only', url], { stdio: 'ignore' }).status !== 0) {
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error('timed out waiting for the rsync daemon');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Seconds `rsync -a [--fsync]` takes to pull everything into an empty directory (page cache warm on the source). */
export function timeRsync(url: string, dest: string, fsync: boolean): number {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const started = process.hrtime.bigint();
  const result = spawnSync('rsync', ['-a', ...(fsync ? ['--fsync'] : []), url, `${dest}/`], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`rsync exited with ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}
