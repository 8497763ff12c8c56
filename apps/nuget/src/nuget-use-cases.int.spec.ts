import { createHash } from 'node:crypto';
import { ErrorCodes, isGeoError } from '@geo/domain';
import { DEFAULT_PACKAGE_LIMITS, inspectSnupkg, packageFileObjectStorageKey, symbolObjectStorageKey } from '@geo/nuget-format';
import { buildNupkg, buildSnupkg, createTestDatabase, patchPortablePdbId, readFixture, type TestDatabase } from '@geo/testing';
import { createNugetHarness, type NugetHarness } from './testing/nuget-harness';
import { deletePackage } from './use-cases/delete-package';
import { pushPackage } from './use-cases/push-package';
import { pushSymbolPackage, type PushSymbolPackageResult } from './use-cases/push-symbol-package';
import { findSymbolFile, openSymbolFile } from './use-cases/symbol-files';

interface ExpectedEntry {
  name: string;
  inspect?: { guid: string; gitlab_signature: string; checksum_sha256_id_zeroed: string; sha256: string; size: number };
}
interface ExpectedFile {
  size: number;
  sha256: string;
  entries?: ExpectedEntry[];
}
const expected = JSON.parse(readFixture('expected.json').toString('utf8')) as { files: Record<string, ExpectedFile> };
const NUPKG = readFixture('baget/TestData.1.2.3.nupkg');
const SNUPKG = readFixture('baget/TestData.1.2.3.snupkg');
const NUPKG_EXPECTED = expected.files['baget/TestData.1.2.3.nupkg']!;
const PDB_EXPECTED = expected.files['baget/TestData.1.2.3.snupkg']!.entries!.find((e) => e.name === 'lib/net5.0/TestData.pdb')!.inspect!;

/** The fixture's PDB, the template for packages with many distinct symbols. */
let templatePdb: Buffer;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function pdbs(count: number, firstSeed: number): Array<{ path: string; bytes: Buffer }> {
  return Array.from({ length: count }, (_, i) => ({ path: `lib/net8.0/Lib${i}.pdb`, bytes: patchPortablePdbId(templatePdb, firstSeed + i) }));
}

