import { createHash } from 'node:crypto';
import { DEFAULT_PACKAGE_LIMITS } from '../limits';
import { portablePdbKey } from '../keys/ssqp-key';
import { rejectReasonOf } from '../reject';
import { EXPECTED, type ExpectedPortablePdb, expectedFilesOfKind, readFixture } from '../spec-fixtures';
import { readZipArchive } from '../zip/read-zip';
import { symbolChecksum } from './checksum';
import { detectPdbKind } from './detect';
import { readMetadataStreamHeaders, readPortablePdb } from './portable-pdb';

interface PortableCase {
  readonly source: string;
  readonly fileName: string;
  readonly expected: ExpectedPortablePdb;
  readonly load: () => Promise<Buffer>;
}

/** Every portable PDB expected.json describes: loose files and PDB entries inside packages. */
function portableCases(): PortableCase[] {
  const loose = expectedFilesOfKind<ExpectedPortablePdb>('portable-pdb').map(([path, expected]) => ({
    source: path,
    fileName: path.split('/').pop()!,
    expected,
    load: () => Promise.resolve(readFixture(path)),
  }));
  const packaged = Object.entries(EXPECTED.files).flatMap(([path, file]) =>
    (file.entries ?? [])
      .filter((entry) => entry.inspect?.kind === 'portable-pdb')
      .map((entry) => ({
        source: `${path}!${entry.name}`,
        fileName: entry.name.split('/').pop()!,
        expected: entry.inspect as unknown as ExpectedPortablePdb,
        load: async () => {
          const entries = await readZipArchive(readFixture(path), { limits: DEFAULT_PACKAGE_LIMITS, keep: (e) => e.name === entry.name });
          return entries.find((e) => e.name === entry.name)!.bytes!;
        },
      })),
  );
  return [...loose, ...packaged];
}

const CASES = portableCases();

describe('readPortablePdb on every portable PDB in the fixtures', () => {
  it('covers loose and packaged PDBs, including one whose #Pdb stream comes last', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(6);
    expect(CASES.some((c) => c.source.includes('!'))).toBe(true);
    expect(CASES.some((c) => c.expected.streams.at(-1) === '#Pdb' && c.expected.pdb_stream_offset === 5444)).toBe(true);
  });

  it.each(CASES.map((c) => [c.source, c] as const))('%s', async (_source, c) => {
    const bytes = await c.load();
    const info = readPortablePdb(bytes);
    expect(info).toEqual({
      guid: c.expected.guid,
      stamp: Number.parseInt(c.expected.stamp, 16),
      idOffset: c.expected.pdb_stream_offset,
      signature: c.expected.gitlab_signature,
    });
    expect(bytes.subarray(info.idOffset, info.idOffset + 20).toString('hex')).toBe(c.expected.pdb_id_hex);
    expect(readMetadataStreamHeaders(bytes).map((s) => s.name)).toEqual(c.expected.streams);
    // SSQP keys compare case-insensitively; ours are all lower case.
    expect(portablePdbKey(c.fileName.toLowerCase(), info.guid)).toBe(c.expected.ssqp_key.toLowerCase());
    expect(symbolChecksum(bytes, info.idOffset)).toBe(c.expected.checksum_sha256_id_zeroed);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(c.expected.sha256);
    expect(detectPdbKind(bytes)).toBe('portable');
  });
});

