import { ErrorCodes, type ReplicableDefinition, type ReplicableRecord, type ReplicationScope } from '@geo/domain';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import type { Pool } from 'pg';
import { migrate } from '../migrations/runner';
import { createPool } from '../pool';
import type { SqlExecutor } from '../transaction';
import { PgReplicableCatalogRepository } from './replicable-catalog-repository';

/**
 * The NuGet symbol type with a fixed attribute list, so the assertions do not follow edits of the
 * real definition: text, bytea, an integer column and one that is always NULL here (`package_id`).
 */
const def: ReplicableDefinition = {
  ...packagesNugetSymbol,
  source: { ...packagesNugetSymbol.source, attributeColumns: ['file', 'signature', 'file_sha256', 'size', 'package_id'] },
};
const SHA_1 = 'ab'.repeat(32);
const SHA_7 = '0123456789abcdef'.repeat(4);
const SHA_FAILED = 'ee'.repeat(32);
/** Stored as given (upper case), read back as lowercase hex. */
const FILE_SHA_UPPER = 'C0FFEE'.repeat(10) + 'BEEF';
const VERIFIED_AT = new Date('2026-01-02T03:04:05.678Z');
const CREATED_AT = new Date('2025-12-01T00:00:00.000Z');

const all = (syncObjectStorage: boolean): ReplicationScope => ({ selectiveSync: { type: 'all' }, syncObjectStorage });
const inNamespaces = (namespaceIds: readonly number[], syncObjectStorage: boolean): ReplicationScope => ({
  selectiveSync: { type: 'namespaces', namespaceIds },
  syncObjectStorage,
});

