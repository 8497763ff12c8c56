import { ErrorCodes } from '@geo/domain';
import { symbolObjectStorageKey, type SymbolEntry } from '@geo/nuget-format';
import { FileStores } from '../domain/model';
import { planSymbols, SYMBOL_TEXT_MAX_LENGTH } from './push-symbol-package';

const SIGNATURE = '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF';

function entry(fileName: string, entryPath = `lib/net8.0/${fileName}`): SymbolEntry {
  const bytes = Buffer.from('pdb bytes');
  return {
    entryPath,
    fileName,
    bytes,
    size: bytes.byteLength,
    pdb: { guid: SIGNATURE.slice(0, 32), stamp: 1, idOffset: 0, signature: SIGNATURE },
    signature: SIGNATURE,
    fileSha256: 'ab'.repeat(32),
    sha256: 'cd'.repeat(32),
  };
}

const pkg = { id: 42, projectId: 7, name: 'Lib', version: '1.0.0' };

describe('planSymbols', () => {
  it('maps each PDB to its row and blob key', () => {
    const e = entry('lib.pdb', 'lib/net8.0/Lib.pdb');
    expect(planSymbols(pkg, [e], FileStores.remote)).toEqual([
      {
        row: {
          projectId: 7,
          packageId: 42,
          file: 'lib.pdb',
          filePath: 'lib/net8.0/Lib.pdb',
          signature: SIGNATURE,
          size: e.size,
          fileSha256: e.fileSha256,
          fileStore: FileStores.remote,
          objectStorageKey: symbolObjectStorageKey({ projectId: 7, packageId: 42, signature: SIGNATURE, fileName: 'lib.pdb' }),
        },
        bytes: e.bytes,
      },
    ]);
  });

  it('refuses (400) a PDB whose blob key would not fit the 255-character column, naming the entry', () => {
    const fixedPart = symbolObjectStorageKey({ projectId: 7, packageId: 42, signature: SIGNATURE, fileName: 'x' }).length - 1;
    const fits = 'a'.repeat(SYMBOL_TEXT_MAX_LENGTH - fixedPart - 4) + '.pdb';
    expect(planSymbols(pkg, [entry(fits)], FileStores.local)[0]?.row.objectStorageKey).toHaveLength(SYMBOL_TEXT_MAX_LENGTH);
    const tooLong = `b${fits}`;
    let thrown: unknown;
    try {
      planSymbols(pkg, [entry(tooLong, 'lib/x.pdb')], FileStores.local);
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: `entry "lib/x.pdb": its object_storage_key would be longer than ${SYMBOL_TEXT_MAX_LENGTH} characters`,
    });
  });
});
