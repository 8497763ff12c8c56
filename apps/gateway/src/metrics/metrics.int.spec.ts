/**
 * `GET /metrics` end to end (issue 6 acceptance, metrics line): the primary's status, registry and
 * checksum apps and a secondary's status app run as real processes against real PostgreSQL and a
 * private nats-server per site; a primary and a secondary gateway serve `/metrics`. Asserts that
 * every `geo_*` gauge equals the REST status field it comes from, for both sites, on both gateways;
 * that the checksum app's histogram is scraped and a dead sibling is reported, not fatal; and that
 * `promtool check metrics` accepts the body without a complaint (CI installs Debian's
 * `prometheus`; without promtool the check fails under CI=true).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { geoEventsStream } from '@geo/nats';
import { createPool, migrate } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import { FsBlobStore } from '@geo/storage';
import { appProcess, type AppProcess, createSitePair, freePort, type SitePair, uniqueName } from '@geo/testing';
import { startGatewayUnderTest, TEST_ADMIN_TOKEN, type GatewayUnderTest } from '../testing/gateway-under-test';
import { gaugeFields } from './status-gauges';

jest.setTimeout(180_000);

const SYMBOLS = 3;
const FIELDS = gaugeFields([packagesNugetSymbol]);

let sites: SitePair;
let primaryName: string;
let secondaryName: string;
let apps: AppProcess[] = [];
let primaryGateway: GatewayUnderTest;
let secondaryGateway: GatewayUnderTest;

/** Symbols (namespace → project → package → symbols, the nuget app's rows) with their blobs in the primary's store. */
async function seedSymbols(pool: Pool, store: FsBlobStore, count: number): Promise<void> {
  const tag = uniqueName('m');
  const keys: string[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const bytes = randomBytes(1024 + i);
    keys.push(`packages/nuget/symbols/${tag}/${i}/file.pdb`);
    sizes.push(bytes.length);
    await store.put(keys[i]!, bytes);
  }
  const ns = await pool.query<{ id: string }>('INSERT INTO namespaces (name, path) VALUES ($1, $1) RETURNING id', [`group-${tag}`]);
  const project = await pool.query<{ id: string }>("INSERT INTO projects (name, path, namespace_id) VALUES ('p', 'p', $1) RETURNING id", [ns.rows[0]!.id]);
  const pkg = await pool.query<{ id: string }>("INSERT INTO packages_packages (project_id, name, version, package_type) VALUES ($1, 'Pkg', '1.0.0', 4) RETURNING id", [project.rows[0]!.id]);
  const rows = await pool.query<{ id: string }>(
    `INSERT INTO packages_nuget_symbols (created_at, updated_at, package_id, project_id, size, file_store, file, file_path, signature, object_storage_key)
     SELECT now(), now(), $1, $2, s, 1, 'file.pdb', 'file.pdb', $3 || '-' || n, k
     FROM unnest($4::text[], $5::int[]) WITH ORDINALITY AS t(k, s, n) RETURNING id`,
    [pkg.rows[0]!.id, project.rows[0]!.id, tag, keys, sizes],
  );
  await pool.query('INSERT INTO packages_nuget_symbol_states (packages_nuget_symbol_id) SELECT unnest($1::bigint[])', [rows.rows.map((r) => r.id)]);
}

/** Secondary registry rows: one pending, one synced and verified, one failed. */
async function seedRegistry(pool: Pool): Promise<void> {
  await pool.query(
    `INSERT INTO packages_nuget_symbol_registry (packages_nuget_symbol_id, created_at, state, verification_state, last_sync_failure)
     VALUES (1, now(), 0, 0, NULL), (2, now(), 2, 2, NULL), (3, now(), 3, 0, 'Error syncing')`,
  );
}

