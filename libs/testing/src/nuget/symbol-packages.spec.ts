import { DEFAULT_PACKAGE_LIMITS, inspectNupkg, inspectSnupkg, readPortablePdb } from '@geo/nuget-format';
import { fixturePath, readFixture } from './fixtures';
import { buildNupkg, buildSnupkg, patchPortablePdbId } from './symbol-packages';

interface ExpectedPdb {
  readonly guid: string;
  readonly gitlab_signature: string;
  readonly checksum_sha256_id_zeroed: string;
  readonly sha256: string;
}
const EXPECTED = JSON.parse(readFixture('expected.json').toString('utf8')) as { files: Record<string, ExpectedPdb> };

describe('fixtures', () => {
  it('reads the shared fixtures', () => {
    expect(readFixture('cecil/EmptyPdb.pdb').length).toBe(232);
  });

  it.each(['../outside', '/etc/passwd', ''])('refuses %j', (path) => {
    expect(() => fixturePath(path)).toThrow(/leaves the fixture directory/);
  });
});

describe('buildSnupkg', () => {
  it('builds a symbol package inspectSnupkg accepts, with the fixture PDB identities', async () => {
    const paths = ['cecil/PdbChecksumLib.pdb', 'symstore/dir1/System.Threading.Thread.pdb'];
    const result = await inspectSnupkg(
      buildSnupkg({ id: 'My.Lib', version: '2.0.0-rc.1', pdbs: paths.map((path, i) => ({ path: `lib/net${i + 6}.0/${path.split('/').pop()!}`, bytes: readFixture(path) })) }),
      DEFAULT_PACKAGE_LIMITS,
    );
    expect(result.metadata).toMatchObject({ id: 'My.Lib', version: '2.0.0-rc.1', packageTypes: ['SymbolsPackage'], authors: undefined });
    expect(result.symbols.map((s) => [s.entryPath, s.signature, s.fileSha256, s.sha256])).toEqual(
      paths.map((path, i) => [
        `lib/net${i + 6}.0/${path.split('/').pop()!}`,
        EXPECTED.files[path]!.gitlab_signature,
        EXPECTED.files[path]!.checksum_sha256_id_zeroed,
        EXPECTED.files[path]!.sha256,
      ]),
    );
  });
});

describe('buildNupkg', () => {
  it('builds a package inspectNupkg accepts', async () => {
    const result = await inspectNupkg(buildNupkg({ id: 'My.Lib', version: '1.0.0', extraEntries: [{ name: 'lib/net8.0/My.Lib.dll', data: 'MZ' }] }), DEFAULT_PACKAGE_LIMITS);
    expect(result).toEqual({
      metadata: { id: 'My.Lib', version: '1.0.0', packageTypes: [], description: 'Test package My.Lib', authors: 'Geo Tests' },
      nuspecPath: 'My.Lib.nuspec',
    });
  });

  it('accepts stored entries and entries large enough to be inflated as a stream', async () => {
    const large = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < large.length; i += 16) large.writeUInt32LE((i * 2654435761) >>> 0, i); // compresses about 4:1
    const stored = Buffer.from('stored content, not compressed');
    const nupkg = buildNupkg({
      id: 'Big.Lib',
      version: '1.0.0',
      extraEntries: [
        { name: 'content/stored.txt', data: stored, method: 0 },
        { name: 'content/large.bin', data: large },
      ],
    });
    await expect(inspectNupkg(nupkg, DEFAULT_PACKAGE_LIMITS)).resolves.toMatchObject({ metadata: { id: 'Big.Lib' } });
  });

  it('declares a package type when asked', async () => {
    const result = await inspectNupkg(buildNupkg({ id: 'Tool', version: '1.0.0', packageType: 'DotnetTool' }), DEFAULT_PACKAGE_LIMITS);
    expect(result.metadata.packageTypes).toEqual(['DotnetTool']);
  });
});

describe('patchPortablePdbId', () => {
  const template = readFixture('symstore/dir1/System.Threading.Thread.pdb'); // #Pdb is the last stream
  const original = readPortablePdb(template);

  it('rewrites only the 20 id bytes, deterministically', () => {
    const patched = patchPortablePdbId(template, 7);
    expect(patched.equals(patchPortablePdbId(template, 7))).toBe(true);
    const info = readPortablePdb(patched);
    expect(info.idOffset).toBe(original.idOffset);
    expect(info.signature).not.toBe(original.signature);
    const differing = [...patched.keys()].filter((i) => patched[i] !== template[i]);
    expect(Math.min(...differing)).toBeGreaterThanOrEqual(original.idOffset);
    expect(Math.max(...differing)).toBeLessThan(original.idOffset + 20);
    expect(readPortablePdb(template).signature).toBe(original.signature); // input untouched
  });

  it('gives distinct ids for distinct seeds and templates, with the same id-zeroed checksum per template', async () => {
    const other = readFixture('cecil/EmptyPdb.pdb');
    const pdbs = [patchPortablePdbId(template, 1), patchPortablePdbId(template, 2), patchPortablePdbId(other, 1)];
    const { symbols } = await inspectSnupkg(
      buildSnupkg({ id: 'Seeds', version: '1.0.0', pdbs: pdbs.map((bytes, i) => ({ path: `lib/net8.0/P${i}.pdb`, bytes })) }),
      DEFAULT_PACKAGE_LIMITS,
    );
    expect(new Set(symbols.map((s) => s.signature)).size).toBe(3);
    expect(symbols[0]!.fileSha256).toBe(EXPECTED.files['symstore/dir1/System.Threading.Thread.pdb']!.checksum_sha256_id_zeroed);
    expect(symbols[1]!.fileSha256).toBe(symbols[0]!.fileSha256);
    expect(symbols[0]!.sha256).not.toBe(symbols[1]!.sha256);
  });

  it.each([-1, 1.5])('rejects seed %s', (seed) => {
    expect(() => patchPortablePdbId(template, seed)).toThrow(RangeError);
  });
});
