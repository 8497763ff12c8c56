import { type Entry, fromBuffer } from 'yauzl';
import { truncateZip, writeZip } from './zip-writer';

interface ReadBack {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly data: Buffer;
}

/** Reads an archive back with yauzl (an independent reader), inflating every entry. */
function readBack(zip: Buffer): Promise<ReadBack[]> {
  return new Promise((resolve, reject) => {
    fromBuffer(zip, { lazyEntries: true }, (openError, file) => {
      if (openError) return reject(openError);
      const entries: ReadBack[] = [];
      file.on('error', reject);
      file.on('end', () => resolve(entries));
      file.on('entry', (entry: Entry) => {
        file.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.push({ name: entry.fileName, method: entry.compressionMethod, flags: entry.generalPurposeBitFlag, data: Buffer.concat(chunks) });
            file.readEntry();
          });
        });
      });
      file.readEntry();
    });
  });
}

describe('writeZip', () => {
  it('writes archives another reader understands: deflate, stored, UTF-8 names, empty files', async () => {
    const big = Buffer.alloc(200_000, 7);
    const zip = writeZip([
      { name: 'a.txt', data: 'hello' },
      { name: 'dir/stored.bin', data: big, method: 0 },
      { name: 'dir/Café.txt', data: 'unicode' },
      { name: 'empty' },
    ]);
    expect(await readBack(zip)).toEqual([
      { name: 'a.txt', method: 8, flags: 0, data: Buffer.from('hello') },
      { name: 'dir/stored.bin', method: 0, flags: 0, data: big },
      { name: 'dir/Café.txt', method: 8, flags: 0x800, data: Buffer.from('unicode') },
      { name: 'empty', method: 8, flags: 0, data: Buffer.alloc(0) },
    ]);
  });

  it('is deterministic', () => {
    const entries = [{ name: 'x/y.pdb', data: 'same' }];
    expect(writeZip(entries).equals(writeZip(entries))).toBe(true);
  });

  it('writes lying sizes, flags and methods into both headers as asked', () => {
    const zip = writeZip([{ name: 'lie.bin', data: 'twelve bytes', declaredSize: 3, encrypted: true, method: 12, crc32: 0xabcdef01 }]);
    const centralStart = zip.readUInt32LE(zip.length - 22 + 16);
    for (const [flagsAt, methodAt, crcAt, sizeAt] of [
      [6, 8, 14, 22],
      [centralStart + 8, centralStart + 10, centralStart + 16, centralStart + 24],
    ]) {
      expect(zip.readUInt16LE(flagsAt) & 1).toBe(1);
      expect(zip.readUInt16LE(methodAt)).toBe(12);
      expect(zip.readUInt32LE(crcAt)).toBe(0xabcdef01);
      expect(zip.readUInt32LE(sizeAt)).toBe(3);
    }
  });

  it('places an overlapping entry inside its host and points the central directory at it', () => {
    const zip = writeZip([
      { name: 'host', data: 'HOSTDATA', method: 0 },
      { name: 'inner', data: 'INNER', method: 0, overlapsDataOf: 'host' },
    ]);
    const centralStart = zip.readUInt32LE(zip.length - 22 + 16);
    const secondCentral = centralStart + 46 + 'host'.length;
    const innerOffset = zip.readUInt32LE(secondCentral + 42);
    expect(innerOffset).toBe(30 + 'host'.length);
    expect(zip.readUInt32LE(innerOffset)).toBe(0x04034b50);
    expect(zip.subarray(innerOffset + 30, innerOffset + 30 + 5).toString()).toBe('inner');
  });

  it('truncateZip keeps exactly the first bytes', () => {
    const zip = writeZip([{ name: 'a', data: 'b' }]);
    expect(truncateZip(zip, 10).equals(zip.subarray(0, 10))).toBe(true);
  });
});
