import { ErrorCodes, type GeoError, type LoggerPort, type ReplicableRecord } from '@geo/domain';
import {
  createChannelClient,
  geoAuthMetadata,
  GEO_JWT_LEEWAY_MESSAGE,
  PrimaryCatalogClient,
  serverStream,
  startGrpcServer,
  unary,
  type GrpcServerHandle,
} from '@geo/grpc';
import { createPool, migrate, PgReplicableCatalogRepository } from '@geo/pg';
import { RegistryCatalogServiceClient } from '@geo/proto';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import type { Pool } from 'pg';
import { MAX_GET_REPLICABLES_IDS, MAX_LIST_REPLICABLES_RANGE, registryCatalogService } from './catalog-service';

const NAME = packagesNugetSymbol.name;
const SHA = 'cd'.repeat(32);
const VERIFIED_AT = new Date('2026-02-03T04:05:06.789Z');

interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

interface Site {
  readonly id: number;
  readonly accessKey: string;
  readonly secret: string;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<GeoError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as GeoError;
}

const ids = (records: readonly ReplicableRecord[]): number[] => records.map((r) => r.modelRecordId);

describe('RegistryCatalogService on the primary (real gRPC + PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let server: GrpcServerHandle;
  let target: string;
  let raw: RegistryCatalogServiceClient;
  const logs: LogLine[] = [];
  const logger: LoggerPort = {
    info: (fields, msg) => logs.push({ level: 'info', fields, msg }),
    warn: (fields, msg) => logs.push({ level: 'warn', fields, msg }),
    error: (fields, msg) => logs.push({ level: 'error', fields, msg }),
  };
  const clients: PrimaryCatalogClient[] = [];
  /** Symbols: 1 in A (local, succeeded), 2 in A1 (remote), 3 in B (local, no state row), 4 in A1 (local, failed). */
  let sym: number[] = [];
  let ns: { A: number; A1: number; B: number };
  /** Everything except object storage. */
  let allLocal: Site;
  /** Namespace A (and so A1), object storage included. */
  let selective: Site;
  let disabled: Site;

  async function insertId(sql: string, values: unknown[]): Promise<number> {
    const result = await pool.query<{ id: string }>(`${sql} RETURNING id`, values);
    return Number(result.rows[0]!.id);
  }

  async function insertSite(name: string, options: { enabled?: boolean; type?: string; objectStorage?: boolean; namespaces?: number[] } = {}): Promise<Site> {
    const site = { accessKey: `AK${name.toUpperCase().padEnd(18, '0')}`, secret: `${name}-`.padEnd(40, 's') };
    const id = await insertId(
      `INSERT INTO geo_sites (name, url, access_key, secret_access_key, enabled, selective_sync_type, sync_object_storage, files_max_capacity)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 7)`,
      [name, `https://${name}.example/`, site.accessKey, site.secret, options.enabled ?? true, options.type ?? null, options.objectStorage ?? false],
    );
    for (const namespaceId of options.namespaces ?? []) {
      await pool.query('INSERT INTO geo_node_namespace_links (geo_node_id, namespace_id) VALUES ($1, $2)', [id, namespaceId]);
    }
    return { id, ...site };
  }

  async function insertSymbol(projectId: number, n: number, fileStore: number): Promise<number> {
    return insertId(
      `INSERT INTO packages_nuget_symbols (created_at, updated_at, project_id, size, file_store, file, file_path, signature, object_storage_key, file_sha256)
       VALUES (now(), now(), $1, $2, $3, $4, $4, $5, $6, sha256(convert_to($4::text, 'UTF8')))`,
      [projectId, 1000 + n, fileStore, `f${n}.pdb`, `SIG${n}`, `sym/${n}.pdb`],
    );
  }

  function client(site: Pick<Site, 'accessKey' | 'secret'>): PrimaryCatalogClient {
    const c = new PrimaryCatalogClient({ target, accessKey: site.accessKey, secretAccessKey: site.secret, deadlineMs: 10_000 });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    db = await createTestDatabase('geo_registry_catalog');
    await migrate({ role: 'primary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 4 });
    const A = await insertId(`INSERT INTO namespaces (name, path) VALUES ('a', 'a')`, []);
    const A1 = await insertId(`INSERT INTO namespaces (name, path, parent_id) VALUES ('a1', 'a1', $1)`, [A]);
    const B = await insertId(`INSERT INTO namespaces (name, path) VALUES ('b', 'b')`, []);
    ns = { A, A1, B };
    const project = async (namespaceId: number, path: string) =>
      insertId(`INSERT INTO projects (name, path, namespace_id) VALUES ($1, $1, $2)`, [path, namespaceId]);
    const [pA, pA1, pB] = [await project(A, 'pa'), await project(A1, 'pa1'), await project(B, 'pb')];
    sym = [await insertSymbol(pA, 1, 1), await insertSymbol(pA1, 2, 2), await insertSymbol(pB, 3, 1), await insertSymbol(pA1, 4, 1)];
    await pool.query(
      `INSERT INTO packages_nuget_symbol_states (packages_nuget_symbol_id, verification_state, verification_checksum, verified_at)
       VALUES ($1, 2, decode($2, 'hex'), $3), ($4, 0, NULL, NULL), ($5, 3, NULL, $3)`,
      [sym[0], SHA, VERIFIED_AT, sym[1], sym[3]],
    );
    allLocal = await insertSite('alllocal');
    selective = await insertSite('selective', { type: 'namespaces', objectStorage: true, namespaces: [A] });
    disabled = await insertSite('disabled', { enabled: false });

    // A page size of 2 makes every listing span several repository queries.
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [registryCatalogService({ catalog: new PgReplicableCatalogRepository(pool, { pageSize: 2 }), replicables: [packagesNugetSymbol], logger })],
    });
    target = `127.0.0.1:${server.port}`;
    raw = createChannelClient(RegistryCatalogServiceClient, target);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    raw?.close();
    await server?.shutdown(0);
    await pool?.end();
    await db?.drop();
  });

  beforeEach(() => {
    logs.length = 0;
  });

  describe('DescribeCatalog', () => {
    it("returns the calling site's own settings and the type's largest id", async () => {
      await expect(client(allLocal).describeCatalog(NAME)).resolves.toEqual({
        site: {
          id: allLocal.id,
          name: 'alllocal',
          enabled: true,
          filesMaxCapacity: 7,
          verificationMaxCapacity: 100,
          minimumReverificationInterval: 7,
          scope: { selectiveSync: { type: 'all' }, syncObjectStorage: false },
        },
        maxModelRecordId: Math.max(...sym),
      });
      const other = await client(selective).describeCatalog(NAME);
      expect(other.site).toMatchObject({ id: selective.id, name: 'selective', scope: { selectiveSync: { type: 'namespaces', namespaceIds: [ns.A] }, syncObjectStorage: true } });
    });
  });

  describe('ListReplicables', () => {
    it("streams the records in the calling site's scope, ascending", async () => {
      expect(ids(await collect(client(allLocal).listReplicables(NAME, 1, 1000)))).toEqual([sym[0], sym[2], sym[3]]);
      // Namespace A covers its subgroup A1, and this site takes object storage too.
      expect(ids(await collect(client(selective).listReplicables(NAME, 1, 1000)))).toEqual([sym[0], sym[1], sym[3]]);
      expect(ids(await collect(client(selective).listReplicables(NAME, sym[1]!, sym[2]!)))).toEqual([sym[1]]);
    });

    it('sends every field a secondary stores', async () => {
      const [first] = await collect(client(allLocal).listReplicables(NAME, sym[0]!, sym[0]!));
      expect(first).toMatchObject({
        replicableName: NAME,
        modelRecordId: sym[0],
        blobKey: 'sym/1.pdb',
        size: 1001,
        fileStore: 'local',
        primaryVerificationState: 'verification_succeeded',
        primaryChecksum: SHA,
        primaryVerifiedAt: VERIFIED_AT,
        attributes: { file: 'f1.pdb', signature: 'SIG1' },
      });
      expect(first?.attributes['file_sha256']).toMatch(/^[0-9a-f]{64}$/);
      expect(first?.createdAt).toBeInstanceOf(Date);
    });

    it.each([
      ['id_from 0', 0, 10],
      ['id_to below id_from', 5, 4],
      [`a range of ${MAX_LIST_REPLICABLES_RANGE + 1} ids`, 1, MAX_LIST_REPLICABLES_RANGE + 1],
    ])('rejects %s as INVALID_ARGUMENT', async (_what, idFrom, idTo) => {
      const metadata = geoAuthMetadata({ accessKey: allLocal.accessKey, secret: allLocal.secret, data: { replicable_name: NAME } });
      const err = await failure(collect(serverStream(raw.listReplicables.bind(raw), { replicableName: NAME, idFrom, idTo }, { metadata })));
      expect(err.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    });

    it(`accepts the widest allowed range (${MAX_LIST_REPLICABLES_RANGE} ids)`, async () => {
      const records = await collect(client(allLocal).listReplicables(NAME, 1, MAX_LIST_REPLICABLES_RANGE));
      expect(ids(records)).toEqual([sym[0], sym[2], sym[3]]);
    });
  });

  describe('GetReplicables', () => {
    it("returns the asked records that exist and are in the calling site's scope", async () => {
      const asked = [987_654, sym[3]!, sym[2]!, sym[1]!, sym[0]!];
      expect(ids(await client(allLocal).getReplicables(NAME, asked))).toEqual([sym[0], sym[2], sym[3]]);
      expect(ids(await client(selective).getReplicables(NAME, asked))).toEqual([sym[0], sym[1], sym[3]]);
    });

    it(`rejects more than ${MAX_GET_REPLICABLES_IDS} ids as INVALID_ARGUMENT`, async () => {
      const many = Array.from({ length: MAX_GET_REPLICABLES_IDS + 1 }, (_, i) => i + 1);
      expect((await failure(client(allLocal).getReplicables(NAME, many))).code).toBe(ErrorCodes.INVALID_ARGUMENT);
      await expect(client(allLocal).getReplicables(NAME, many.slice(0, MAX_GET_REPLICABLES_IDS))).resolves.toHaveLength(3);
    });
  });

  it('answers an unknown replicable name (with a token bound to it) as INVALID_ARGUMENT', async () => {
    const err = await failure(client(allLocal).describeCatalog('no_such_thing'));
    expect(err.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(err.message).toBe('unknown replicable "no_such_thing"');
  });

  describe('refuses callers as UNAUTHENTICATED and logs each refusal', () => {
    const refusals = () => logs.filter((l) => l.level === 'warn' && l.msg === 'Geo site refused');
    const signed = (site: Pick<Site, 'accessKey' | 'secret'>, data: Record<string, string>, now?: Date) =>
      geoAuthMetadata({ accessKey: site.accessKey, secret: site.secret, data, ...(now === undefined ? {} : { now }) });

    const cases: [string, () => { accessKey: string | undefined; call: () => Promise<unknown> }, string, string][] = [
      [
        'a wrong secret',
        () => ({ accessKey: allLocal.accessKey, call: () => client({ accessKey: allLocal.accessKey, secret: 'w'.repeat(40) }).describeCatalog(NAME) }),
        'Error decoding Geo request: invalid signature',
        'DescribeCatalog',
      ],
      [
        'an expired token',
        () => ({
          accessKey: allLocal.accessKey,
          call: () => unary(raw.describeCatalog.bind(raw), { replicableName: NAME }, { metadata: signed(allLocal, { replicable_name: NAME }, new Date(Date.now() - 10 * 60_000)) }),
        }),
        GEO_JWT_LEEWAY_MESSAGE,
        'DescribeCatalog',
      ],
      [
        'a token bound to another replicable name',
        () => ({
          accessKey: allLocal.accessKey,
          call: () => unary(raw.getReplicables.bind(raw), { replicableName: NAME, modelRecordIds: [sym[0]!] }, { metadata: signed(allLocal, { replicable_name: 'other_type' }) }),
        }),
        'Geo request data does not match the request (replicable_name)',
        'GetReplicables',
      ],
      [
        'a disabled site',
        () => ({ accessKey: disabled.accessKey, call: () => collect(client(disabled).listReplicables(NAME, 1, 10)) }),
        'Unknown or disabled Geo site access key',
        'ListReplicables',
      ],
      [
        'an unknown access key',
        () => ({ accessKey: 'AKUNKNOWN00000000000', call: () => client({ accessKey: 'AKUNKNOWN00000000000', secret: allLocal.secret }).getReplicables(NAME, [sym[0]!]) }),
        'Unknown or disabled Geo site access key',
        'GetReplicables',
      ],
      ['no authorization header', () => ({ accessKey: undefined, call: () => unary(raw.describeCatalog.bind(raw), { replicableName: NAME }) }), 'Missing GL-Geo authorization header', 'DescribeCatalog'],
    ];

    it.each(cases)('%s', async (_what, setup, reason, grpcMethod) => {
      const { accessKey, call } = setup();
      const err = await failure(call());
      expect(err.code).toBe(ErrorCodes.UNAUTHENTICATED);
      expect(err.message).toBe(reason);
      expect(refusals()).toEqual([{ level: 'warn', msg: 'Geo site refused', fields: { grpcMethod, accessKey, replicableName: NAME, reason } }]);
      // Neither a secret nor a token ever reaches the log.
      const logged = JSON.stringify(logs);
      for (const secret of [allLocal.secret, selective.secret, disabled.secret]) expect(logged).not.toContain(secret);
      expect(logged).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    });
  });
});
