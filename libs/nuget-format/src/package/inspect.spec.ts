import { httpStatusFor, isGeoError } from '@geo/domain';
import { DEFAULT_PACKAGE_LIMITS, type PackageLimits } from '../limits';
import { rejectReasonOf } from '../reject';
import { EXPECTED, readFixture } from '../spec-fixtures';
import { inspectNupkg } from './inspect-nupkg';
import { inspectSnupkg } from './inspect-snupkg';

const SNUPKG = 'baget/TestData.1.2.3.snupkg';
const NUPKG = 'baget/TestData.1.2.3.nupkg';

async function rejection(promise: Promise<unknown>): Promise<{ reason: string | undefined; status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    return {
      reason: rejectReasonOf(error),
      status: isGeoError(error) ? httpStatusFor(error.code) : undefined,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  throw new Error('expected a rejection');
}

describe('inspectSnupkg on the BaGet fixture', () => {
  const expectedPdb = EXPECTED.files[SNUPKG]!.entries!.find((entry) => entry.name === 'lib/net5.0/TestData.pdb')!.inspect!;

  it('returns the one symbol with the signature and both checksums from expected.json', async () => {
    const result = await inspectSnupkg(readFixture(SNUPKG), DEFAULT_PACKAGE_LIMITS);
    expect(result.metadata).toEqual({ id: 'TestData', version: '1.2.3', packageTypes: ['SymbolsPackage'], description: 'Test description', authors: undefined });
    expect(result.nuspecPath).toBe('TestData.nuspec');
    expect(result.symbols).toHaveLength(1);
    const [symbol] = result.symbols;
    expect(symbol).toMatchObject({
      entryPath: 'lib/net5.0/TestData.pdb',
      fileName: 'testdata.pdb',
      size: expectedPdb.size,
      signature: '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF',
      fileSha256: expectedPdb.checksum_sha256_id_zeroed,
      sha256: expectedPdb.sha256,
      pdb: { guid: expectedPdb.guid, stamp: Number.parseInt(expectedPdb.stamp!, 16), idOffset: expectedPdb.pdb_stream_offset },
    });
    expect(symbol!.signature).toBe(expectedPdb.gitlab_signature);
    expect(symbol!.bytes.length).toBe(expectedPdb.size);
  });

  it('accepts the same bytes as a Uint8Array view into a larger buffer', async () => {
    const fixture = readFixture(SNUPKG);
    const padded = new Uint8Array(fixture.length + 20);
    padded.set(fixture, 10);
    const result = await inspectSnupkg(padded.subarray(10, 10 + fixture.length), DEFAULT_PACKAGE_LIMITS);
    expect(result.symbols[0]!.fileSha256).toBe(expectedPdb.checksum_sha256_id_zeroed);
  });
});

describe('inspectNupkg on the fixture packages', () => {
  it.each([
    [NUPKG, { id: 'TestData', version: '1.2.3', authors: 'Test author', description: 'Test description', packageTypes: [] }, 'TestData.nuspec'],
    ['symstore/HelloWorld.1.0.0.nupkg', { id: 'HelloWorld', version: '1.0.0', authors: 'HelloWorld' }, 'HelloWorld.nuspec'],
  ])('%s', async (path, metadata, nuspecPath) => {
    const result = await inspectNupkg(readFixture(path), DEFAULT_PACKAGE_LIMITS);
    expect(result.metadata).toMatchObject(metadata);
    expect(result.nuspecPath).toBe(nuspecPath);
  });
});

describe('package kind and limits on the fixtures', () => {
  const limits = (change: Partial<PackageLimits>): PackageLimits => ({ ...DEFAULT_PACKAGE_LIMITS, ...change });

  it.each<[string, () => Promise<unknown>, string, number, string]>([
    ['a .nupkg pushed as symbols (its .dll payload)', () => inspectSnupkg(readFixture(NUPKG), DEFAULT_PACKAGE_LIMITS), 'snupkg.non_pdb_payload', 400, 'entry "lib/net5.0/TestData.dll" is not a .pdb file'],
    ['a .snupkg pushed as a package', () => inspectNupkg(readFixture(SNUPKG), DEFAULT_PACKAGE_LIMITS), 'nuspec.symbols_package_in_nupkg', 400, 'push it as a symbol package'],
    ['a package over maxPackageBytes', () => inspectSnupkg(readFixture(SNUPKG), limits({ maxPackageBytes: 7000 })), 'package.too_large', 413, 'is 7419 bytes, above the limit of 7000 bytes'],
    ['more entries than maxZipEntries', () => inspectSnupkg(readFixture(SNUPKG), limits({ maxZipEntries: 4 })), 'zip.too_many_entries', 400, 'has 5 entries, above the limit of 4'],
    ['an entry over maxUncompressedBytes', () => inspectSnupkg(readFixture(SNUPKG), limits({ maxUncompressedBytes: 9000 })), 'zip.uncompressed_too_large', 413, 'entry "lib/net5.0/TestData.pdb" declares 9516 bytes'],
    ['entries over maxUncompressedBytes in total', () => inspectSnupkg(readFixture(SNUPKG), limits({ maxUncompressedBytes: 10000 })), 'zip.uncompressed_too_large', 413, 'in total'],
    ['PDBs over maxSymbolFiles', () => inspectSnupkg(readFixture(SNUPKG), limits({ maxSymbolFiles: 0 })), 'snupkg.too_many_pdbs', 400, 'contains 1 .pdb files, above the limit of 0'],
  ])('%s', async (_name, run, reason, status, message) => {
    expect(await rejection(run())).toEqual({ reason, status, message: expect.stringContaining(message) });
  });

  it('exempts entries under the 64 KiB floor from the ratio check (every fixture entry compresses better than 1:1)', async () => {
    await expect(inspectNupkg(readFixture('symstore/HelloWorld.1.0.0.nupkg'), limits({ maxCompressionRatio: 1 }))).resolves.toMatchObject({
      metadata: { id: 'HelloWorld' },
    });
  });
});
