import { FsBlobStore } from '@geo/storage';
import { HttpBlobRetriever } from '../../apps/blob-transfer/src/secondary/http-blob-retriever';
const [port, dest, conc, n] = process.argv.slice(2);
const retriever = new HttpBlobRetriever({ baseUrl: `http://127.0.0.1:${port}`, accessKey: 'k', secretAccessKey: 's'.repeat(40), maxSockets: 64 });
const store = new FsBlobStore({ root: dest! });
let bytes = 0;
async function one(id: number): Promise<void> {
  const r = await retriever.retrieve('packages_nuget_symbol', id);
  const out = await store.put(`x/${id}`, r.body, { expect: { size: r.header.size } });
  bytes += out.size;
}
void (async () => {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let i = 0;
  await Promise.all(Array.from({ length: Number(conc) }, async () => { while (i < Number(n)) await one(i++); }));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const u = process.cpuUsage(c0);
  console.log(JSON.stringify({ s, mb_per_s: bytes / 1048576 / s, cpu_ms_per_mb: (u.user + u.system) / 1000 / (bytes / 1048576) }));
  retriever.close();
})();
