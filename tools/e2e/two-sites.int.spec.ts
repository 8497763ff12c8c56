/**
 * A primary and a secondary site as real processes (issue 4's acceptance): replication of the real
 * fixtures served from the secondary's own copies, deletes (also outside the selective-sync scope),
 * narrowing and widening the scope, a blob missing on the primary, backfill through the consistency
 * sweep without events, and kill -9 of the secondary's blob-transfer in the middle of 10,000 blobs.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SITE_LOOKUP_TTL_MS } from '@geo/grpc';
import { FsBlobStore } from '@geo/storage';
import { buildNupkg, buildSnupkg, readFixture } from '@geo/testing';
import { insertSymbolRows, writeRandomBlobs } from '../bench/lib/verify-fixture';
import { startTwoSites, type TwoSites } from '../dev/lib/two-sites';

jest.setTimeout(300_000);

/** Fast sweeps for the scope and backfill cases (production: 60 s). */
const SECONDARY_ENV = { GEO_REGISTRY_SWEEP_INTERVAL_SECONDS: '2' };
const SYNCED = 2;
const FAILED = 3;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, site?: TwoSites): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const logs = site?.secondary.site === undefined ? '' : ['registry', 'blob-transfer', 'event-log'].map((a) => `--- ${a}\n${site.secondary.site!.logTail(a as 'registry')}`).join('\n');
      throw new Error(`timed out waiting for ${what}${last === undefined ? '' : ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})`}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every file under `root` whose name starts with `tmp_` (the fs store's temp files). */
function tempFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.startsWith('tmp_')) found.push(path);
    }
  };
  walk(root);
  return found;
}

async function registryStates(sites: TwoSites, ids?: readonly number[]): Promise<Map<number, { state: number; failure: string | null }>> {
  const rows = await sites.secondary.pg.query<{ id: string; state: number; last_sync_failure: string | null }>(
    `SELECT packages_nuget_symbol_id AS id, state, last_sync_failure FROM packages_nuget_symbol_registry
      ${ids === undefined ? '' : 'WHERE packages_nuget_symbol_id = ANY($1::bigint[])'}`,
    ids === undefined ? [] : [ids],
  );
  return new Map(rows.rows.map((r) => [Number(r.id), { state: r.state, failure: r.last_sync_failure }]));
}

async function allSynced(sites: TwoSites, ids: readonly number[]): Promise<true | undefined> {
  const states = await registryStates(sites, ids);
  return ids.every((id) => states.get(id)?.state === SYNCED) ? true : undefined;
}

