/**
 * The primary site end to end, as an operator runs it: gateway, nuget, event-log and checksum as
 * real processes on loopback, real PostgreSQL, a private NATS JetStream server (so the test can stop
 * it), the fs blob store, the shared fixtures, and nothing but HTTP to drive it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Client } from 'pg';
import { migrate } from '@geo/pg';
import { FsBlobStore } from '@geo/storage';
import {
  MALFORMED_SYMBOL_PACKAGES,
  TEST_PACKAGE_LIMITS,
  buildNupkg,
  buildSnupkg,
  createTestDatabase,
  patchPortablePdbId,
  readFixture,
  privateNatsServer,
  type PrivateNatsServer,
  type TestDatabase,
} from '@geo/testing';
import { startSite, type RunningSite } from '../dev/lib/site-processes';

jest.setTimeout(120_000);

const EXPECTED = JSON.parse(readFixture('expected.json').toString('utf8')) as {
  files: Record<string, { sha256: string; entries?: Array<{ name: string; inspect?: { gitlab_signature?: string; checksum_sha256_id_zeroed?: string; sha256?: string } }> }>;
};
const TESTDATA_SIGNATURE = '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF';

interface Counts {
  packages: number;
  symbols: number;
  states: number;
  events: number;
  blobs: number;
}

describe('primary site (real processes)', () => {
  let nats: PrivateNatsServer;
  let db: TestDatabase;
  let pg: Client;
  let site: RunningSite;
  let work: string;
  let store: FsBlobStore;
  let url: string;
  let projectId: number;
  let apiKey: string;
  const adminToken = randomBytes(24).toString('hex');

  const nugetPath = (suffix = '') => `${url}/api/v4/projects/${projectId}/packages/nuget/${suffix}`;

  async function push(kind: 'nupkg' | 'snupkg', body: Buffer, key = apiKey): Promise<Response> {
    const form = new FormData();
    form.append('package', new Blob([body]), kind === 'nupkg' ? 'package.nupkg' : 'package.snupkg');
    return fetch(kind === 'nupkg' ? nugetPath() : nugetPath('symbolpackage'), { method: 'PUT', headers: { 'X-NuGet-ApiKey': key }, body: form });
  }

  async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${url}/api/v4${path}`, {
      method,
      headers: { 'PRIVATE-TOKEN': adminToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status).toBeLessThan(300);
    return (await res.json()) as T;
  }

  async function counts(): Promise<Counts> {
    const q = async (sql: string) => Number((await pg.query<{ n: string }>(sql)).rows[0]!.n);
    let blobs = 0;
    for await (const _ of store.list('')) blobs += 1;
    return {
      packages: await q('SELECT count(*) AS n FROM packages_packages'),
      symbols: await q('SELECT count(*) AS n FROM packages_nuget_symbols'),
      states: await q('SELECT count(*) AS n FROM packages_nuget_symbol_states'),
      // checksum_succeeded events come from the checksum app verifying earlier symbols in the
      // background; a push can only ever write created/deleted ones.
      events: await q("SELECT count(*) AS n FROM geo_events WHERE event_name <> 'checksum_succeeded'"),
      blobs,
    };
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    nats = await privateNatsServer();
    await nats.start();
    db = await createTestDatabase('geo_e2e_primary');
    await migrate({ role: 'primary', databaseUrl: db.url });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    work = mkdtempSync(join(tmpdir(), 'geo-e2e-primary-'));
    store = new FsBlobStore({ root: join(work, 'blobs') });
    site = await startSite({
      name: 'e2e-primary',
      role: 'primary',
      databaseUrl: db.url,
      natsUrl: nats.url,
      blobRoot: join(work, 'blobs'),
      adminToken,
      logDir: join(work, 'logs'),
      apps: ['gateway', 'nuget', 'event-log', 'checksum'],
      env: {
        LOG_LEVEL: 'warn',
        NUGET_MAX_PACKAGE_BYTES: String(TEST_PACKAGE_LIMITS.maxPackageBytes),
        NUGET_MAX_UNCOMPRESSED_BYTES: String(TEST_PACKAGE_LIMITS.maxUncompressedBytes),
        NUGET_MAX_COMPRESSION_RATIO: String(TEST_PACKAGE_LIMITS.maxCompressionRatio),
        NUGET_MAX_ZIP_ENTRIES: String(TEST_PACKAGE_LIMITS.maxZipEntries),
        NUGET_MAX_SYMBOL_FILES: String(TEST_PACKAGE_LIMITS.maxSymbolFiles),
      },
    });
    url = site.url!;
    await admin('POST', '/geo_sites', { name: 'e2e-primary', url, primary: true });
    // Events are only written while an enabled secondary exists (GitLab's rule).
    await admin('POST', '/geo_sites', { name: 'e2e-secondary', url: 'http://127.0.0.1:9', primary: false });
    const ns = await admin<{ id: number }>('POST', '/namespaces', { name: 'E2E', path: 'e2e' });
    const project = await admin<{ id: number; nuget_api_key: string }>('POST', '/projects', { name: 'Symbols', path: 'symbols', namespace_id: ns.id });
    projectId = project.id;
    apiKey = project.nuget_api_key;
  });

  afterAll(async () => {
    await site?.stop();
    await pg?.end();
    await db?.drop();
    await nats?.dispose();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('stores the TestData symbol from the real fixture pair and serves it by SSQP key and checksum', async () => {
    const before = await counts();
    expect((await push('nupkg', readFixture('baget/TestData.1.2.3.nupkg'))).status).toBe(201);
    const res = await push('snupkg', readFixture('baget/TestData.1.2.3.snupkg'));
    expect(res.status).toBe(201);

    const pdbEntry = EXPECTED.files['baget/TestData.1.2.3.snupkg']!.entries!.find((e) => e.name === 'lib/net5.0/TestData.pdb')!;
    const rows = await pg.query<{ id: string; signature: string; file: string; file_path: string; file_sha256: string; size: number; object_storage_key: string }>(
      "SELECT id, signature, file, file_path, encode(file_sha256, 'hex') AS file_sha256, size, object_storage_key FROM packages_nuget_symbols WHERE file_path = 'lib/net5.0/TestData.pdb'",
    );
    expect(rows.rows).toHaveLength(1);
    const row = rows.rows[0]!;
    expect(row.signature).toBe(TESTDATA_SIGNATURE);
    expect(row.signature).toBe(pdbEntry.inspect!.gitlab_signature);
    expect(row.file).toBe('testdata.pdb');
    expect(row.file_sha256).toBe(pdbEntry.inspect!.checksum_sha256_id_zeroed);
    const after = await counts();
    expect(after.symbols - before.symbols).toBe(1);
    expect(after.states - before.states).toBe(1);
    expect(after.events - before.events).toBe(1);

    const ssqp = `${nugetPath('symbolfiles')}/testdata.pdb/${TESTDATA_SIGNATURE.toLowerCase()}/TestData.pdb`;
    const ok = await fetch(ssqp, { headers: { SymbolChecksum: `SHA256:${row.file_sha256}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/octet-stream');
    const bytes = Buffer.from(await ok.arrayBuffer());
    expect(Number(ok.headers.get('content-length'))).toBe(bytes.length);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(pdbEntry.inspect!.sha256);

    const head = await fetch(ssqp, { method: 'HEAD', headers: { SymbolChecksum: `SHA256:${row.file_sha256}` } });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(bytes.length);

    const wrong = await fetch(ssqp, { headers: { SymbolChecksum: `SHA256:${'0'.repeat(64)}` } });
    expect(wrong.status).toBe(404);
    const none = await fetch(ssqp);
    expect(none.status).toBe(400);
    expect(((await none.json()) as { message: string }).message).toMatch(/checksum/i);
  });

  describe('malformed input leaves nothing behind', () => {
    it('has at least 30 cases', () => {
      expect(MALFORMED_SYMBOL_PACKAGES.length).toBeGreaterThanOrEqual(30);
    });

    it.each(MALFORMED_SYMBOL_PACKAGES.map((c) => [c.name, c] as const))('%s', async (_name, testCase) => {
      const id = `Bad.${randomBytes(4).toString('hex')}`;
      const version = '1.0.0';
      // A .snupkg needs its package to exist, so the symbol rules (not the 404) are what gets tested.
      if (testCase.kind === 'snupkg') expect((await push('nupkg', buildNupkg({ id, version }))).status).toBe(201);
      const before = await counts();
      const res = await push(testCase.kind, testCase.build({ id, version }));
      const body = (await res.json()) as { message: string };
      expect({ status: res.status, message: body.message }).toEqual({ status: testCase.expectedStatus, message: expect.stringContaining(testCase.messageIncludes) });
      expect(await counts()).toEqual(before);
    });

    it('rejects a wrong API key with 401 and a body over the size limit with 413', async () => {
      const before = await counts();
      const wrongKey = await push('nupkg', buildNupkg({ id: 'Unauthorised.Pkg', version: '1.0.0' }), 'not-the-key');
      expect(wrongKey.status).toBe(401);
      const huge = await push('nupkg', randomBytes(TEST_PACKAGE_LIMITS.maxPackageBytes + 1024));
      expect(huge.status).toBe(413);
      expect(((await huge.json()) as { message: string }).message).toMatch(/too large|limit/i);
      expect(await counts()).toEqual(before);
    });
  });

  it('keeps accepting pushes while NATS is down and relays exactly those events, in order, once each', async () => {
    const nc0 = await connect({ servers: nats.url });
    const jsm0 = await jetstreamManager(nc0);
    await waitFor('earlier events relayed', async () => {
      const r = await pg.query<{ n: string }>('SELECT count(*) AS n FROM geo_events WHERE relayed_at IS NULL');
      return r.rows[0]!.n === '0' ? true : undefined;
    });
    const lastSeqBefore = (await jsm0.streams.info('GEO_EVENTS')).state.last_seq;
    await nc0.close();

    const packages = Array.from({ length: 100 }, (_, i) => ({ id: `Outage.Pkg${i}`, version: '1.0.0', seed: 10_000 + i }));
    const template = readFixture('cecil/PdbChecksumLib.pdb');
    for (const p of packages) expect((await push('nupkg', buildNupkg(p))).status).toBe(201);

    await nats.stop();
    for (const p of packages) {
      const res = await push('snupkg', buildSnupkg({ ...p, pdbs: [{ path: 'lib/net8.0/Outage.pdb', bytes: patchPortablePdbId(template, p.seed) }] }));
      expect(res.status).toBe(201);
    }
    const ids = (
      await pg.query<{ id: string }>("SELECT s.id FROM packages_nuget_symbols s JOIN packages_packages p ON p.id = s.package_id WHERE p.name LIKE 'Outage.Pkg%' ORDER BY s.id")
    ).rows.map((r) => Number(r.id));
    expect(ids).toHaveLength(100);
    await nats.start();

    await waitFor('outage events relayed', async () => {
      const r = await pg.query<{ n: string }>('SELECT count(*) AS n FROM geo_events WHERE relayed_at IS NULL');
      return r.rows[0]!.n === '0' ? true : undefined;
    }, 60_000);

    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info('GEO_EVENTS');
      const seen: Array<{ eventId: number; modelRecordId: number; subject: string }> = [];
      for (let seq = lastSeqBefore + 1; seq <= info.state.last_seq; seq++) {
        const msg = await jsm.streams.getMessage('GEO_EVENTS', { seq });
        const body = msg!.json<{ id: number; event_name: string; payload: { model_record_id: number } }>();
        seen.push({ eventId: body.id, modelRecordId: body.payload.model_record_id, subject: msg!.subject });
      }
      // The checksum app verifies the new symbols meanwhile, so checksum_succeeded events interleave.
      const created = seen.filter((s) => s.subject === 'geo.v1.events.packages_nuget_symbol.created');
      expect(created).toHaveLength(100);
      expect(created.map((s) => s.modelRecordId)).toEqual(ids);
      const eventIds = seen.map((s) => s.eventId);
      expect(eventIds).toEqual([...eventIds].sort((a, b) => a - b));
      expect(new Set(eventIds).size).toBe(eventIds.length);
      const outbox = await pg.query<{ n: string }>('SELECT count(*) AS n FROM geo_events WHERE id >= $1', [eventIds[0]]);
      expect(Number(outbox.rows[0]!.n)).toBe(seen.length);
    } finally {
      await nc.close();
    }
  });

  it('verifies every stored symbol on the primary with the SHA-256 of its blob', async () => {
    const rows = await waitFor('all symbols verified', async () => {
      const r = await pg.query<{ id: string; state: number; checksum: string | null; key: string }>(
        `SELECT s.id, st.verification_state AS state, encode(st.verification_checksum, 'hex') AS checksum, s.object_storage_key AS key
           FROM packages_nuget_symbols s JOIN packages_nuget_symbol_states st ON st.packages_nuget_symbol_id = s.id`,
      );
      return r.rows.length > 0 && r.rows.every((x) => x.state === 2) ? r.rows : undefined;
    }, 60_000);
    for (const row of rows) {
      const blob = await store.get(row.key);
      const hash = createHash('sha256');
      for await (const chunk of blob) hash.update(chunk as Buffer);
      expect(row.checksum).toBe(hash.digest('hex'));
    }
  });

  it('deletes a package with N symbols: N deleted events and N blobs removed', async () => {
    const id = 'Delete.Me';
    const version = '2.0.0';
    const template = readFixture('symstore/dir1/System.Threading.Thread.pdb');
    expect((await push('nupkg', buildNupkg({ id, version }))).status).toBe(201);
    const pdbs = [1, 2, 3].map((k) => ({ path: `lib/net8.0/Part${k}.pdb`, bytes: patchPortablePdbId(template, 50_000 + k) }));
    expect((await push('snupkg', buildSnupkg({ id, version, pdbs }))).status).toBe(201);
    const symbols = (
      await pg.query<{ id: string; key: string }>(
        "SELECT s.id, s.object_storage_key AS key FROM packages_nuget_symbols s JOIN packages_packages p ON p.id = s.package_id WHERE p.name = 'Delete.Me'",
      )
    ).rows;
    expect(symbols).toHaveLength(3);
    for (const s of symbols) expect(await store.exists(s.key)).toBe(true);
    const maxEvent = Number((await pg.query<{ n: string }>('SELECT coalesce(max(id), 0) AS n FROM geo_events')).rows[0]!.n);

    const res = await fetch(nugetPath(`${id}/${version}`), { method: 'DELETE', headers: { 'X-NuGet-ApiKey': apiKey } });
    expect(res.status).toBe(204);

    const events = (
      await pg.query<{ event_name: string; payload: { model_record_id: number; blob_path: string; uploader_class: string } }>(
        'SELECT event_name, payload FROM geo_events WHERE id > $1 ORDER BY id',
        [maxEvent],
      )
    ).rows;
    expect(events.map((e) => e.event_name)).toEqual(['deleted', 'deleted', 'deleted']);
    expect(events.map((e) => e.payload.model_record_id).sort()).toEqual(symbols.map((s) => Number(s.id)).sort());
    expect(events.map((e) => e.payload.blob_path).sort()).toEqual(symbols.map((s) => s.key).sort());
    expect(events.every((e) => e.payload.uploader_class === 'Packages::Nuget::SymbolUploader')).toBe(true);
    for (const s of symbols) expect(await store.exists(s.key)).toBe(false);
    const left = await pg.query("SELECT 1 FROM packages_packages WHERE name = 'Delete.Me'");
    expect(left.rowCount).toBe(0);
  });
});
