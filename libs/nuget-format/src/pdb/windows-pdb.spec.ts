import { rejectReasonOf } from '../reject';
import { type ExpectedWindowsPdb, expectedFilesOfKind, readFixture } from '../spec-fixtures';
import { readWindowsPdb } from './windows-pdb';

const WINDOWS_PDBS = expectedFilesOfKind<ExpectedWindowsPdb>('windows-pdb-msf7');

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return rejectReasonOf(error) ?? `unexpected: ${String(error)}`;
  }
  return undefined;
}

/**
 * Test-only locators, independent of the reader: the PDB info stream starts with version 20000404
 * then the signature, the DBI stream with -1 then 19990903. MSF files keep stale copies of streams
 * in free blocks, so every occurrence is returned and patched.
 */
function occurrences(pdb: Buffer, head: Buffer): number[] {
  const found: number[] = [];
  for (let at = pdb.indexOf(head); at >= 0; at = pdb.indexOf(head, at + 1)) found.push(at);
  if (found.length === 0) throw new Error('stream head not found in the template');
  return found;
}
function pdbInfoStreams(pdb: Buffer, expected: ExpectedWindowsPdb): number[] {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(20000404, 0);
  head.writeUInt32LE(Number.parseInt(expected.pdbinfo_signature_timestamp, 16), 4);
  return occurrences(pdb, head);
}
function dbiStreams(pdb: Buffer): number[] {
  const head = Buffer.alloc(8);
  head.writeInt32LE(-1, 0);
  head.writeUInt32LE(19990903, 4);
  return occurrences(pdb, head);
}

describe('readWindowsPdb on every Windows PDB in the fixtures', () => {
  it('has fixtures to test', () => {
    expect(WINDOWS_PDBS.length).toBeGreaterThanOrEqual(2);
  });

  it.each(WINDOWS_PDBS)('%s', (path, expected) => {
    const info = readWindowsPdb(readFixture(path));
    expect(info).toEqual({
      guid: expected.guid,
      age: expected.age_used_for_key,
      pdbInfoAge: expected.pdbinfo_age,
      signature: Number.parseInt(expected.pdbinfo_signature_timestamp, 16),
      key: `${expected.guid}${expected.age_used_for_key.toString(16)}`,
    });
    expect(expected.ssqp_key.split('/')[1]).toBe(info.key);
    expect(info.age).toBe(expected.dbi_age);
  });
});

describe('readWindowsPdb age rules', () => {
  const [path, expected] = WINDOWS_PDBS[0]!;
  const template = readFixture(path);

  it('keys on the DBI age when the PDB info age was bumped (pdbstr)', () => {
    const pdb = Buffer.from(template);
    for (const at of pdbInfoStreams(pdb, expected)) pdb.writeUInt32LE(0x1f, at + 8);
    expect(readWindowsPdb(pdb)).toMatchObject({ age: expected.dbi_age, pdbInfoAge: 0x1f, key: `${expected.guid}${expected.dbi_age.toString(16)}` });
  });

  it('falls back to the PDB info age when the DBI header is not valid', () => {
    const pdb = Buffer.from(template);
    for (const at of pdbInfoStreams(pdb, expected)) pdb.writeUInt32LE(0x2a, at + 8);
    for (const at of dbiStreams(pdb)) pdb.writeUInt32LE(12345, at + 4);
    expect(readWindowsPdb(pdb)).toMatchObject({ age: 0x2a, key: `${expected.guid}2a` });
  });
});

describe('readWindowsPdb on hostile input', () => {
  const template = readFixture('symstore/HelloWorld.pdb');
  const blockSize = template.readUInt32LE(32);
  const mutate = (change: (pdb: Buffer) => void): Buffer => {
    const copy = Buffer.from(template);
    change(copy);
    return copy;
  };

  it.each([
    ['a portable PDB', 'no "Microsoft C/C++ MSF 7.00" signature', readFixture('cecil/EmptyPdb.pdb')],
    ['the obsolete JG format', '"program database 2.00" (JG) format is not supported', Buffer.from('Microsoft C/C++ program database 2.00\r\n\x1aJG\0\0', 'latin1')],
    ['a bare superblock magic', 'too short for an MSF superblock', template.subarray(0, 40)],
    ['block size 0', 'invalid block size 0', mutate((p) => p.writeUInt32LE(0, 32))],
    ['block size 513', 'invalid block size 513', mutate((p) => p.writeUInt32LE(513, 32))],
    ['block size 1 GiB', 'invalid block size', mutate((p) => p.writeUInt32LE(1 << 30, 32))],
    ['directory larger than the file', 'invalid directory size', mutate((p) => p.writeUInt32LE(0x7fffffff, 44))],
    ['directory size 0', 'invalid directory size 0', mutate((p) => p.writeUInt32LE(0, 44))],
    ['block map pointing at the superblock', 'points at block 0', mutate((p) => p.writeUInt32LE(0, 52))],
    ['block map pointing past the file', 'points at block 4294967295', mutate((p) => p.writeUInt32LE(0xffffffff, 52))],
    ['file cut after the superblock', 'outside 1..0', template.subarray(0, blockSize)],
  ] as const)('%s', (_name, message, bytes) => {
    expect(() => readWindowsPdb(bytes)).toThrow(message);
    expect(reasonOf(() => readWindowsPdb(bytes))).toBe('pdb.malformed');
  });

  it('rejects a directory whose stream count does not fit', () => {
    const directoryBlock = template.readUInt32LE(template.readUInt32LE(52) * blockSize);
    const pdb = mutate((p) => p.writeUInt32LE(0x10000000, directoryBlock * blockSize));
    expect(() => readWindowsPdb(pdb)).toThrow(/declares 268435456 streams/);
  });

  it('gives a result or a ValidationError for every truncation and every corrupted directory word', () => {
    for (let length = 0; length < template.length; length += 97) {
      const reason = reasonOf(() => readWindowsPdb(template.subarray(0, length)));
      expect(reason === undefined || reason === 'pdb.malformed').toBe(true);
    }
    const directoryBlock = template.readUInt32LE(template.readUInt32LE(52) * blockSize);
    const directoryBytes = template.readUInt32LE(44);
    for (let word = 0; word < directoryBytes / 4; word += 1) {
      for (const value of [0, 1, 0x7fffffff, 0xffffffff]) {
        const pdb = mutate((p) => p.writeUInt32LE(value, directoryBlock * blockSize + word * 4));
        const reason = reasonOf(() => readWindowsPdb(pdb));
        expect(reason === undefined || reason === 'pdb.malformed').toBe(true);
      }
    }
  });
});