describe('two sites: replication of pushed packages', () => {
  let sites: TwoSites;
  let primaryStore: FsBlobStore;
  let secondaryStore: FsBlobStore;

  interface Project {
    readonly namespaceId: number;
    readonly id: number;
    readonly apiKey: string;
  }

  async function createProject(path: string): Promise<Project> {
    const ns = await sites.admin<{ id: number }>('POST', '/namespaces', { name: path, path });
    const project = await sites.admin<{ id: number; nuget_api_key: string }>('POST', '/projects', { name: 'Symbols', path: 'symbols', namespace_id: ns.id });
    return { namespaceId: ns.id, id: project.id, apiKey: project.nuget_api_key };
  }

  /** NuGet push of one package file to the primary. */
  function put(project: Project, kind: 'nupkg' | 'snupkg', body: Buffer): Promise<Response> {
    const form = new FormData();
    form.append('package', new Blob([body]), `package.${kind}`);
    const suffix = kind === 'nupkg' ? '' : 'symbolpackage';
    return fetch(`${sites.primary.url}/api/v4/projects/${project.id}/packages/nuget/${suffix}`, { method: 'PUT', headers: { 'X-NuGet-ApiKey': project.apiKey }, body: form });
  }

  /** Pushes a .nupkg and its .snupkg; returns the created symbols' ids. */
  async function pushPackage(project: Project, id: string, pdbs: Array<{ path: string; bytes: Buffer }>): Promise<number[]> {
    expect((await put(project, 'nupkg', buildNupkg({ id, version: '1.0.0' }))).status).toBe(201);
    expect((await put(project, 'snupkg', buildSnupkg({ id, version: '1.0.0', pdbs }))).status).toBe(201);
    const rows = await sites.primary.pg.query<{ id: string }>(
      `SELECT s.id FROM packages_nuget_symbols s JOIN packages_packages p ON p.id = s.package_id WHERE p.project_id = $1 AND p.name = $2 ORDER BY s.id`,
      [project.id, id],
    );
    return rows.rows.map((r) => Number(r.id));
  }

  async function blobKeys(ids: readonly number[]): Promise<Map<number, string>> {
    const rows = await sites.primary.pg.query<{ id: string; key: string }>('SELECT id, object_storage_key AS key FROM packages_nuget_symbols WHERE id = ANY($1::bigint[])', [ids]);
    return new Map(rows.rows.map((r) => [Number(r.id), r.key]));
  }

  beforeAll(async () => {
    sites = await startTwoSites({ label: 'e2e_two_sites', secondaryEnv: SECONDARY_ENV });
    primaryStore = new FsBlobStore({ root: sites.primary.blobRoot });
    secondaryStore = new FsBlobStore({ root: sites.secondary.blobRoot });
  });
  afterAll(async () => {
    await sites?.stop();
  });

  it('replicates the real fixtures; the secondary serves byte-identical copies itself', async () => {
    const project = await createProject('fixtures');
    // TestData's .nupkg/.snupkg are the real BaGet fixtures (version 1.2.3); the rest are the other real PDBs.
    expect((await put(project, 'nupkg', readFixture('baget/TestData.1.2.3.nupkg'))).status).toBe(201);
    expect((await put(project, 'snupkg', readFixture('baget/TestData.1.2.3.snupkg'))).status).toBe(201);
    await pushPackage(project, 'Demo.Fixtures', [
      { path: 'lib/net8.0/System.Threading.Thread.pdb', bytes: readFixture('symstore/dir1/System.Threading.Thread.pdb') },
      { path: 'lib/net8.0/PdbChecksumLib.pdb', bytes: readFixture('cecil/PdbChecksumLib.pdb') },
      { path: 'lib/net8.0/EmptyPdb.pdb', bytes: readFixture('cecil/EmptyPdb.pdb') },
      { path: 'lib/net8.0/pdb-mismatch.pdb', bytes: readFixture('cecil/pdb-mismatch.pdb') },
    ]);
    const symbols = (
      await sites.primary.pg.query<{ id: string; file: string; signature: string; sha: string }>(
        "SELECT id, file, signature, encode(file_sha256, 'hex') AS sha FROM packages_nuget_symbols WHERE project_id = $1 ORDER BY id",
        [project.id],
      )
    ).rows;
    expect(symbols).toHaveLength(5);
    const symbolIds = symbols.map((s) => Number(s.id));
    await waitFor('the secondary to sync the fixtures', () => allSynced(sites, symbolIds), 60_000, sites);

    for (const s of symbols) {
      const path = `/api/v4/projects/${project.id}/packages/nuget/symbolfiles/${s.file}/${s.signature.toLowerCase()}/${s.file}`;
      const headers = { SymbolChecksum: `SHA256:${s.sha}` };
      const fromPrimary = await fetch(`${sites.primary.url}${path}`, { headers });
      const fromSecondary = await fetch(`${sites.secondary.site!.url}${path}`, { headers });
      expect(fromPrimary.status).toBe(200);
      expect(fromSecondary.status).toBe(200);
      expect(fromSecondary.headers.get('x-geo-served-from')).toBe('secondary');
      expect(Buffer.from(await fromSecondary.arrayBuffer()).equals(Buffer.from(await fromPrimary.arrayBuffer()))).toBe(true);
    }
  });

  it('a package deleted on the primary disappears from the secondary: registries, records and blobs', async () => {
    const project = await createProject('deletes');
    const ids = await pushPackage(project, 'Delete.Me', [
      { path: 'lib/a.pdb', bytes: readFixture('cecil/PdbChecksumLib.pdb') },
      { path: 'lib/b.pdb', bytes: readFixture('cecil/EmptyPdb.pdb') },
    ]);
    await waitFor('sync before delete', () => allSynced(sites, ids), 60_000, sites);
    const keys = [...(await blobKeys(ids)).values()];
    for (const key of keys) expect(await secondaryStore.exists(key)).toBe(true);

    const res = await fetch(`${sites.primary.url}/api/v4/projects/${project.id}/packages/nuget/Delete.Me/1.0.0`, { method: 'DELETE', headers: { 'X-NuGet-ApiKey': project.apiKey } });
    expect(res.status).toBe(204);
    await waitFor('registries removed', async () => ((await registryStates(sites, ids)).size === 0 ? true : undefined), 30_000, sites);
    for (const key of keys) expect(await secondaryStore.exists(key)).toBe(false);
    const records = await sites.secondary.pg.query('SELECT 1 FROM geo_replicable_records WHERE model_record_id = ANY($1::bigint[])', [ids]);
    expect(records.rowCount).toBe(0);
  });

  it('selective sync: deletes apply outside the scope; narrowing removes, widening adds', async () => {
    const inScope = await createProject('scope-in');
    const outOfScope = await createProject('scope-out');
    const keep = await pushPackage(inScope, 'Scope.Keep', [{ path: 'lib/k.pdb', bytes: readFixture('cecil/PdbChecksumLib.pdb') }]);
    const leave = await pushPackage(outOfScope, 'Scope.Leave', [{ path: 'lib/l.pdb', bytes: readFixture('cecil/EmptyPdb.pdb') }]);
    const deleted = await pushPackage(outOfScope, 'Scope.Deleted', [{ path: 'lib/d.pdb', bytes: readFixture('cecil/pdb-mismatch.pdb') }]);
    await waitFor('everything synced while the scope is everything', () => allSynced(sites, [...keep, ...leave, ...deleted]), 60_000, sites);
    const leaveKey = (await blobKeys(leave)).get(leave[0]!)!;
    const deletedKey = (await blobKeys(deleted)).get(deleted[0]!)!;

    // With the sweep stopped, narrow the scope and delete a record outside it: the event alone must remove it.
    await sites.secondary.site!.stopApp('registry');
    await sites.admin('PUT', `/geo_sites/${sites.secondary.siteId}`, { selective_sync_type: 'namespaces', selective_sync_namespace_ids: [inScope.namespaceId] });
    const narrowedAt = Date.now();
    const del = await fetch(`${sites.primary.url}/api/v4/projects/${outOfScope.id}/packages/nuget/Scope.Deleted/1.0.0`, { method: 'DELETE', headers: { 'X-NuGet-ApiKey': outOfScope.apiKey } });
    expect(del.status).toBe(204);
    await waitFor('the out-of-scope delete event applied', async () => ((await registryStates(sites, deleted)).size === 0 ? true : undefined), 30_000, sites);
    expect(await secondaryStore.exists(deletedKey)).toBe(false);
    // The other out-of-scope record is still there: only the sweep removes it.
    expect((await registryStates(sites, leave)).get(leave[0]!)?.state).toBe(SYNCED);

    await sites.secondary.site!.startApp('registry');
    await waitFor('the sweep to remove the out-of-scope record', async () => ((await registryStates(sites, leave)).size === 0 ? true : undefined), 60_000, sites);
    expect(await secondaryStore.exists(leaveKey)).toBe(false);
    expect((await registryStates(sites, keep)).get(keep[0]!)?.state).toBe(SYNCED);

    // A new out-of-scope push is ignored by the event consumer, once the primary's site cache has
    // expired (a settings change reaches the catalogue within DEFAULT_SITE_LOOKUP_TTL_MS; an event in
    // that window may still be tracked, and the next sweep removes it).
    await new Promise((r) => setTimeout(r, Math.max(0, narrowedAt + DEFAULT_SITE_LOOKUP_TTL_MS + 500 - Date.now())));
    const ignored = await pushPackage(outOfScope, 'Scope.Ignored', [{ path: 'lib/i.pdb', bytes: readFixture('cecil/EmptyPdb.pdb') }]);
    const inScopeNew = await pushPackage(inScope, 'Scope.New', [{ path: 'lib/n.pdb', bytes: readFixture('cecil/pdb-mismatch.pdb') }]);
    await waitFor('the in-scope push synced', () => allSynced(sites, inScopeNew), 60_000, sites);
    expect((await registryStates(sites, ignored)).size).toBe(0);

    // Widening: back to everything; the sweep finds and syncs the out-of-scope records.
    await sites.admin('PUT', `/geo_sites/${sites.secondary.siteId}`, { selective_sync_type: '', selective_sync_namespace_ids: [] });
    await waitFor('widening syncs the records now in scope', () => allSynced(sites, [...leave, ...ignored]), 60_000, sites);
    expect(await secondaryStore.exists(leaveKey)).toBe(true);
  });

  it('a blob missing on the primary fails with GitLab\'s message and backoff; once restored, the next retry syncs it', async () => {
    // Independent of the selective-sync test before it: everything in scope, whatever it left.
    await sites.admin('PUT', `/geo_sites/${sites.secondary.siteId}`, { selective_sync_type: '', selective_sync_namespace_ids: [] });
    const project = await createProject('missing');
    await sites.secondary.site!.stopApp('blob-transfer');
    const ids = await pushPackage(project, 'Missing.Blob', [{ path: 'lib/m.pdb', bytes: readFixture('cecil/PdbChecksumLib.pdb') }]);
    const key = (await blobKeys(ids)).get(ids[0]!)!;
    const bytes = readFileSync(join(sites.primary.blobRoot, key));
    await primaryStore.delete(key);
    const failedAt = Date.now();
    await sites.secondary.site!.startApp('blob-transfer');

    const row = await waitFor(
      'the registry to fail',
      async () => {
        const r = await sites.secondary.pg.query<{ state: number; last_sync_failure: string; retry_count: number; retry_at: Date }>(
          'SELECT state, last_sync_failure, retry_count, retry_at FROM packages_nuget_symbol_registry WHERE packages_nuget_symbol_id = $1',
          [ids[0]],
        );
        return r.rows[0]?.state === FAILED ? r.rows[0] : undefined;
      },
      60_000,
      sites,
    );
    const observedAt = Date.now();
    expect(row.last_sync_failure).toBe('The file is missing on the Geo primary site');
    expect(row.retry_count).toBe(1);
    // First retry: delay(1) = 1 + 15 + rand(0..29) × 2 = 16..74 s after the failure, which happened
    // between `failedAt` and `observedAt` (the 4 h cap only matters from the 11th retry; the download
    // integration test covers it).
    expect(row.retry_at.getTime() - failedAt).toBeGreaterThanOrEqual(16_000);
    expect(row.retry_at.getTime() - observedAt).toBeLessThanOrEqual(74_000);

    await primaryStore.put(key, bytes);
    // Time passes: the retry is due now.
    await sites.secondary.pg.query('UPDATE packages_nuget_symbol_registry SET retry_at = now() - interval \'1 second\' WHERE packages_nuget_symbol_id = $1', [ids[0]]);
    await waitFor('the retry to sync it', () => allSynced(sites, ids), 60_000, sites);
    expect(sha256(readFileSync(join(sites.secondary.blobRoot, key)))).toBe(sha256(bytes));
  });
});