async function collect(records: AsyncIterable<ReplicableRecord>): Promise<ReplicableRecord[]> {
  const out: ReplicableRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

const ids = (records: readonly ReplicableRecord[]): number[] => records.map((r) => r.modelRecordId);

describe('PgReplicableCatalogRepository', () => {
  let db: TestDatabase;
  let pool: Pool;
  let repo: PgReplicableCatalogRepository;
  let emptyMaxId: number;
  /** Namespaces: A → A1 → A1a (three levels), A → A2, and B apart. */
  const ns: Record<'A' | 'A1' | 'A1a' | 'A2' | 'B', number> = { A: 0, A1: 0, A1a: 0, A2: 0, B: 0 };
  /** One project per namespace, same keys. */
  const pr: Record<keyof typeof ns, number> = { A: 0, A1: 0, A1a: 0, A2: 0, B: 0 };
  /** Symbol ids 1..7 as described in beforeAll. */
  let sym: number[] = [];

  async function insertId(sql: string, values: unknown[]): Promise<number> {
    const result = await pool.query<{ id: string }>(`${sql} RETURNING id`, values);
    return Number(result.rows[0]!.id);
  }

  async function insertSymbol(projectId: number | null, options: { fileStore?: number | null; fileSha?: string | null; n: number }): Promise<number> {
    return insertId(
      `INSERT INTO packages_nuget_symbols (created_at, updated_at, project_id, size, file_store, file, file_path, signature, object_storage_key, file_sha256)
       VALUES ($1, $1, $2, $3, $4, $5, $5, $6, $7, decode($8, 'hex'))`,
      [CREATED_AT, projectId, 100 + options.n, options.fileStore === undefined ? 1 : options.fileStore, `f${options.n}.pdb`, `SIG${options.n}`, `k/${options.n}/f.pdb`, options.fileSha === undefined ? FILE_SHA_UPPER : options.fileSha],
    );
  }

  async function insertState(modelId: number, state: number, checksum: string | null, verifiedAt: Date | null): Promise<void> {
    await pool.query(
      `INSERT INTO packages_nuget_symbol_states (packages_nuget_symbol_id, verification_state, verification_checksum, verified_at)
       VALUES ($1, $2, decode($3, 'hex'), $4)`,
      [modelId, state, checksum, verifiedAt],
    );
  }

  beforeAll(async () => {
    db = await createTestDatabase('geo_pg_catalog');
    await migrate({ role: 'primary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 4 });
    repo = new PgReplicableCatalogRepository(pool);
    emptyMaxId = await repo.maxModelId(def);

    ns.A = await insertId(`INSERT INTO namespaces (name, path) VALUES ('a', 'a')`, []);
    ns.B = await insertId(`INSERT INTO namespaces (name, path) VALUES ('b', 'b')`, []);
    ns.A1 = await insertId(`INSERT INTO namespaces (name, path, parent_id) VALUES ('a1', 'a1', $1)`, [ns.A]);
    ns.A2 = await insertId(`INSERT INTO namespaces (name, path, parent_id) VALUES ('a2', 'a2', $1)`, [ns.A]);
    ns.A1a = await insertId(`INSERT INTO namespaces (name, path, parent_id) VALUES ('a1a', 'a1a', $1)`, [ns.A1]);
    for (const key of Object.keys(ns) as (keyof typeof ns)[]) {
      pr[key] = await insertId(`INSERT INTO projects (name, path, namespace_id) VALUES ($1, $1, $2)`, [`p-${key}`, ns[key]]);
    }

    // 1: A1a, local, succeeded   2: B, local, failed (a stale checksum left in the row)
    // 3: A1, remote, pending     4: A, local, no state row   5: A2, local, started
    // 6: no project, local, disabled, no file_sha256         7: A1a, file_store NULL, succeeded
    sym = [
      await insertSymbol(pr.A1a, { n: 1 }),
      await insertSymbol(pr.B, { n: 2 }),
      await insertSymbol(pr.A1, { n: 3, fileStore: 2 }),
      await insertSymbol(pr.A, { n: 4 }),
      await insertSymbol(pr.A2, { n: 5 }),
      await insertSymbol(null, { n: 6, fileSha: null }),
      await insertSymbol(pr.A1a, { n: 7, fileStore: null }),
    ];
    await insertState(sym[0]!, 2, SHA_1, VERIFIED_AT);
    await insertState(sym[1]!, 3, SHA_FAILED, VERIFIED_AT);
    await insertState(sym[2]!, 0, null, null);
    await insertState(sym[4]!, 1, null, null);
    await insertState(sym[5]!, 4, null, null);
    await insertState(sym[6]!, 2, SHA_7, VERIFIED_AT);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const s = (...numbers: number[]): number[] => numbers.map((n) => sym[n - 1]!);
  const wholeRange = (scope: ReplicationScope) => collect(repo.listRange(def, scope, 1, 1_000_000));

  describe('listRange', () => {
    it('returns every record in ascending id order without a scope restriction', async () => {
      expect(ids(await wholeRange(all(true)))).toEqual(s(1, 2, 3, 4, 5, 6, 7));
    });

    it('leaves out object-stored records (file_store = 2) unless the site syncs object storage; NULL counts as local', async () => {
      expect(ids(await wholeRange(all(false)))).toEqual(s(1, 2, 4, 5, 6, 7));
    });

    it.each([
      ['a mid-level namespace covers its own projects and its child', ['A1'], true, [1, 3, 7]],
      ['a mid-level namespace without object storage', ['A1'], false, [1, 7]],
      ['a top-level namespace covers all three levels and siblings', ['A'], false, [1, 4, 5, 7]],
      ['two namespaces in different trees', ['B', 'A1a'], true, [1, 2, 7]],
      ['a leaf namespace', ['A1a'], true, [1, 7]],
      ['no namespaces at all', [], true, []],
    ] as const)('applies namespace selection: %s', async (_what, keys, syncObjectStorage, expected) => {
      const scope = inNamespaces(keys.map((k) => ns[k]), syncObjectStorage);
      expect(ids(await wholeRange(scope))).toEqual(s(...expected));
    });

    it('bounds the range inclusively at both ends', async () => {
      expect(ids(await collect(repo.listRange(def, all(true), sym[1]!, sym[3]!)))).toEqual(s(2, 3, 4));
      expect(ids(await collect(repo.listRange(def, all(true), sym[3]!, sym[1]!)))).toEqual([]);
    });

    it('describes each record: blob, size, store, project, primary verification and attributes', async () => {
      const byId = new Map((await wholeRange(all(true))).map((r) => [r.modelRecordId, r]));
      expect(byId.get(sym[0]!)).toEqual({
        replicableName: 'packages_nuget_symbol',
        modelRecordId: sym[0],
        blobKey: 'k/1/f.pdb',
        size: 101,
        fileStore: 'local',
        projectId: pr.A1a,
        primaryVerificationState: 'verification_succeeded',
        primaryChecksum: SHA_1,
        primaryVerifiedAt: VERIFIED_AT,
        attributes: { file: 'f1.pdb', signature: 'SIG1', file_sha256: FILE_SHA_UPPER.toLowerCase(), size: '101' },
        createdAt: CREATED_AT,
      });
      // A failed row's leftover checksum is not the primary's checksum: only succeeded rows carry one.
      expect(byId.get(sym[1]!)).toMatchObject({ primaryVerificationState: 'verification_failed', primaryChecksum: null, primaryVerifiedAt: VERIFIED_AT });
      expect(byId.get(sym[2]!)).toMatchObject({ fileStore: 'remote', primaryVerificationState: 'verification_pending', primaryChecksum: null });
      // No state row yet (not backfilled): pending.
      expect(byId.get(sym[3]!)).toMatchObject({ primaryVerificationState: 'verification_pending', primaryChecksum: null, primaryVerifiedAt: null });
      expect(byId.get(sym[4]!)).toMatchObject({ primaryVerificationState: 'verification_started', primaryChecksum: null });
      // A NULL attribute column (file_sha256 here, package_id everywhere) is left out, not sent as ''.
      expect(byId.get(sym[5]!)).toMatchObject({ projectId: null, primaryVerificationState: 'verification_disabled', attributes: { file: 'f6.pdb', signature: 'SIG6', size: '106' } });
      expect(byId.get(sym[6]!)).toMatchObject({ fileStore: 'local', primaryVerificationState: 'verification_succeeded', primaryChecksum: SHA_7 });
    });

    it('reads the range page by page (keyset on id) and applies the scope on every page', async () => {
      // 23 more records in namespace B, interleaved with remote ones that must be skipped.
      const extra: number[] = [];
      const remote: number[] = [];
      for (let n = 100; n < 123; n += 1) {
        extra.push(await insertSymbol(pr.B, { n }));
        remote.push(await insertSymbol(pr.B, { n: n + 1000, fileStore: 2 }));
      }
      try {
        let queries = 0;
        const counting: SqlExecutor = {
          query: (text, values) => {
            queries += 1;
            return pool.query(text, values);
          },
        };
        const paged = new PgReplicableCatalogRepository(counting, { pageSize: 4 });
        const listed = await collect(paged.listRange(def, inNamespaces([ns.B], false), 1, 1_000_000));
        const expected = [sym[1]!, ...extra];
        expect(ids(listed)).toEqual(expected);
        // 24 in-scope rows in pages of 4: six full pages, then an empty one ends the walk.
        expect(queries).toBe(7);

        queries = 0;
        const partial = await collect(paged.listRange(def, inNamespaces([ns.B], true), extra[0]!, extra[4]!));
        expect(ids(partial)).toEqual([extra[0], remote[0], extra[1], remote[1], extra[2], remote[2], extra[3], remote[3], extra[4]]);
        // 9 rows: two full pages and a short third one (no extra query after a short page).
        expect(queries).toBe(3);
      } finally {
        await pool.query('DELETE FROM packages_nuget_symbols WHERE id = ANY($1::bigint[])', [[...extra, ...remote]]);
      }
    });

    it('rejects a non-integer bound', async () => {
      await expect(collect(repo.listRange(def, all(true), 1.5, 10))).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    });
  });

  describe('getByIds', () => {
    it('returns the existing records in ascending id order, whatever the order asked', async () => {
      const found = await repo.getByIds(def, null, [sym[6]!, 987_654, sym[0]!, sym[2]!]);
      expect(ids(found)).toEqual(s(1, 3, 7));
      expect(found[0]).toMatchObject({ primaryChecksum: SHA_1, attributes: { file: 'f1.pdb', signature: 'SIG1', file_sha256: FILE_SHA_UPPER.toLowerCase(), size: '101' } });
    });

    it('without a scope ignores selective sync and object storage; with one applies both', async () => {
      const asked = s(1, 2, 3, 4, 5, 6, 7);
      expect(ids(await repo.getByIds(def, null, asked))).toEqual(asked);
      expect(ids(await repo.getByIds(def, inNamespaces([ns.A1], false), asked))).toEqual(s(1, 7));
      expect(ids(await repo.getByIds(def, inNamespaces([ns.A1], true), asked))).toEqual(s(1, 3, 7));
      expect(ids(await repo.getByIds(def, all(false), asked))).toEqual(s(1, 2, 4, 5, 6, 7));
    });

    it('answers an empty list without a query and rejects non-positive ids', async () => {
      await expect(repo.getByIds(def, null, [])).resolves.toEqual([]);
      await expect(repo.getByIds(def, null, [0])).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    });
  });

  describe('maxModelId', () => {
    it('is 0 for an empty table and the largest id otherwise, in any scope', async () => {
      expect(emptyMaxId).toBe(0);
      expect(await repo.maxModelId(def)).toBe(Math.max(...sym));
    });
  });

  describe('findSiteByAccessKey', () => {
    async function insertSite(values: {
      name: string;
      accessKey: string;
      secret: string | null;
      enabled?: boolean;
      type?: string | null;
      syncObjectStorage?: boolean;
      namespaces?: number[];
    }): Promise<number> {
      const id = await insertId(
        `INSERT INTO geo_sites (name, url, access_key, secret_access_key, enabled, selective_sync_type, sync_object_storage,
           files_max_capacity, verification_max_capacity, minimum_reverification_interval)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 12, 34, 5)`,
        [values.name, `https://${values.name}.example/`, values.accessKey, values.secret, values.enabled ?? true, values.type ?? null, values.syncObjectStorage ?? false],
      );
      for (const namespaceId of values.namespaces ?? []) {
        await pool.query('INSERT INTO geo_node_namespace_links (geo_node_id, namespace_id) VALUES ($1, $2)', [id, namespaceId]);
      }
      return id;
    }

    it('reads an all-scope site with its settings and secret', async () => {
      const id = await insertSite({ name: 'everything', accessKey: 'AK-ALL', secret: 'secret-all', syncObjectStorage: true });
      await expect(repo.findSiteByAccessKey('AK-ALL')).resolves.toEqual({
        id,
        name: 'everything',
        enabled: true,
        filesMaxCapacity: 12,
        verificationMaxCapacity: 34,
        minimumReverificationInterval: 5,
        scope: { selectiveSync: { type: 'all' }, syncObjectStorage: true },
        secret: 'secret-all',
      });
    });

    it('reads a namespaces site with its linked namespace ids (ascending)', async () => {
      await insertSite({ name: 'selective', accessKey: 'AK-NS', secret: 'secret-ns', type: 'namespaces', namespaces: [ns.B, ns.A1] });
      const site = await repo.findSiteByAccessKey('AK-NS');
      expect(site?.scope).toEqual({ selectiveSync: { type: 'namespaces', namespaceIds: [ns.A1, ns.B].sort((a, b) => a - b) }, syncObjectStorage: false });
    });

    it("treats a blank selective_sync_type as all, and 'shards' (not modelled) as an empty selection", async () => {
      await insertSite({ name: 'blank', accessKey: 'AK-BLANK', secret: 'x', type: '' });
      await insertSite({ name: 'shards', accessKey: 'AK-SHARDS', secret: 'y', type: 'shards', namespaces: [ns.A] });
      expect((await repo.findSiteByAccessKey('AK-BLANK'))?.scope.selectiveSync).toEqual({ type: 'all' });
      expect((await repo.findSiteByAccessKey('AK-SHARDS'))?.scope.selectiveSync).toEqual({ type: 'namespaces', namespaceIds: [] });
    });

    it('returns a disabled site as disabled, and nothing for an unknown key or a site without a secret', async () => {
      await insertSite({ name: 'off', accessKey: 'AK-OFF', secret: 'z', enabled: false });
      await insertSite({ name: 'nosecret', accessKey: 'AK-NOSECRET', secret: null });
      await expect(repo.findSiteByAccessKey('AK-OFF')).resolves.toMatchObject({ name: 'off', enabled: false });
      await expect(repo.findSiteByAccessKey('AK-NOSECRET')).resolves.toBeUndefined();
      await expect(repo.findSiteByAccessKey('AK-UNKNOWN')).resolves.toBeUndefined();
    });
  });
});
