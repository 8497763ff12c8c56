import { createHash } from 'node:crypto';
import { readFileSync, createReadStream, readFile as readFileCb, open as openCb, read as readCb, close as closeCb, fstat as fstatCb } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
const ROOT = '/tmp/h2exp/files/';
const keys = readFileSync('/tmp/h2exp/list', 'utf8').trim().split('\n').map((l) => l.replace(/^files\//, ''));
async function hashStream(s: Readable) { const x = createHash('sha256'); for await (const c of s) x.update(c as Buffer); return x.digest('hex'); }
const cbRead = (p: string) => new Promise<Buffer>((res, rej) => readFileCb(p, (e, b) => (e ? rej(e) : res(b))));
const cbWhole = (p: string) => new Promise<Buffer>((res, rej) => openCb(p, 'r', (e, fd) => { if (e) return rej(e); fstatCb(fd, (e2, st) => { if (e2) { closeCb(fd, () => undefined); return rej(e2); } const b = Buffer.allocUnsafe(st.size); readCb(fd, b, 0, st.size, 0, (e3, n) => { closeCb(fd, () => undefined); if (e3) return rej(e3); res(b.subarray(0, n)); }); }); }));
const variants: Record<string, (k: string) => Promise<string>> = {
  storeLike1M: async (k) => { const h = await open(ROOT + k, 'r'); await h.stat(); return hashStream(h.createReadStream({ highWaterMark: 1 << 20 })); },
  handleExact: async (k) => { const h = await open(ROOT + k, 'r'); const st = await h.stat(); return hashStream(h.createReadStream({ start: 0, end: Math.max(0, st.size - 1), highWaterMark: Math.max(1, Math.min(st.size, 1 << 20)) })); },
  handleWhole: async (k) => { const h = await open(ROOT + k, 'r'); try { const st = await h.stat(); const b = Buffer.allocUnsafe(st.size); const { bytesRead } = await h.read(b, 0, st.size, 0); return hashStream(Readable.from([b.subarray(0, bytesRead)])); } finally { await h.close(); } },
  promReadFile: async (k) => hashStream(Readable.from([await readFile(ROOT + k)])),
  cbReadFile: async (k) => hashStream(Readable.from([await cbRead(ROOT + k)])),
  cbWhole: async (k) => hashStream(Readable.from([await cbWhole(ROOT + k)])),
  pathStreamExactNoStat: async (k) => hashStream(createReadStream(ROOT + k, { highWaterMark: 64 * 1024 })),
};
async function main() {
  const only = process.argv[2];
  for (let rep = 0; rep < 2; rep++) for (const [name, f] of Object.entries(variants)) { if (only && !name.startsWith(only)) continue; for (const conc of [100]) {
    const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint(); let i = 0;
    await Promise.all(Array.from({ length: conc }, async () => { while (i < keys.length) await f(keys[i++]!); }));
    const s = Number(process.hrtime.bigint() - t0) / 1e9; const c = process.cpuUsage(c0);
    console.log(name.padEnd(22), conc, s.toFixed(2), 's', (keys.length / s).toFixed(0).padStart(6), 'files/s  cpu user', (c.user / 1e6).toFixed(2), 'sys', (c.system / 1e6).toFixed(2));
  } }
}
void main();