describe('two sites: backfill and crash safety (records the primary has without events)', () => {
  let sites: TwoSites;

  afterEach(async () => {
    await sites?.stop();
  });

  async function seed(count: number): Promise<{ keys: string[] }> {
    const store = new FsBlobStore({ root: sites.primary.blobRoot });
    const blobs = await writeRandomBlobs(store, count, 4 * 1024, 16 * 1024);
    await insertSymbolRows(sites.primary.pg, blobs);
    return { keys: blobs.map((b) => b.key) };
  }

  async function countByState(): Promise<Map<number, number>> {
    const rows = await sites.secondary.pg.query<{ state: number; n: string }>('SELECT state, count(*) AS n FROM packages_nuget_symbol_registry GROUP BY state');
    return new Map(rows.rows.map((r) => [r.state, Number(r.n)]));
  }

  it('backfill: a new secondary creates and syncs 5,000 registries through the sweep alone', async () => {
    sites = await startTwoSites({ label: 'e2e_backfill', secondaryEnv: SECONDARY_ENV, startSecondary: false });
    await seed(5000);
    const events = await sites.primary.pg.query<{ n: string }>('SELECT count(*) AS n FROM geo_events');
    expect(Number(events.rows[0]!.n)).toBe(0);
    await sites.startSecondary();
    await waitFor('5,000 synced', async () => ((await countByState()).get(SYNCED) === 5000 ? true : undefined), 180_000, sites);
    const total = await sites.secondary.pg.query<{ n: string }>('SELECT count(*) AS n FROM packages_nuget_symbol_registry');
    expect(Number(total.rows[0]!.n)).toBe(5000);
  });

  it('kill -9 of blob-transfer in the middle of 10,000 blobs: all end synced, no temp files, every SHA-256 matches', async () => {
    sites = await startTwoSites({ label: 'e2e_crash', secondaryEnv: SECONDARY_ENV, startSecondary: false });
    const { keys } = await seed(10_000);
    await sites.startSecondary();
    await waitFor('some blobs synced', async () => {
      const synced = (await countByState()).get(SYNCED) ?? 0;
      return synced >= 1000 ? synced : undefined;
    }, 120_000, sites);
    const before = (await countByState()).get(SYNCED) ?? 0;
    expect(before).toBeLessThan(10_000);
    await sites.secondary.site!.restart('blob-transfer');
    await waitFor('10,000 synced after the restart', async () => ((await countByState()).get(SYNCED) === 10_000 ? true : undefined), 240_000, sites);
    expect(tempFiles(sites.secondary.blobRoot)).toEqual([]);
    for (const key of keys) {
      expect(sha256(readFileSync(join(sites.secondary.blobRoot, key)))).toBe(sha256(readFileSync(join(sites.primary.blobRoot, key))));
    }
  });
});
