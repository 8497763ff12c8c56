import { applyVerificationEvent } from '@geo/domain';
import { createPool, migrate, PgVerificationStateRepository, withTransaction, GeoEventWriter, EventOutboxRepository, type VerificationClaim } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase } from '@geo/testing';
import { insertSymbolRows } from './lib/verify-fixture';

async function main() {
  const files = 10000;
  const db = await createTestDatabase('geo_bench_pg');
  const pool = createPool({ databaseUrl: db.url, max: Number(process.env['POOL'] ?? 10) });
  try {
    await migrate({ role: 'primary', databaseUrl: db.url });
    await insertSymbolRows(pool, Array.from({ length: files }, (_, i) => ({ key: `k/${i}`, size: 100 })));
    await pool.query(`INSERT INTO geo_sites (name, url, "primary", enabled) VALUES ('s', 'http://x', false, true)`);
    const repo = new PgVerificationStateRepository(pool, packagesNugetSymbol);
    const events = new GeoEventWriter(new EventOutboxRepository(pool), () => true);
    const conc = Number(process.env['CONC'] ?? 20);
    const per = Number(process.env['PER'] ?? 10);
    let t = process.hrtime.bigint();
    const claims: VerificationClaim[][] = [];
    await Promise.all(Array.from({ length: conc }, async () => { for (;;) { const c = await repo.claimBatch(per); if (c.length === 0) return; claims.push(c); } }));
    const claimS = Number(process.hrtime.bigint() - t) / 1e9;
    const now = new Date();
    let i = 0;
    t = process.hrtime.bigint();
    const mode = process.env['MODE'] ?? 'tx';
    await Promise.all(Array.from({ length: conc }, async () => {
      while (i < claims.length) {
        const batch = claims[i++]!;
        const results = batch.map((c) => ({ claim: c, next: applyVerificationEvent(c.state, { event: 'verification_succeeded', checksum: 'ab'.repeat(32) }, { now, random: () => 0 }) }));
        if (mode === 'plain') { await repo.recordResults(results); continue; }
        await withTransaction(pool, async (tx) => {
          if (mode === 'async') await tx.query('SET LOCAL synchronous_commit = off');
          const rec = await repo.recordResults(results, tx);
          await events.write(tx, rec.map((r) => ({ replicableName: 'packages_nuget_symbol', eventName: 'checksum_succeeded', payload: { model_record_id: r.modelId } })));
        });
      }
    }));
    const recS = Number(process.hrtime.bigint() - t) / 1e9;
    console.log(`mode=${mode} conc=${conc} per=${per} claims ${claims.length} in ${claimS.toFixed(2)} s (${(claims.length / claimS).toFixed(0)}/s); records in ${recS.toFixed(2)} s (${(claims.length / recS).toFixed(0)}/s)`);
  } finally { await pool.end(); await db.drop(); }
}
void main().then(() => process.exit(0));
