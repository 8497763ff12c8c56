import { createHash } from 'node:crypto';
import { rejectReasonOf } from '../reject';
import { parseSymbolChecksumHeader, sha256Hex, symbolChecksum } from './checksum';

const A = 'd81ef71657dda22aed4a22d29e9c981bede9411ab2722b8c480067ab2180fbd7';
const B = '989f4a59652b102a6f643aae8a2eec3c013292c30c212f6f9a544de3b505b6ce';

describe('parseSymbolChecksumHeader', () => {
  it.each([
    ['one value', `SHA256:${A}`, [A]],
    ['upper-case algorithm and hex', `sha256:${A.toUpperCase()}`, [A]],
    ['several values with spaces', ` SHA256:${A} ; SHA256:${B} `, [A, B]],
    ['duplicates collapse', `SHA256:${A};SHA256:${A.toUpperCase()}`, [A]],
    ['other algorithms ignored', `SHA384:${'ab'.repeat(48)};SHA256:${B}`, [B]],
    ['too short hex ignored', `SHA256:${A.slice(1)}`, []],
    ['too long hex ignored', `SHA256:${A}0`, []],
    ['non-hex ignored', `SHA256:${'g'.repeat(64)}`, []],
    ['no algorithm prefix', A, []],
    ['empty', '', []],
  ])('%s', (_name, header, expected) => {
    expect(parseSymbolChecksumHeader(header)).toEqual(expected);
  });
});

describe('symbolChecksum', () => {
  const file = Buffer.from(Array.from({ length: 100 }, (_, i) => i + 1));

  it('hashes the file with the 20 id bytes zeroed, leaving the input untouched', () => {
    const zeroed = Buffer.from(file);
    zeroed.fill(0, 40, 60);
    expect(symbolChecksum(file, 40)).toBe(createHash('sha256').update(zeroed).digest('hex'));
    expect(file[40]).toBe(41);
  });

  it('works with the id at the very start and the very end', () => {
    const atStart = Buffer.from(file).fill(0, 0, 20);
    const atEnd = Buffer.from(file).fill(0, 80, 100);
    expect(symbolChecksum(file, 0)).toBe(sha256Hex(atStart));
    expect(symbolChecksum(file, 80)).toBe(sha256Hex(atEnd));
  });

  it.each([-1, 81, 1.5, Number.NaN])('rejects id offset %s', (offset) => {
    let caught: unknown;
    try {
      symbolChecksum(file, offset);
    } catch (error) {
      caught = error;
    }
    expect(rejectReasonOf(caught)).toBe('pdb.malformed');
  });
});