beforeAll(async () => {
  const [primaryStatusPort, registryPort, checksumPort, secondaryStatusPort, deadPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  sites = await createSitePair('gw_metrics', {
    pg: { migrate, createPool },
    primaryStreams: [geoEventsStream()],
    primaryGrpcUrl: `http://127.0.0.1:${registryPort}`,
    primaryStatusGrpcUrl: `http://127.0.0.1:${primaryStatusPort}`,
  });
  const { primary, secondary } = sites;
  [primaryName, secondaryName] = [primary.name, secondary.name];
  await seedSymbols(primary.pool, new FsBlobStore({ root: primary.blobStoreRoot }), SYMBOLS);
  await seedRegistry(secondary.pool);

  const primaryStatus = appProcess('status', { ...primary.env, GEO_STATUS_INTERVAL_SECONDS: '1', GEO_STATUS_GRPC_PORT: String(primaryStatusPort) });
  const registry = appProcess('registry', { ...primary.env, GEO_REGISTRY_GRPC_PORT: String(registryPort) });
  const checksum = appProcess('checksum', { ...primary.env, GEO_CHECKSUM_GRPC_PORT: String(checksumPort) });
  const secondaryStatus = appProcess('status', { ...secondary.env, GEO_STATUS_INTERVAL_SECONDS: '1', GEO_STATUS_GRPC_PORT: String(secondaryStatusPort) });
  apps = [primaryStatus, registry, checksum, secondaryStatus];
  await Promise.all([primaryStatus.start(), registry.start(), checksum.start()]);
  await secondaryStatus.start();

  primaryGateway = await startGatewayUnderTest({
    siteName: primaryName,
    statusTarget: `127.0.0.1:${primaryStatusPort}`,
    // blob-transfer is not running: its scrape fails and is reported, the rest is served.
    metricsTargets: { 'blob-transfer': `127.0.0.1:${deadPort}`, checksum: `127.0.0.1:${checksumPort}` },
  });
  secondaryGateway = await startGatewayUnderTest({ role: 'secondary', siteName: secondaryName, statusTarget: `127.0.0.1:${secondaryStatusPort}`, primaryHttpUrl: primaryGateway.baseUrl });
});

afterAll(async () => {
  await primaryGateway?.close();
  await secondaryGateway?.close();
  for (const app of apps) await app.stop();
  await sites?.dispose();
});

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a text exposition (enough of the format for what the gateway writes). */
function parseSamples(body: string): Sample[] {
  return body.split('\n').flatMap((line) => {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) return [];
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    return [{ name: match[1]!, labels, value: Number(match[3]) }];
  });
}

