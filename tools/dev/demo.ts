/**
 * The main job (`npm run demo`, after `dev:up` started both local sites): creates a group and project
 * on the primary, pushes the real fixture packages through the NuGet push API, waits until the primary
 * verified every symbol and the secondary synced every one, then downloads each symbol from BOTH
 * sites' symbol servers and checks the bytes, printing per-site progress on the way. Exits non-zero
 * unless the secondary serves every symbol byte-identically from its own copy.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { buildNupkg, buildSnupkg, readFixture, testServiceUrls } from '@geo/testing';
import { APP_NAMES } from '@geo/config';
import { DEV_SITES } from './lib/dev-sites-spec';
import { fetchSiteStatus, fetchStoredStatuses } from './lib/site-status';

const ROOT = resolve(__dirname, '../..');
const CONVERGE_TIMEOUT_MS = 120_000;
/** The previous run's project and packages: the next run deletes them (a symbol is unique per signature and path). */
const DEMO_STATE = join(ROOT, '.dev', 'sites', 'demo-state.json');
const DEMO_PACKAGES = [
  { name: 'TestData', version: '1.2.3' },
  { name: 'Demo.Fixtures', version: '1.0.0' },
  { name: 'Demo.Windows', version: '1.0.0' },
] as const;

interface DemoState {
  readonly projectId: number;
  readonly apiKey: string;
}

interface SiteEntry {
  name: string;
  role: 'primary' | 'secondary';
  url: string;
  admin_token: string;
}

interface SymbolRow {
  id: string;
  file: string;
  file_path: string;
  signature: string;
  file_sha256: string;
  state: number | null;
  checksum: string | null;
}

const VERIFICATION = ['pending', 'started', 'succeeded', 'failed', 'disabled'];
const SYNC = ['pending', 'started', 'synced', 'failed'];

/**
 * Runs the `geo` CLI as an operator would and returns its output lines; a non-zero exit (a failed
 * check) is shown, not thrown: the demo's verdict is the convergence above.
 */
function geoCli(args: readonly string[]): string[] {
  const run = spawnSync(join(ROOT, 'tools', 'bin', 'geo'), args, { encoding: 'utf8', timeout: 60_000 });
  const lines = `${run.stdout}${run.stderr}`.trimEnd().split('\n');
  return run.status === 0 ? lines : [...lines, `(geo ${args[0] ?? ''} exited ${run.status ?? run.signal ?? 'abnormally'})`];
}

function section(title: string): void {
  console.log(`\n== ${title}`);
}