async function errorOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error: unknown) {
    if (isGeoError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a GeoError');
}

async function readAll(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

describe('nuget use cases against PostgreSQL and a filesystem blob store', () => {
  let db: TestDatabase;
  let h: NugetHarness;
  let project: { projectId: number; apiKey: string };

  beforeAll(async () => {
    templatePdb = (await inspectSnupkg(SNUPKG, DEFAULT_PACKAGE_LIMITS)).symbols[0]!.bytes;
  });
  beforeEach(async () => {
    db = await createTestDatabase('geo_nuget_uc');
    h = await createNugetHarness(db.url);
    project = await h.createProject('app');
  });
  afterEach(async () => {
    await h?.close();
    await db?.drop();
  });

  /** Pushes `<id> <version>` as a .nupkg and then a .snupkg with the given PDBs. */
  async function pushPair(id: string, pdbList: Array<{ path: string; bytes: Buffer }>, correlationId = 'corr'): Promise<PushSymbolPackageResult> {
    await pushPackage(h.deps, { ...project, bytes: buildNupkg({ id, version: '1.0.0' }) });
    return pushSymbolPackage(h.deps, { ...project, bytes: buildSnupkg({ id, version: '1.0.0', pdbs: pdbList }), correlationId });
  }

  async function symbolCount(packageId: number): Promise<number> {
    const result = await h.pool.query<{ n: string }>('SELECT count(*) AS n FROM packages_nuget_symbols WHERE package_id = $1', [packageId]);
    return Number(result.rows[0]?.n);
  }

  it('stores the TestData fixture pair and serves the PDB by SSQP key and SymbolChecksum', async () => {
    const pkg = await pushPackage(h.deps, { ...project, bytes: NUPKG });
    expect(pkg).toMatchObject({ projectId: project.projectId, name: 'TestData', version: '1.2.3' });
    const packageRow = await h.pool.query('SELECT name, version, package_type, status FROM packages_packages WHERE id = $1', [pkg.id]);
    expect(packageRow.rows).toEqual([{ name: 'TestData', version: '1.2.3', package_type: 4, status: 0 }]);
    const nupkgKey = packageFileObjectStorageKey({ projectId: project.projectId, packageId: pkg.id, packageName: 'TestData', version: '1.2.3' });
    const fileRow = await h.pool.query("SELECT file_name, size, encode(file_sha256, 'hex') AS sha, file_store, object_storage_key FROM packages_package_files WHERE package_id = $1", [pkg.id]);
    expect(fileRow.rows).toEqual([{ file_name: 'testdata.1.2.3.nupkg', size: String(NUPKG_EXPECTED.size), sha: NUPKG_EXPECTED.sha256, file_store: 1, object_storage_key: nupkgKey }]);

    const pushed = await pushSymbolPackage(h.deps, { ...project, bytes: SNUPKG, correlationId: 'corr-1' });
    expect(pushed.symbols).toHaveLength(1);
    const symbol = pushed.symbols[0]!;
    const symbolKey = symbolObjectStorageKey({ projectId: project.projectId, packageId: pkg.id, signature: PDB_EXPECTED.gitlab_signature, fileName: 'testdata.pdb' });
    const rows = await h.pool.query(
      `SELECT s.file, s.file_path, s.signature, s.size, encode(s.file_sha256, 'hex') AS file_sha256, s.file_store, s.project_id, s.package_id,
              s.object_storage_key, s.created_at IS NOT NULL AS created, st.verification_state
       FROM packages_nuget_symbols s JOIN packages_nuget_symbol_states st ON st.packages_nuget_symbol_id = s.id`,
    );
    expect(rows.rows).toEqual([
      {
        file: 'testdata.pdb',
        file_path: 'lib/net5.0/TestData.pdb',
        signature: '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF',
        size: PDB_EXPECTED.size,
        file_sha256: PDB_EXPECTED.checksum_sha256_id_zeroed,
        file_store: 1,
        project_id: String(project.projectId),
        package_id: String(pkg.id),
        object_storage_key: symbolKey,
        created: true,
        verification_state: 0,
      },
    ]);
    expect(symbol.signature).toBe(PDB_EXPECTED.gitlab_signature);
    expect(await h.blobKeys()).toEqual([nupkgKey, symbolKey].sort());

    // SSQP: case-insensitive key, `SymbolChecksum: SHA256:<hex>`.
    const request = {
      projectId: project.projectId,
      fileName: 'TestData.pdb',
      signature: '16F71ED8DD574AA2AD4A22D29E9C981Bffffffff',
      sameFileName: 'testdata.pdb',
      symbolChecksum: `SHA256:${PDB_EXPECTED.checksum_sha256_id_zeroed}`,
    };
    const download = await openSymbolFile(h.deps, request);
    const bytes = await readAll(download.chunks);
    expect([bytes.byteLength, sha256(bytes)]).toEqual([PDB_EXPECTED.size, PDB_EXPECTED.sha256]);
    expect((await findSymbolFile(h.deps, request)).id).toBe(symbol.id);

    const wrong = await errorOf(findSymbolFile(h.deps, { ...request, symbolChecksum: `SHA256:${'0'.repeat(64)}` }));
    expect(wrong.code).toBe(ErrorCodes.NOT_FOUND);
    expect(await errorOf(openSymbolFile(h.deps, { ...request, symbolChecksum: '' }))).toEqual({ code: ErrorCodes.INVALID_ARGUMENT, message: 'Missing checksum header' });
    expect((await errorOf(findSymbolFile(h.deps, { ...request, sameFileName: 'other.pdb' }))).code).toBe(ErrorCodes.NOT_FOUND);
    expect((await errorOf(findSymbolFile(h.deps, { ...request, projectId: project.projectId + 1000 }))).code).toBe(ErrorCodes.NOT_FOUND);
  });

  it('writes events only while an enabled secondary exists and the replication flag is on: one created event per symbol', async () => {
    const lonely = await pushPair('NoSecondary', pdbs(2, 100));
    expect(lonely.symbols).toHaveLength(2);
    expect(await h.events()).toEqual([]);

    await h.addSecondary('eu');
    const replicated = await pushPair('WithSecondary', pdbs(3, 200), 'corr-b');
    expect(await h.events()).toEqual(
      replicated.symbols.map((s) => ({ event_name: 'created', payload: { model_record_id: s.id, correlation_id: 'corr-b' } })),
    );

    h.setReplicationEnabled(false);
    await pushPair('FlagOff', pdbs(2, 300));
    expect(await h.events()).toHaveLength(3);
    // Every symbol got its pending verification state row, events or not.
    expect([await h.count('packages_nuget_symbols'), await h.count('packages_nuget_symbol_states')]).toEqual([7, 7]);
  });

  it('a failing blob write leaves no rows, no events and no blobs; the same push then succeeds', async () => {
    await h.addSecondary('eu');
    const pkg = await pushPackage(h.deps, { ...project, bytes: buildNupkg({ id: 'Flaky', version: '1.0.0' }) });
    const before = await h.blobKeys();
    const snupkg = buildSnupkg({ id: 'Flaky', version: '1.0.0', pdbs: pdbs(5, 400) });

    h.blobs.failPutNumber = h.blobs.puts + 3; // the third of five parallel writes fails; the others complete
    const failure = await errorOf(pushSymbolPackage(h.deps, { ...project, bytes: snupkg, correlationId: 'c' }));
    expect(failure.code).toBe(ErrorCodes.UNAVAILABLE);
    expect(await h.blobKeys()).toEqual(before);
    expect([await symbolCount(pkg.id), await h.count('packages_nuget_symbol_states'), await h.count('geo_events')]).toEqual([0, 0, 0]);

    const retried = await pushSymbolPackage(h.deps, { ...project, bytes: snupkg, correlationId: 'c' });
    expect(retried.symbols).toHaveLength(5);
    expect(await h.blobKeys()).toHaveLength(before.length + 5);
    expect(await h.count('geo_events')).toBe(5);
  });

  it('a transaction failure after every blob was written leaves no rows, no events and no blobs', async () => {
    await h.addSecondary('eu');
    const pkg = await pushPackage(h.deps, { ...project, bytes: buildNupkg({ id: 'TxFail', version: '1.0.0' }) });
    const before = await h.blobKeys();
    // Fails the statement that inserts the verification states: after the symbol rows, before the events.
    await h.pool.query(`CREATE FUNCTION geo_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'forced failure'; END $$`);
    await h.pool.query('CREATE TRIGGER geo_test_fail BEFORE INSERT ON packages_nuget_symbol_states FOR EACH STATEMENT EXECUTE FUNCTION geo_test_fail()');
    const putsBefore = h.blobs.puts;

    const failure = await errorOf(pushSymbolPackage(h.deps, { ...project, bytes: buildSnupkg({ id: 'TxFail', version: '1.0.0', pdbs: pdbs(4, 500) }), correlationId: 'c' }));
    expect(failure.code).toBe(ErrorCodes.INTERNAL);
    expect(h.blobs.puts - putsBefore).toBe(4);
    expect(await h.blobKeys()).toEqual(before);
    expect([await symbolCount(pkg.id), await h.count('packages_nuget_symbol_states'), await h.count('geo_events')]).toEqual([0, 0, 0]);
  });

  it('refuses a second symbol push for a package (409), also while the first is still running, and keeps the first push intact', async () => {
    const first = await pushPair('Twice', pdbs(3, 600));
    const snupkg = buildSnupkg({ id: 'Twice', version: '1.0.0', pdbs: pdbs(3, 600) });
    const again = await errorOf(pushSymbolPackage(h.deps, { ...project, bytes: snupkg, correlationId: 'c' }));
    expect(again).toEqual({ code: ErrorCodes.ALREADY_EXISTS, message: 'symbol package for Twice 1.0.0 has already been pushed' });

    // Push A is held inside its transaction (its blob writes wait); push B of the same package must
    // wait for A's row lock instead of writing the same keys, then see A's symbols (409).
    await pushPackage(h.deps, { ...project, bytes: buildNupkg({ id: 'Racy', version: '1.0.0' }) });
    const racy = buildSnupkg({ id: 'Racy', version: '1.0.0', pdbs: pdbs(3, 700) });
    const release = h.blobs.holdNextPuts(3);
    const putsBefore = h.blobs.puts;
    const pushA = pushSymbolPackage(h.deps, { ...project, bytes: racy, correlationId: 'a' });
    while (h.blobs.puts < putsBefore + 3) await new Promise((r) => setTimeout(r, 10));
    const pushB = pushSymbolPackage(h.deps, { ...project, bytes: racy, correlationId: 'b' });
    let settledEarly: boolean;
    try {
      settledEarly = await Promise.race([pushB.then(() => true, () => true), new Promise<false>((r) => setTimeout(() => r(false), 500))]);
    } finally {
      release();
    }
    expect(settledEarly).toBe(false);
    const winner = await pushA;
    expect(h.blobs.puts).toBe(putsBefore + 3);
    expect(await errorOf(pushB)).toEqual({ code: ErrorCodes.ALREADY_EXISTS, message: 'symbol package for Racy 1.0.0 has already been pushed' });

    // Every committed symbol of both packages still has its blob, with the right bytes.
    for (const symbol of [...first.symbols, ...winner.symbols]) {
      const download = await openSymbolFile(h.deps, {
        projectId: project.projectId,
        fileName: symbol.file,
        signature: symbol.signature,
        sameFileName: symbol.file,
        symbolChecksum: `SHA256:${symbol.fileSha256}`,
      });
      expect((await readAll(download.chunks)).byteLength).toBe(symbol.size);
    }
    expect(await h.count('packages_nuget_symbols')).toBe(6);
  });

  it('maps GitLab\'s unique (signature, file_path) index to 409 and removes only the losing push\'s blobs', async () => {
    const shared = pdbs(1, 800);
    await pushPair('Owner', shared);
    const before = await h.blobKeys();
    await pushPackage(h.deps, { ...project, bytes: buildNupkg({ id: 'Copycat', version: '1.0.0' }) });
    const withNupkg = await h.blobKeys();
    expect(withNupkg).toHaveLength(before.length + 1);

    const failure = await errorOf(
      pushSymbolPackage(h.deps, { ...project, bytes: buildSnupkg({ id: 'Copycat', version: '1.0.0', pdbs: shared }), correlationId: 'c' }),
    );
    expect(failure.code).toBe(ErrorCodes.ALREADY_EXISTS);
    expect(failure.message).toBe('a symbol file of Copycat 1.0.0 (same signature and path) is already registered for another package');
    expect(await h.blobKeys()).toEqual(withNupkg);
  });

  it('push gate: 404 unknown project, 401 bad key, 404 without a matching package, 409 duplicate version; ids and versions match case-insensitively', async () => {
    const bytes = buildSnupkg({ id: 'Missing', version: '9.9.9', pdbs: pdbs(1, 900) });
    expect((await errorOf(pushSymbolPackage(h.deps, { ...project, projectId: 999_999, bytes, correlationId: 'c' }))).code).toBe(ErrorCodes.NOT_FOUND);
    expect((await errorOf(pushSymbolPackage(h.deps, { ...project, apiKey: 'wrong', bytes, correlationId: 'c' }))).code).toBe(ErrorCodes.UNAUTHENTICATED);
    expect((await errorOf(pushSymbolPackage(h.deps, { ...project, apiKey: '', bytes, correlationId: 'c' }))).code).toBe(ErrorCodes.UNAUTHENTICATED);
    expect((await errorOf(pushPackage(h.deps, { ...project, apiKey: 'wrong', bytes: NUPKG }))).code).toBe(ErrorCodes.UNAUTHENTICATED);

    const noPackage = await errorOf(pushSymbolPackage(h.deps, { ...project, bytes, correlationId: 'c' }));
    expect(noPackage.code).toBe(ErrorCodes.NOT_FOUND);
    expect(noPackage.message).toContain('symbol package is invalid, matching package does not exist');
    expect(noPackage.message).toContain('Missing 9.9.9');

    // Package ids and versions match case-insensitively, in both directions.
    await pushPackage(h.deps, { ...project, bytes: buildNupkg({ id: 'MixedCase', version: '1.0.0-Beta' }) });
    const duplicate = await errorOf(pushPackage(h.deps, { ...project, bytes: buildNupkg({ id: 'mixedcase', version: '1.0.0-beta' }) }));
    expect(duplicate).toEqual({ code: ErrorCodes.ALREADY_EXISTS, message: "A package with ID 'mixedcase' and version '1.0.0-beta' already exists and cannot be modified." });
    const matched = await pushSymbolPackage(h.deps, { ...project, bytes: buildSnupkg({ id: 'MIXEDCASE', version: '1.0.0-BETA', pdbs: pdbs(1, 901) }), correlationId: 'c' });
    expect(matched.package.name).toBe('MixedCase');
    expect(await h.blobKeys()).toHaveLength(2);
  });

  it('deletes a package with N symbols: N deleted events in the same transaction, rows gone, N+1 blobs removed after commit', async () => {
    await h.addSecondary('eu');
    const pushed = await pushPair('Doomed', pdbs(4, 1000));
    const kept = await pushPair('Kept', pdbs(1, 1100));
    const keysBefore = await h.blobKeys();
    const eventsBefore = (await h.events()).length;

    const result = await deletePackage(h.deps, { ...project, packageName: 'doomed', packageVersion: '1.0.0', correlationId: 'del-1' });
    expect(result).toEqual({ packageId: pushed.package.id, deletedSymbolCount: 4, blobsLeftBehind: [] });

    const deleted = (await h.events()).slice(eventsBefore);
    expect(deleted).toEqual(
      pushed.symbols.map((s) => ({
        event_name: 'deleted',
        payload: { model_record_id: s.id, blob_path: s.objectStorageKey, uploader_class: 'Packages::Nuget::SymbolUploader', correlation_id: 'del-1' },
      })),
    );
    expect(await symbolCount(pushed.package.id)).toBe(0);
    expect(await h.count('packages_nuget_symbol_states')).toBe(1);
    expect((await h.pool.query('SELECT id FROM packages_packages WHERE id = $1', [pushed.package.id])).rows).toEqual([]);
    expect((await h.pool.query('SELECT id FROM packages_package_files WHERE package_id = $1', [pushed.package.id])).rows).toEqual([]);
    const keysAfter = await h.blobKeys();
    expect(keysBefore.length - keysAfter.length).toBe(5);
    for (const s of pushed.symbols) expect(keysAfter).not.toContain(s.objectStorageKey);
    expect(keysAfter).toContain(kept.symbols[0]!.objectStorageKey);

    const again = await errorOf(deletePackage(h.deps, { ...project, packageName: 'Doomed', packageVersion: '1.0.0', correlationId: 'x' }));
    expect(again.code).toBe(ErrorCodes.NOT_FOUND);
    expect((await errorOf(deletePackage(h.deps, { ...project, apiKey: 'nope', packageName: 'Kept', packageVersion: '1.0.0', correlationId: 'x' }))).code).toBe(
      ErrorCodes.UNAUTHENTICATED,
    );
  });

  it('a blob that cannot be deleted after the commit is logged at error with its key and does not fail the delete', async () => {
    const pushed = await pushPair('Sticky', pdbs(2, 1200));
    const stuck = pushed.symbols[1]!.objectStorageKey;
    h.blobs.failDeletes.add(stuck);
    const result = await deletePackage(h.deps, { ...project, packageName: 'Sticky', packageVersion: '1.0.0', correlationId: 'x' });
    expect(result.blobsLeftBehind).toEqual([stuck]);
    expect(h.logger.lines.filter((l) => l.level === 'error').map((l) => l.fields['blobKey'])).toEqual([stuck]);
    expect(await h.blobKeys()).toEqual([stuck]);
    expect(await h.count('packages_nuget_symbols')).toBe(0);
  });

  it('answers FILE_NOT_FOUND for a symbol whose blob is missing from storage', async () => {
    const pushed = await pushPair('Lost', pdbs(1, 1300));
    const symbol = pushed.symbols[0]!;
    await h.blobs.delete(symbol.objectStorageKey);
    const request = { projectId: project.projectId, fileName: symbol.file, signature: symbol.signature, sameFileName: symbol.file, symbolChecksum: `SHA256:${symbol.fileSha256}` };
    expect((await errorOf(openSymbolFile(h.deps, request))).code).toBe(ErrorCodes.FILE_NOT_FOUND);
    expect((await errorOf(findSymbolFile(h.deps, request))).code).toBe(ErrorCodes.FILE_NOT_FOUND);
  });
});