/** `# TYPE` of every family. */
function familyTypes(body: string): Record<string, string> {
  return Object.fromEntries([...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

async function metrics(gateway: GatewayUnderTest): Promise<{ status: number; contentType: string | null; body: string }> {
  const response = await fetch(`${gateway.baseUrl}/metrics`);
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

type StatusJson = Record<string, unknown> & { geo_node_id: number | null };

async function restStatuses(gateway: GatewayUnderTest): Promise<Map<string, StatusJson>> {
  const response = await fetch(`${gateway.baseUrl}/api/v4/geo_sites/status`, { headers: { 'private-token': TEST_ADMIN_TOKEN } });
  expect(response.status).toBe(200);
  const list = (await response.json()) as StatusJson[];
  // The REST entity has no name; the gauges' `name` label is the site name: map ids to names.
  const names = new Map<number | null, string>(
    (await sites.primary.pool.query<{ id: string; name: string }>('SELECT id, name FROM geo_sites')).rows.map((r) => [Number(r.id), r.name]),
  );
  return new Map(list.map((s) => [names.get(s.geo_node_id) ?? '?', s]));
}

/** The gauge fields of a REST status (only what is exported: integers). */
function expectedGauges(json: StatusJson): Record<string, number> {
  return Object.fromEntries(
    FIELDS.flatMap(({ field, gauge }) => {
      const value = json[field];
      return typeof value === 'number' && Number.isInteger(value) ? [[gauge, value]] : [];
    }),
  );
}

function gaugesOf(samples: readonly Sample[], site: string): Record<string, number> {
  const names = new Set(FIELDS.map((f) => f.gauge));
  return Object.fromEntries(samples.filter((s) => names.has(s.name) && s.labels['name'] === site).map((s) => [s.name, s.value]));
}

/**
 * REST, /metrics, REST again until both REST answers agree (statuses are recomputed every second),
 * and `ready` holds for them; returns that REST answer and the /metrics body read between.
 */
async function consistentSnapshot(gateway: GatewayUnderTest, ready: (rest: Map<string, StatusJson>) => boolean): Promise<{ rest: Map<string, StatusJson>; body: string }> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const before = await restStatuses(gateway);
    const { body } = await metrics(gateway);
    const after = await restStatuses(gateway);
    const same = [...before].every(([site, json]) => JSON.stringify(expectedGauges(json)) === JSON.stringify(expectedGauges(after.get(site) ?? { geo_node_id: null })));
    if (same && before.size === after.size && ready(before)) return { rest: before, body };
    if (Date.now() > deadline) throw new Error(`no consistent, ready snapshot: ${JSON.stringify([...before])}\n${apps.map((a) => a.tail()).join('\n')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const f = (suffix: string) => `packages_nuget_symbols_${suffix}`;

/** Both statuses on the primary, every symbol checksummed, and the secondary's registry counted. */
function primaryReady(rest: Map<string, StatusJson>): boolean {
  const primary = rest.get(primaryName);
  const secondary = rest.get(secondaryName);
  return primary?.[f('checksummed_count')] === SYMBOLS && secondary?.[f('registry_count')] === 3;
}

function promtool(body: string): { missing: true } | { missing: false; status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
  if (run.error !== undefined && 'code' in run.error && run.error.code === 'ENOENT') return { missing: true };
  return { missing: false, status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('GET /metrics on the primary', () => {
  it("has GitLab's gauges for both sites, each equal to its REST status field", async () => {
    const { rest, body } = await consistentSnapshot(primaryGateway, primaryReady);
    const samples = parseSamples(body);
    for (const site of [primaryName, secondaryName]) expect(gaugesOf(samples, site)).toEqual(expectedGauges(rest.get(site)!));
    // Not vacuous: the values the seed and the checksum app produced.
    expect(gaugesOf(samples, primaryName)).toMatchObject({
      geo_packages_nuget_symbols: SYMBOLS,
      geo_packages_nuget_symbols_checksum_total: SYMBOLS,
      geo_packages_nuget_symbols_checksummed: SYMBOLS,
      geo_packages_nuget_symbols_checksum_failed: 0,
    });
    expect(gaugesOf(samples, secondaryName)).toMatchObject({
      geo_packages_nuget_symbols: 3,
      geo_packages_nuget_symbols_registry: 3,
      geo_packages_nuget_symbols_synced: 1,
      geo_packages_nuget_symbols_failed: 1,
      geo_packages_nuget_symbols_verified: 1,
      geo_packages_nuget_symbols_verification_total: 1,
      geo_packages_nuget_symbols_verification_failed: 0,
    });
    // Every sample of a gauge family is labelled name = url = a site name.
    for (const s of samples.filter((x) => FIELDS.some((fd) => fd.gauge === x.name))) expect(s.labels).toEqual({ name: s.labels['name'], url: s.labels['name'] });
  });

  it("includes the checksum app's histogram, and reports the dead blob-transfer app instead of failing", async () => {
    const { body } = await consistentSnapshot(primaryGateway, primaryReady);
    const samples = parseSamples(body);
    const up = Object.fromEntries(samples.filter((s) => s.name === 'geo_metrics_scrape_up').map((s) => [s.labels['app'], s.value]));
    expect(up).toEqual({ status: 1, checksum: 1, 'blob-transfer': 0 });
    expect(familyTypes(body)).toMatchObject({
      geo_verification_batch_duration_seconds: 'histogram',
      geo_packages_nuget_symbols: 'gauge',
      geo_packages_nuget_symbols_checksum_total: 'untyped',
      geo_metrics_scrape_up: 'gauge',
    });
    const batches = samples.find((s) => s.name === 'geo_verification_batch_duration_seconds_count' && s.labels['replicable'] === packagesNugetSymbol.name);
    expect(batches?.value).toBeGreaterThanOrEqual(1);
  });

  it('answers in the Prometheus text format that promtool accepts without a complaint', async () => {
    const { body } = await consistentSnapshot(primaryGateway, primaryReady);
    const answer = await metrics(primaryGateway);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const check = promtool(body);
    if (check.missing) {
      if (process.env['CI'] === 'true') throw new Error('promtool is missing: .ci/run installs Debian\'s prometheus package for this check');
      console.warn('promtool not installed: skipping the promtool check (it is required under CI=true)');
      return;
    }
    expect({ status: check.status, output: check.output }).toEqual({ status: 0, output: '' });
  });
});

describe('GET /metrics on a secondary', () => {
  it('has its own gauges, equal to its REST status, and its status push counter; promtool accepts it', async () => {
    const { rest, body } = await consistentSnapshot(secondaryGateway, (r) => r.get(secondaryName)?.[f('registry_count')] === 3);
    const samples = parseSamples(body);
    expect([...rest.keys()]).toEqual([secondaryName]);
    expect(gaugesOf(samples, secondaryName)).toEqual(expectedGauges(rest.get(secondaryName)!));
    expect(gaugesOf(samples, secondaryName)['geo_packages_nuget_symbols_synced']).toBe(1);
    expect(samples.some((s) => s.labels['name'] === primaryName)).toBe(false);
    expect(familyTypes(body)['geo_status_failed_total']).toBe('counter');
    expect(samples.find((s) => s.name === 'geo_status_failed_total')?.labels).toEqual({ name: secondaryName, url: secondaryName });
    const check = promtool(body);
    if (!check.missing) expect({ status: check.status, output: check.output }).toEqual({ status: 0, output: '' });
    else if (process.env['CI'] === 'true') throw new Error('promtool is missing under CI=true');
  });

  it('is not behind the admin token (a Prometheus target)', async () => {
    expect((await metrics(secondaryGateway)).status).toBe(200);
  });
});
