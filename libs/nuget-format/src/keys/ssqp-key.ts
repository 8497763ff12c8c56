import { ValidationError } from '@geo/domain';
import { assertSafeFileName } from './key-parts';

const GUID_HEX = /^[0-9a-f]{32}$/i;

/**
 * SSQP key of a portable PDB (spec nuget-symbols §5): `<file>/<guid>ffffffff/<file>`, all lower
 * case because keys compare case-insensitively and clients should send lower case. `fileName` is
 * the basename the debugger asks for, e.g. `testdata.pdb`.
 */
export function portablePdbKey(fileName: string, guid: string): string {
  assertSafeFileName(fileName, 'symbol file name');
  if (!GUID_HEX.test(guid)) throw new ValidationError(`${JSON.stringify(guid)} is not a 32-digit hex GUID`, { details: { field: 'guid' } });
  const file = fileName.toLowerCase();
  return `${file}/${guid.toLowerCase()}ffffffff/${file}`;
}