describe('readPortablePdb on hostile input', () => {
  const template = readFixture('cecil/EmptyPdb.pdb');
  const versionLength = template.readUInt32LE(12);
  const streamCountAt = 16 + versionLength + 2;
  const headerOf = (pdb: Buffer, name: string): number => pdb.subarray(0, 256).indexOf(Buffer.from(`${name}\0`, 'latin1')) - 8;
  const mutate = (change: (pdb: Buffer) => void): Buffer => {
    const copy = Buffer.from(template);
    change(copy);
    return copy;
  };

  it.each([
    ['empty file', 'pdb.not_portable', 'no "BSJB"', Buffer.alloc(0)],
    ['garbage', 'pdb.not_portable', 'no "BSJB"', Buffer.from('not a pdb at all, not even close')],
    ['Windows MSF 7.00 PDB', 'pdb.windows', 'Windows (MSF) PDB', readFixture('symstore/HelloWorld.pdb')],
    ['BSJB only', 'pdb.malformed', 'too short for a metadata root', Buffer.from('BSJB')],
    ['version length 0', 'pdb.malformed', 'version string length 0', mutate((p) => p.writeUInt32LE(0, 12))],
    ['version length not a multiple of 4', 'pdb.malformed', 'version string length 13', mutate((p) => p.writeUInt32LE(13, 12))],
    ['version length past 256', 'pdb.malformed', 'version string length 260', mutate((p) => p.writeUInt32LE(260, 12))],
    ['version string running past the file', 'pdb.malformed', 'stream count lies past the end', Buffer.concat([template.subarray(0, 12), Buffer.from([0, 1, 0, 0]), Buffer.alloc(8)])],
    ['stream count past the file', 'pdb.malformed', 'stream count lies past the end', template.subarray(0, streamCountAt)],
    ['no streams', 'pdb.malformed', 'declares no streams', mutate((p) => p.writeUInt16LE(0, streamCountAt))],
    ['stream count too large (reads stream data as headers)', 'pdb.malformed', 'stream header 6: name is empty', mutate((p) => p.writeUInt16LE(0xffff, streamCountAt))],
    ['stream name not terminated within 32 bytes', 'pdb.malformed', 'not NUL-terminated', mutate((p) => p.fill(0x41, headerOf(p, '#Pdb') + 8, headerOf(p, '#Pdb') + 8 + 40))],
    ['stream name not printable', 'pdb.malformed', 'not printable ASCII', mutate((p) => p.writeUInt8(0x01, headerOf(p, '#Pdb') + 9))],
    ['#Pdb past the end', 'pdb.malformed', 'extends past the end', mutate((p) => p.writeUInt32LE(0xfffffff0, headerOf(p, '#Pdb')))],
    ['#Pdb size past the end', 'pdb.malformed', 'extends past the end', mutate((p) => p.writeUInt32LE(4096, headerOf(p, '#Pdb') + 4))],
    ['#Pdb shorter than 32 bytes', 'pdb.malformed', 'shorter than the 32 bytes', mutate((p) => p.writeUInt32LE(31, headerOf(p, '#Pdb') + 4))],
    ['no #Pdb stream', 'pdb.malformed', 'no #Pdb stream', mutate((p) => p.write('#Pdq', headerOf(p, '#Pdb') + 8, 'latin1'))],
    ['duplicate stream name', 'pdb.malformed', 'appears twice', mutate((p) => p.write('#Pdb\0\0\0\0', headerOf(p, '#~') + 8, 'latin1'))],
    ['all-zero id', 'pdb.zero_id', 'all zeros', mutate((p) => p.fill(0, 124, 144))],
  ] as const)('%s → %s', (_name, reason, message, bytes) => {
    expect(() => readPortablePdb(bytes)).toThrow(message);
    let caught: unknown;
    try {
      readPortablePdb(bytes);
    } catch (error) {
      caught = error;
    }
    expect(rejectReasonOf(caught)).toBe(reason);
  });

  it('fails with a ValidationError, never a RangeError, at every truncation length', () => {
    const info = readPortablePdb(template);
    for (let length = 0; length < template.length; length += 1) {
      const truncated = template.subarray(0, length);
      let outcome: string;
      try {
        outcome = readPortablePdb(truncated).signature;
      } catch (error) {
        outcome = rejectReasonOf(error) ?? `unexpected ${String(error)}`;
      }
      // A cut inside the #Pdb stream or earlier must be rejected; the id is at 124..143.
      if (length < info.idOffset + 32) expect(outcome).toMatch(/^pdb\./);
      else expect(outcome).toMatch(/^(pdb\.|[0-9a-f]{32}FFFFFFFF$)/);
    }
  });

  it('survives every single-byte corruption of the header area with a result or a ValidationError', () => {
    let rejected = 0;
    for (let at = 0; at < 124; at += 1) {
      for (const value of [0x00, 0x7f, 0xff]) {
        const corrupted = Buffer.from(template);
        corrupted[at] = value;
        try {
          readPortablePdb(corrupted);
        } catch (error) {
          expect(rejectReasonOf(error)).toMatch(/^pdb\./);
          rejected += 1;
        }
      }
    }
    expect(rejected).toBeGreaterThan(100);
  });
});

describe('detectPdbKind', () => {
  it.each([
    ['cecil/EmptyPdb.pdb', 'portable'],
    ['symstore/HelloWorld.pdb', 'windows'],
    ['cecil/libpdb.pdb', 'windows'],
    ['cecil/EmptyPdb.dll', 'unknown'],
  ])('%s is %s', (path, kind) => {
    expect(detectPdbKind(readFixture(path))).toBe(kind);
  });

  it('recognises the obsolete JG format as windows and short input as unknown', () => {
    expect(detectPdbKind(Buffer.from('Microsoft C/C++ program database 2.00\r\n\x1aJG\0\0 rest', 'latin1'))).toBe('windows');
    expect(detectPdbKind(Buffer.from('BSJ'))).toBe('unknown');
    expect(detectPdbKind(new Uint8Array(0))).toBe('unknown');
  });
});
