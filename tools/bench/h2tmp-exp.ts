import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@geo/config';
import { createPool, migrate } from '@geo/pg';
import { FsBlobStore, type BlobStore } from '@geo/storage';
import { createTestDatabase, testServiceUrls } from '@geo/testing';
import { buildPrimary } from '../../apps/checksum/src/wiring';
import { insertSymbolRows, writeRandomBlobs } from './lib/verify-fixture';

const mode = process.argv[2] ?? 'store';
async function main() {
  const files = 10000;
  const db = await createTestDatabase('geo_bench_exp');
  const work = mkdtempSync(join(tmpdir(), 'geo-bench-exp-'));
  const blobRoot = join(work, 'blobs');
  const seedPool = createPool({ databaseUrl: db.url, max: 2 });
  try {
    await migrate({ role: 'primary', databaseUrl: db.url });
    const store = new FsBlobStore({ root: blobRoot });
    const blobs = await writeRandomBlobs(store, files, 4096, 65536);
    await insertSymbolRows(seedPool, blobs);
    if (process.argv.includes('--secondary')) await seedPool.query(`INSERT INTO geo_sites (name, url, "primary", enabled) VALUES ('s', 'http://x', false, true)`);
    const cap = Number(process.env['CAP'] ?? 100);
    await seedPool.query(`INSERT INTO geo_sites (name, url, "primary", verification_max_capacity) VALUES ('p', 'http://p', true, $1)`, [cap]);
    const config = loadConfig('checksum', { GEO_ROLE: 'primary', GEO_SITE_NAME: 'b', DATABASE_URL: db.url, NATS_URL: testServiceUrls().natsUrl, BLOB_STORE_ROOT: blobRoot });
    const exact: BlobStore = Object.assign(Object.create(store) as BlobStore, {
      get: async (key: string) => {
        const h = await open(join(blobRoot, key), 'r');
        const st = await h.stat();
        if (mode === 'whole') { try { const b = Buffer.allocUnsafe(st.size); let off = 0; while (off < st.size) { const { bytesRead } = await h.read(b, off, st.size - off, off); if (bytesRead === 0) break; off += bytesRead; } return Readable.from([b.subarray(0, off)]); } finally { await h.close(); } }
        return h.createReadStream({ start: 0, end: Math.max(0, st.size - 1), highWaterMark: Math.max(1, Math.min(st.size, 1 << 20)) });
      },
    });
    const fsMod = await import('node:fs');
    const cbWhole = (p: string) => new Promise<Buffer>((res, rej) => fsMod.open(p, 'r', (e, fd) => { if (e) return rej(e); fsMod.fstat(fd, (e2, st) => { if (e2) { fsMod.close(fd, () => undefined); return rej(e2); } const b = Buffer.allocUnsafe(st.size); fsMod.read(fd, b, 0, st.size, 0, (e3, n) => { fsMod.close(fd, () => undefined); if (e3) return rej(e3); res(b.subarray(0, n)); }); }); }));
    const whole2: BlobStore = Object.assign(Object.create(store) as BlobStore, { get: async (key: string) => Readable.from([await cbWhole(join(blobRoot, key))]) });
    const noop: BlobStore = Object.assign(Object.create(store) as BlobStore, { get: async () => Readable.from([Buffer.alloc(10)]) });
    const blobStore = mode === 'store' ? store : mode === 'noop' ? noop : mode === 'cbwhole' ? whole2 : exact;
    const parts = buildPrimary(config, { info() {}, warn: (f, m) => console.error(m, JSON.stringify(f)), error: (f, m) => console.error(m, JSON.stringify(f)) }, { blobStore, maxConnections: Number(process.env['POOL'] ?? 10), claimCoalescing: { maxInputs: Number(process.env['CI'] ?? 10), maxInFlight: Number(process.env['CF'] ?? 2) }, resultCoalescing: { maxInputs: Number(process.env['RI'] ?? 20), maxInFlight: Number(process.env['RF'] ?? 2) } });
    await parts.database.start();
    const w = parts.workers[0]!;
    const { Session } = await import('node:inspector/promises');
    const session = new Session(); session.connect();
    if (process.env['PROF']) { await session.post('Profiler.enable'); await session.post('Profiler.start'); }
    const procCpu = async () => { const { rows } = await seedPool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()'); let t = 0; for (const r of rows) { try { const f = (await import('node:fs')).readFileSync(`/proc/${r.pid}/stat`, 'utf8').split(') ')[1]!.split(' '); t += Number(f[11]) + Number(f[12]); } catch { /* gone */ } } return t / 100; };
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await w.start();
    while (w.counters.succeeded < files) await new Promise((r) => setTimeout(r, 5));
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (process.env['PROF']) { const { profile } = await session.post('Profiler.stop'); (await import('node:fs')).writeFileSync('/tmp/h2prof/phase.cpuprofile', JSON.stringify(profile)); }
    const c = process.cpuUsage(c0); const pgCpu = await procCpu();
    console.log('node cpu user', (c.user / 1e6).toFixed(2), 'sys', (c.system / 1e6).toFixed(2), 'pg backends cpu', pgCpu.toFixed(2));
    console.log(mode, 'cap', w.capacity, s.toFixed(2), 's', (files / s).toFixed(0), 'files/s', w.counters);
    await w.stop(); await parts.database.stop();
  } finally { await seedPool.end(); await db.drop(); rmSync(work, { recursive: true, force: true }); }
}
void main().then(() => process.exit(0));
