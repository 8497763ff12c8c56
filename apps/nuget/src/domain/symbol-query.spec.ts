import { ErrorCodes, isGeoError } from '@geo/domain';
import { MISSING_CHECKSUM_MESSAGE, symbolLookupKey, type SymbolFileRequest } from './symbol-query';

const CHECKSUM = 'd81ef71657dda22aed4a22d29e9c981bede9411ab2722b8c480067ab2180fbd7';
const base: SymbolFileRequest = {
  projectId: 1,
  fileName: 'testdata.pdb',
  signature: '16f71ed8dd574aa2ad4a22d29e9c981bFFFFFFFF',
  sameFileName: 'testdata.pdb',
  symbolChecksum: `SHA256:${CHECKSUM}`,
};

function codeOf(fn: () => unknown): [string, string] {
  try {
    fn();
  } catch (error: unknown) {
    if (isGeoError(error)) return [error.code, error.message];
    throw error;
  }
  throw new Error('expected a GeoError');
}

describe('symbolLookupKey', () => {
  it('keeps file and signature as sent and lower-cases the checksums', () => {
    expect(symbolLookupKey({ ...base, fileName: 'TestData.pdb', sameFileName: 'testdata.PDB', symbolChecksum: `sha256:${CHECKSUM.toUpperCase()}` })).toEqual({
      fileName: 'TestData.pdb',
      signature: base.signature,
      checksums: [CHECKSUM],
    });
  });

  it('accepts several checksums', () => {
    const other = 'a'.repeat(64);
    expect(symbolLookupKey({ ...base, symbolChecksum: `SHA256:${CHECKSUM};SHA256:${other}` }).checksums).toEqual([CHECKSUM, other]);
  });

  it.each([
    ['no header', { symbolChecksum: '' }, ErrorCodes.INVALID_ARGUMENT, MISSING_CHECKSUM_MESSAGE],
    ['a blank header', { symbolChecksum: '   ' }, ErrorCodes.INVALID_ARGUMENT, MISSING_CHECKSUM_MESSAGE],
    ['different file names', { sameFileName: 'other.pdb' }, ErrorCodes.NOT_FOUND, 'file names differ'],
    ['no SHA256 value', { symbolChecksum: 'SHA1:abcdef' }, ErrorCodes.NOT_FOUND, 'no SHA256 value'],
  ])('%s → %s', (_name, patch, code, message) => {
    const [actualCode, actualMessage] = codeOf(() => symbolLookupKey({ ...base, ...patch }));
    expect(actualCode).toBe(code);
    expect(actualMessage).toContain(message);
  });
});
