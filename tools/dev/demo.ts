/**
 * The main job (`npm run demo`, after tools/dev/demo made the services available): boots a primary
 * and a secondary site on loopback as real processes, pushes the real fixture packages to the
 * primary through its HTTP API, waits for the primary to verify every symbol, downloads each one by
 * its SSQP key and checksum, and prints what it saw. Replication to the secondary and GeoNodeStatus
 * come with the next issues; the demo says so instead of pretending.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { APP_NAMES } from '@geo/config';
import { migrate } from '@geo/pg';
import { buildNupkg, buildSnupkg, readFixture, privateNatsServer, testServiceUrls } from '@geo/testing';
import { startSite, type RunningSite } from './lib/site-processes';

const ROOT = resolve(__dirname, '../..');
const DEMO = join(ROOT, '.dev', 'demo');

interface SymbolRow {
  id: string;
  file: string;
  file_path: string;
  signature: string;
  file_sha256: string;
  size: number;
  state: number | null;
  checksum: string | null;
}

const VERIFICATION_STATE_NAMES = ['pending', 'started', 'succeeded', 'failed', 'disabled'];

function section(title: string): void {
  console.log(`\n== ${title}`);
}

async function recreateDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function call(url: string, init: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function main(): Promise<void> {
  const services = testServiceUrls();
  rmSync(DEMO, { recursive: true, force: true });
  mkdirSync(DEMO, { recursive: true });
  const adminToken = randomBytes(24).toString('hex');
  const sites: RunningSite[] = [];
  // A private NATS server: the demo's event ids restart at 1 on every run, and a shared stream would
  // (rightly) drop them as duplicates of the previous run's within its dedupe window.
  const nats = await privateNatsServer();
  await nats.start();
  try {
    section('databases');
    const primaryDb = await recreateDatabase(services.pgAdminUrl, 'geo_demo_primary');
    const secondaryDb = await recreateDatabase(services.pgAdminUrl, 'geo_demo_secondary');
    await migrate({ role: 'primary', databaseUrl: primaryDb });
    await migrate({ role: 'secondary', databaseUrl: secondaryDb });
    console.log('geo_demo_primary and geo_demo_secondary created and migrated');

    section('starting both sites (logs in .dev/demo/<site>/logs)');
    const primary = await startSite({
      name: 'primary',
      role: 'primary',
      databaseUrl: primaryDb,
      natsUrl: nats.url,
      blobRoot: join(DEMO, 'primary', 'blobs'),
      adminToken,
      logDir: join(DEMO, 'primary', 'logs'),
    });
    sites.push(primary);
    console.log(`primary: ${APP_NAMES.length} apps SERVING, gateway at ${primary.url}`);
    // The secondary's event consumer is issue 4; its event-log refuses to start as a secondary until then.
    const secondaryApps = APP_NAMES.filter((app) => app !== 'event-log');
    const secondary = await startSite({
      name: 'secondary',
      role: 'secondary',
      databaseUrl: secondaryDb,
      natsUrl: nats.url,
      blobRoot: join(DEMO, 'secondary', 'blobs'),
      adminToken,
      logDir: join(DEMO, 'secondary', 'logs'),
      apps: secondaryApps,
      env: { GEO_PRIMARY_GRPC_URL: 'http://127.0.0.1:1', GEO_ACCESS_KEY: 'pending', GEO_SECRET_ACCESS_KEY: 'pending' },
    });
    sites.push(secondary);
    console.log(`secondary: ${secondaryApps.length} apps SERVING, gateway at ${secondary.url}`);

    const base = primary.url!;
    const admin = (method: string, path: string, body: unknown) =>
      call(`${base}/api/v4${path}`, { method, headers: { 'PRIVATE-TOKEN': adminToken, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    section('sites, group and project on the primary (admin REST API)');
    await admin('POST', '/geo_sites', { name: 'primary', url: base, primary: true });
    const sec = await admin('POST', '/geo_sites', { name: 'secondary', url: secondary.url, primary: false });
    console.log(`registered primary and secondary (secondary access key ${String(sec.body.access_key).slice(0, 8)}…, secret shown once)`);
    const ns = await admin('POST', '/namespaces', { name: 'Demo', path: 'demo' });
    const project = await admin('POST', '/projects', { name: 'Symbols', path: 'symbols', namespace_id: ns.body.id });
    const projectId = project.body.id as number;
    const apiKey = project.body.nuget_api_key as string;
    console.log(`project demo/symbols (id ${projectId}) with a NuGet API key`);

    const push = async (kind: 'nupkg' | 'snupkg', name: string, bytes: Buffer): Promise<void> => {
      const form = new FormData();
      form.append('package', new Blob([bytes]), name);
      const path = kind === 'nupkg' ? '' : 'symbolpackage';
      const res = await call(`${base}/api/v4/projects/${projectId}/packages/nuget/${path}`, { method: 'PUT', headers: { 'X-NuGet-ApiKey': apiKey }, body: form });
      console.log(`  PUT ${name.padEnd(34)} → ${res.status} ${res.status === 201 ? '' : String(res.body.message)}`);
    };

    section('pushing the fixture packages (NuGet push protocol)');
    await push('nupkg', 'TestData.1.2.3.nupkg', readFixture('baget/TestData.1.2.3.nupkg'));
    await push('snupkg', 'TestData.1.2.3.snupkg', readFixture('baget/TestData.1.2.3.snupkg'));
    // The other real portable PDBs of the fixture set, packed as one symbol package.
    const demoPdbs = [
      { path: 'lib/net8.0/System.Threading.Thread.pdb', bytes: readFixture('symstore/dir1/System.Threading.Thread.pdb') },
      { path: 'lib/net8.0/PdbChecksumLib.pdb', bytes: readFixture('cecil/PdbChecksumLib.pdb') },
      { path: 'lib/net8.0/EmptyPdb.pdb', bytes: readFixture('cecil/EmptyPdb.pdb') },
      { path: 'lib/net8.0/pdb-mismatch.pdb', bytes: readFixture('cecil/pdb-mismatch.pdb') },
    ];
    await push('nupkg', 'Demo.Fixtures.1.0.0.nupkg', buildNupkg({ id: 'Demo.Fixtures', version: '1.0.0' }));
    await push('snupkg', 'Demo.Fixtures.1.0.0.snupkg', buildSnupkg({ id: 'Demo.Fixtures', version: '1.0.0', pdbs: demoPdbs }));
    console.log('  a Windows (MSF) PDB is refused, as nuget.org and GitLab do:');
    await push('nupkg', 'Demo.Windows.1.0.0.nupkg', buildNupkg({ id: 'Demo.Windows', version: '1.0.0' }));
    await push('snupkg', 'Demo.Windows.1.0.0.snupkg', buildSnupkg({ id: 'Demo.Windows', version: '1.0.0', pdbs: [{ path: 'lib/net8.0/HelloWorld.pdb', bytes: readFixture('symstore/HelloWorld.pdb') }] }));

    section('primary verification (checksum app: SHA-256 of every stored blob)');
    const pg = new Client({ connectionString: primaryDb });
    await pg.connect();
    let rows: SymbolRow[] = [];
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        rows = (
          await pg.query<SymbolRow>(
            `SELECT s.id, s.file, s.file_path, s.signature, encode(s.file_sha256, 'hex') AS file_sha256, s.size,
                    st.verification_state AS state, encode(st.verification_checksum, 'hex') AS checksum
               FROM packages_nuget_symbols s LEFT JOIN packages_nuget_symbol_states st ON st.packages_nuget_symbol_id = s.id ORDER BY s.id`,
          )
        ).rows;
        const unrelayed = await pg.query<{ n: string }>('SELECT count(*) AS n FROM geo_events WHERE relayed_at IS NULL');
        if ((rows.every((r) => r.state === 2) && unrelayed.rows[0]!.n === '0') || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const events = await pg.query<{ event_name: string; n: string; relayed: string }>(
        'SELECT event_name, count(*) AS n, count(relayed_at) AS relayed FROM geo_events GROUP BY event_name ORDER BY event_name',
      );
      for (const r of rows) {
        console.log(
          `  #${r.id} ${r.file_path.padEnd(40)} ${r.signature}  ${VERIFICATION_STATE_NAMES[r.state ?? -1] ?? 'no state'}  sha256 ${r.checksum?.slice(0, 16) ?? '-'}…`,
        );
      }
      section('outbox events (relayed to JetStream GEO_EVENTS)');
      for (const e of events.rows) console.log(`  ${e.event_name.padEnd(20)} ${e.n} written, ${e.relayed} relayed`);
    } finally {
      await pg.end();
    }

    section('symbol server (SSQP key + SymbolChecksum header)');
    let served = 0;
    for (const r of rows) {
      const url = `${base}/api/v4/projects/${projectId}/packages/nuget/symbolfiles/${r.file}/${r.signature.toLowerCase()}/${r.file}`;
      const res = await fetch(url, { headers: { SymbolChecksum: `SHA256:${r.file_sha256}` } });
      const bytes = Buffer.from(await res.arrayBuffer());
      const ok = res.status === 200 && createHash('sha256').update(bytes).digest('hex') === r.checksum;
      if (ok) served += 1;
      console.log(`  GET ${r.file}/${r.signature.toLowerCase()}/${r.file} → ${res.status}, ${bytes.length} bytes${ok ? ', matches the verified checksum' : ''}`);
    }

    const verified = rows.filter((r) => r.state === 2).length;
    section('summary');
    console.log(`primary: ${rows.length} symbols stored, ${verified} verified, ${served} served byte-exact by the symbol server`);
    console.log('not built yet: replication to the secondary (issue 4), secondary verification and GeoNodeStatus (issue 5),');
    console.log('               REST status/GraphQL/Prometheus, admin page and geo CLI status (issue 6)');
    if (rows.length === 0 || verified !== rows.length || served !== rows.length) throw new Error('the primary did not store, verify and serve every symbol');
  } finally {
    for (const site of sites.reverse()) await site.stop();
    await nats.dispose();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