function databaseUrl(name: string): string {
  const url = new URL(testServiceUrls().pgAdminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function call(url: string, init: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function until<T>(what: string, probe: () => Promise<{ done: boolean; value: T; progress: string }>): Promise<T> {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  let last = '';
  for (;;) {
    const { done, value, progress } = await probe();
    if (progress !== last) console.log(`  ${progress}`);
    last = progress;
    if (done) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${CONVERGE_TIMEOUT_MS / 1000} s (last: ${progress})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function main(): Promise<void> {
  const sites = JSON.parse(readFileSync(join(ROOT, '.dev', 'sites.json'), 'utf8')) as SiteEntry[];
  const primary = sites.find((s) => s.role === 'primary');
  const secondary = sites.find((s) => s.role === 'secondary');
  const primarySpec = DEV_SITES.find((s) => s.role === 'primary');
  const secondarySpec = DEV_SITES.find((s) => s.role === 'secondary');
  if (primary === undefined || secondary === undefined || primarySpec === undefined || secondarySpec === undefined) {
    throw new Error('.dev/sites.json must list a primary and a secondary (run npm run dev:up)');
  }
  const admin = (method: string, path: string, body: unknown) =>
    call(`${primary.url}/api/v4${path}`, { method, headers: { 'PRIVATE-TOKEN': primary.admin_token, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  section('sites');
  for (const s of sites) console.log(`  ${s.name.padEnd(10)} ${s.role.padEnd(9)} ${s.url}`);

  if (existsSync(DEMO_STATE)) {
    section('removing the previous demo run\'s packages from the primary (their deletion replicates too)');
    const previous = JSON.parse(readFileSync(DEMO_STATE, 'utf8')) as DemoState;
    for (const pkg of DEMO_PACKAGES) {
      const res = await fetch(`${primary.url}/api/v4/projects/${previous.projectId}/packages/nuget/${pkg.name}/${pkg.version}`, {
        method: 'DELETE',
        headers: { 'X-NuGet-ApiKey': previous.apiKey },
      });
      console.log(`  DELETE ${pkg.name} ${pkg.version} → ${res.status}`);
    }
  }

  section('a group and project on the primary (admin REST API), new for this run');
  const suffix = randomBytes(3).toString('hex');
  const ns = await admin('POST', '/namespaces', { name: `Demo ${suffix}`, path: `demo-${suffix}` });
  const project = await admin('POST', '/projects', { name: 'Symbols', path: 'symbols', namespace_id: ns.body.id });
  if (project.status !== 201) throw new Error(`creating the project answered ${project.status}: ${JSON.stringify(project.body)}`);
  const projectId = project.body.id as number;
  const apiKey = project.body.nuget_api_key as string;
  console.log(`  project demo-${suffix}/symbols (id ${projectId}) with a NuGet API key`);
  writeFileSync(DEMO_STATE, JSON.stringify({ projectId, apiKey } satisfies DemoState), { mode: 0o600 });

  const push = async (kind: 'nupkg' | 'snupkg', name: string, bytes: Buffer): Promise<number> => {
    const form = new FormData();
    form.append('package', new Blob([bytes]), name);
    const path = kind === 'nupkg' ? '' : 'symbolpackage';
    const res = await call(`${primary.url}/api/v4/projects/${projectId}/packages/nuget/${path}`, { method: 'PUT', headers: { 'X-NuGet-ApiKey': apiKey }, body: form });
    console.log(`  PUT ${name.padEnd(34)} → ${res.status} ${res.status === 201 ? '' : String(res.body.message)}`);
    return res.status;
  };

  section('pushing the fixture packages to the primary (NuGet push protocol)');
  const pushed = async (kind: 'nupkg' | 'snupkg', name: string, bytes: Buffer): Promise<void> => {
    const status = await push(kind, name, bytes);
    if (status !== 201) {
      throw new Error(
        `${name} was refused (${status}); if an older demo run left these symbols on the primary without ${DEMO_STATE}, start over with npm run dev:down && rm -rf .dev/sites`,
      );
    }
  };
  await pushed('nupkg', 'TestData.1.2.3.nupkg', readFixture('baget/TestData.1.2.3.nupkg'));
  await pushed('snupkg', 'TestData.1.2.3.snupkg', readFixture('baget/TestData.1.2.3.snupkg'));
  // The other real portable PDBs of the fixture set, packed as one symbol package.
  const demoPdbs = [
    { path: 'lib/net8.0/System.Threading.Thread.pdb', bytes: readFixture('symstore/dir1/System.Threading.Thread.pdb') },
    { path: 'lib/net8.0/PdbChecksumLib.pdb', bytes: readFixture('cecil/PdbChecksumLib.pdb') },
    { path: 'lib/net8.0/EmptyPdb.pdb', bytes: readFixture('cecil/EmptyPdb.pdb') },
    { path: 'lib/net8.0/pdb-mismatch.pdb', bytes: readFixture('cecil/pdb-mismatch.pdb') },
  ];
  await pushed('nupkg', 'Demo.Fixtures.1.0.0.nupkg', buildNupkg({ id: 'Demo.Fixtures', version: '1.0.0' }));
  await pushed('snupkg', 'Demo.Fixtures.1.0.0.snupkg', buildSnupkg({ id: 'Demo.Fixtures', version: '1.0.0', pdbs: demoPdbs }));
  console.log('  a Windows (MSF) PDB is refused, as nuget.org and GitLab do:');
  await pushed('nupkg', 'Demo.Windows.1.0.0.nupkg', buildNupkg({ id: 'Demo.Windows', version: '1.0.0' }));
  await push('snupkg', 'Demo.Windows.1.0.0.snupkg', buildSnupkg({ id: 'Demo.Windows', version: '1.0.0', pdbs: [{ path: 'lib/net8.0/HelloWorld.pdb', bytes: readFixture('symstore/HelloWorld.pdb') }] }));

  const primaryDb = new Client({ connectionString: databaseUrl(primarySpec.database) });
  const secondaryDb = new Client({ connectionString: databaseUrl(secondarySpec.database) });
  await primaryDb.connect();
  await secondaryDb.connect();
  try {
    section('primary: verification (checksum app) and event relay (event-log app)');
    const rows = await until('primary verification', async () => {
      const found = (
        await primaryDb.query<SymbolRow>(
          `SELECT s.id, s.file, s.file_path, s.signature, encode(s.file_sha256, 'hex') AS file_sha256,
                  st.verification_state AS state, encode(st.verification_checksum, 'hex') AS checksum
             FROM packages_nuget_symbols s LEFT JOIN packages_nuget_symbol_states st ON st.packages_nuget_symbol_id = s.id
            WHERE s.project_id = $1 ORDER BY s.id`,
          [projectId],
        )
      ).rows;
      const unrelayed = Number((await primaryDb.query<{ n: string }>('SELECT count(*) AS n FROM geo_events WHERE relayed_at IS NULL')).rows[0]!.n);
      const verified = found.filter((r) => r.state === 2).length;
      return { done: found.length > 0 && verified === found.length && unrelayed === 0, value: found, progress: `primary: ${verified}/${found.length} verified, ${unrelayed} events not yet relayed` };
    });
    for (const r of rows) {
      console.log(`  #${r.id} ${r.file_path.padEnd(40)} ${r.signature}  ${VERIFICATION[r.state ?? -1] ?? 'no state'}  sha256 ${r.checksum?.slice(0, 16) ?? '-'}…`);
    }

    section('secondary: event consumer, consistency sweep, scheduler and blob-transfer workers');
    const ids = rows.map((r) => Number(r.id));
    await until('secondary convergence', async () => {
      const states = (
        await secondaryDb.query<{ state: number; verification_state: number; n: string }>(
          `SELECT state, verification_state, count(*) AS n FROM packages_nuget_symbol_registry
            WHERE packages_nuget_symbol_id = ANY($1::bigint[]) GROUP BY state, verification_state ORDER BY state`,
          [ids],
        )
      ).rows;
      const count = (state: number) => states.filter((s) => s.state === state).reduce((n, s) => n + Number(s.n), 0);
      const tracked = states.reduce((n, s) => n + Number(s.n), 0);
      const synced = count(2);
      // Secondary verification (checksum app): each synced copy hashed again and compared with the primary's checksum.
      const verified = states.filter((s) => s.state === 2 && s.verification_state === 2).reduce((n, s) => n + Number(s.n), 0);
      const detail = SYNC.map((name, i) => `${count(i)} ${name}`).join(', ');
      return {
        done: synced === ids.length && verified === ids.length,
        value: undefined,
        progress: `secondary: ${tracked}/${ids.length} registries (${detail}), ${verified} verified against the primary's checksum`,
      };
    });

    section('symbol server on both sites (SSQP key + SymbolChecksum header)');
    let identical = 0;
    for (const r of rows) {
      const path = `/api/v4/projects/${projectId}/packages/nuget/symbolfiles/${r.file}/${r.signature.toLowerCase()}/${r.file}`;
      const headers = { SymbolChecksum: `SHA256:${r.file_sha256}` };
      const [fromPrimary, fromSecondary] = await Promise.all([fetch(`${primary.url}${path}`, { headers }), fetch(`${secondary.url}${path}`, { headers })]);
      const [a, b] = [Buffer.from(await fromPrimary.arrayBuffer()), Buffer.from(await fromSecondary.arrayBuffer())];
      const servedFrom = fromSecondary.headers.get('x-geo-served-from');
      const same = fromPrimary.status === 200 && fromSecondary.status === 200 && a.equals(b) && createHash('sha256').update(b).digest('hex') === r.checksum;
      if (same && servedFrom === 'secondary') identical += 1;
      console.log(`  ${r.file.padEnd(28)} primary ${fromPrimary.status}, secondary ${fromSecondary.status} (served from ${servedFrom}), ${b.length} bytes${same ? ', byte-identical' : ', DIFFERENT'}`);
    }

    section('GeoNodeStatus of each site (waiting for statuses that count every symbol)');
    const statusAddress = (spec: (typeof DEV_SITES)[number]): string => `127.0.0.1:${spec.grpcBasePort + APP_NAMES.indexOf('status')}`;
    const secondaryStatus = await until('secondary status', async () => {
      const status = await fetchSiteStatus(statusAddress(secondarySpec));
      const r = Object.values(status.replicables)[0];
      // GetStatus may answer with a status up to 10 s old (ON_DEMAND_REUSE_MS): wait for one that counts every symbol.
      const converged = r !== undefined && r.registryCount === ids.length && r.verifiedCount === ids.length;
      return { done: converged, value: status, progress: `secondary status: ${status.healthStatus}, ${r?.verifiedCount ?? 0}/${r?.registryCount ?? 0} verified` };
    });
    // Secondaries push their status every GEO_STATUS_INTERVAL_SECONDS (10 s for local sites).
    const stored = await until('the secondary\'s status pushed to the primary', async () => {
      const copy = (await fetchStoredStatuses(statusAddress(primarySpec))).find((st) => st.name === secondarySpec.name);
      const r = copy === undefined ? undefined : Object.values(copy.replicables)[0];
      const counted = r?.registryCount ?? 0;
      return { done: counted === ids.length && r?.verifiedCount === ids.length, value: copy, progress: `the primary's copy of ${secondarySpec.name}'s status counts ${counted}/${ids.length} registries` };
    });
    console.log(`  the primary's stored copy of ${secondarySpec.name}: ${stored?.healthStatus ?? '-'}, pushed ${stored?.updatedAt?.toISOString() ?? '-'}`);
    // Shown as an operator sees them: `geo status` (the REST status API) of each gateway. The
    // secondary's answers with its own live status, the primary's with its own and the stored copy.
    for (const site of [secondary, primary]) {
      console.log(`\n  \`geo status\` against the ${site.role} gateway (${site.url}/api/v4/geo_sites/status):`);
      for (const line of geoCli(['status', '--url', site.url, '--token', site.admin_token])) console.log(`    ${line}`);
    }

    section('summary');
    console.log(`primary:   ${rows.length} symbols stored and verified`);
    console.log(`secondary: ${ids.length} synced and verified, ${identical} served from its own copy byte-identical to the primary's; ${secondaryStatus.healthStatus}`);
    if (identical !== rows.length) throw new Error('the secondary did not serve every symbol from its own identical copy');

    section('operator surfaces: `geo check` against the secondary gateway');
    for (const line of geoCli(['check', '--url', secondary.url, '--token', secondary.admin_token])) console.log(`  ${line}`);
    console.log('\neach gateway also serves (admin token in PRIVATE-TOKEN; `npm run demo -- --keep` leaves the sites up):');
    for (const site of [primary, secondary]) {
      console.log(`  ${site.role.padEnd(9)} admin page ${site.url}/admin/geo · GraphQL ${site.url}/api/graphql · Prometheus ${site.url}/metrics`);
    }
  } finally {
    await primaryDb.end();
    await secondaryDb.end();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
