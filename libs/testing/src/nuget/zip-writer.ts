import { crc32, deflateRawSync } from 'node:zlib';

/**
 * One entry for {@link writeZip}. Defaults write an honest, deflated, UTF-8-named file; every
 * other field exists to produce a specific hostile archive for validation tests.
 */
export interface ZipEntrySpec {
  /** Entry name. A Buffer is written byte-for-byte (e.g. invalid UTF-8); a string is UTF-8. */
  readonly name: string | Buffer;
  /** File content (strings are UTF-8). Default: empty. */
  readonly data?: Buffer | string;
  /**
   * Compression method to declare: 0 stored, 8 deflate (default). Any other value is declared as-is
   * while the data is written uncompressed (an "unsupported method" entry).
   */
  readonly method?: number;
  /** Deflate level for method 8 (default 6). */
  readonly level?: number;
  /** Written as the compressed bytes verbatim (e.g. corrupt deflate data); sizes default from it and `data`. */
  readonly compressedData?: Buffer;
  /** Uncompressed size written to both headers instead of the real one (lying sizes). */
  readonly declaredSize?: number;
  /** Compressed size written to both headers instead of the real one. */
  readonly declaredCompressedSize?: number;
  /** CRC-32 written to both headers instead of the real one. */
  readonly crc32?: number;
  /** Sets the "encrypted" flag (bit 0) in both headers; the data itself stays plain. */
  readonly encrypted?: boolean;
  /** Sets the UTF-8 name flag (bit 11). Default: set when a string name is not pure ASCII. */
  readonly utf8?: boolean;
  /** Name written to the local header only (a local header that disagrees with the central directory). */
  readonly localName?: string;
  /** Unix mode (e.g. `0o120777` for a symlink); marks the entry as made on Unix. */
  readonly unixMode?: number;
  /**
   * Overlapping entries: this entry gets no local record of its own; its local header and data are
   * placed at the start of the (stored) data of the named earlier entry, and its central-directory
   * record points there.
   */
  readonly overlapsDataOf?: string;
}

export interface ZipWriteOptions {
  /** Archive comment (EOCD). */
  readonly comment?: string;
}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const EOCD_SIGNATURE = 0x06054b50;
const VERSION_NEEDED = 20;
const UNIX_HOST = 3;
/** 2024-01-01 00:00 in DOS format: fixed, so the same input always gives the same bytes. */
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;
const DOS_TIME = 0;

interface PreparedEntry {
  readonly spec: ZipEntrySpec;
  readonly centralName: Buffer;
  readonly localName: Buffer;
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly size: number;
  readonly stored: Buffer;
}

/**
 * Writes a zip archive in memory (no ZIP64, no data descriptors). Output is deterministic. Honest
 * by default; the fields of {@link ZipEntrySpec} make it hostile on purpose.
 */
export function writeZip(entries: readonly ZipEntrySpec[], options: ZipWriteOptions = {}): Buffer {
  const prepared = new Map<ZipEntrySpec, PreparedEntry>();
  for (const spec of entries) prepared.set(spec, prepare(spec));
  // Embed overlapping entries' local records in the data of their host entry.
  for (const spec of entries) {
    if (spec.overlapsDataOf === undefined) continue;
    const host = entries.find((candidate) => candidate.name === spec.overlapsDataOf);
    const hostPrepared = host && prepared.get(host);
    if (hostPrepared === undefined || hostPrepared.method !== 0) throw new Error(`overlapsDataOf: no stored entry named ${spec.overlapsDataOf}`);
    const embedded = Buffer.concat([localRecord(prepared.get(spec)!), hostPrepared.stored]);
    prepared.set(host!, { ...hostPrepared, stored: embedded, size: embedded.length, crc: crc32(embedded) });
  }

  const chunks: Buffer[] = [];
  const localOffsets = new Map<ZipEntrySpec, number>();
  let offset = 0;
  for (const spec of entries) {
    if (spec.overlapsDataOf !== undefined) continue;
    const entry = prepared.get(spec)!;
    const record = localRecord(entry);
    localOffsets.set(spec, offset);
    chunks.push(record);
    offset += record.length;
  }
  for (const spec of entries) {
    if (spec.overlapsDataOf === undefined) continue;
    const host = entries.find((candidate) => candidate.name === spec.overlapsDataOf)!;
    localOffsets.set(spec, localOffsets.get(host)! + 30 + prepared.get(host)!.localName.length);
  }

  const centralStart = offset;
  for (const spec of entries) {
    const record = centralRecord(prepared.get(spec)!, localOffsets.get(spec)!);
    chunks.push(record);
    offset += record.length;
  }
  const comment = Buffer.from(options.comment ?? '', 'utf8');
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(EOCD_SIGNATURE, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(offset - centralStart, 12);
  eocd.writeUInt32LE(centralStart, 16);
  eocd.writeUInt16LE(comment.length, 20);
  chunks.push(eocd, comment);
  return Buffer.concat(chunks);
}

/** The first `keepBytes` bytes of an archive (a truncated upload). */
export function truncateZip(zip: Buffer, keepBytes: number): Buffer {
  return Buffer.from(zip.subarray(0, keepBytes));
}

function prepare(spec: ZipEntrySpec): PreparedEntry {
  const data = typeof spec.data === 'string' ? Buffer.from(spec.data, 'utf8') : (spec.data ?? Buffer.alloc(0));
  const centralName = typeof spec.name === 'string' ? Buffer.from(spec.name, 'utf8') : spec.name;
  const localName = spec.localName === undefined ? centralName : Buffer.from(spec.localName, 'utf8');
  const method = spec.method ?? 8;
  const stored = spec.compressedData ?? (method === 8 ? deflateRawSync(data, { level: spec.level ?? 6 }) : data);
  // eslint-disable-next-line no-control-regex -- ASCII test
  const nonAscii = typeof spec.name === 'string' && /[^\u0000-\u007f]/.test(spec.name);
  const flags = ((spec.utf8 ?? nonAscii) ? 0x800 : 0) | (spec.encrypted ? 0x1 : 0);
  return { spec, centralName, localName, flags, method, crc: crc32(data), size: data.length, stored };
}

function localRecord(entry: PreparedEntry): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(LOCAL_HEADER_SIGNATURE, 0);
  header.writeUInt16LE(VERSION_NEEDED, 4);
  header.writeUInt16LE(entry.flags, 6);
  header.writeUInt16LE(entry.method, 8);
  header.writeUInt16LE(DOS_TIME, 10);
  header.writeUInt16LE(DOS_DATE, 12);
  writeSizes(header, 14, entry);
  header.writeUInt16LE(entry.localName.length, 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, entry.localName, entry.stored]);
}

function centralRecord(entry: PreparedEntry, localOffset: number): Buffer {
  const header = Buffer.alloc(46);
  const mode = entry.spec.unixMode;
  const unix = mode !== undefined;
  header.writeUInt32LE(CENTRAL_HEADER_SIGNATURE, 0);
  header.writeUInt16LE(((unix ? UNIX_HOST : 0) << 8) | VERSION_NEEDED, 4);
  header.writeUInt16LE(VERSION_NEEDED, 6);
  header.writeUInt16LE(entry.flags, 8);
  header.writeUInt16LE(entry.method, 10);
  header.writeUInt16LE(DOS_TIME, 12);
  header.writeUInt16LE(DOS_DATE, 14);
  writeSizes(header, 16, entry);
  header.writeUInt16LE(entry.centralName.length, 28);
  header.writeUInt32LE(mode === undefined ? 0 : (mode << 16) >>> 0, 38);
  header.writeUInt32LE(localOffset, 42);
  return Buffer.concat([header, entry.centralName]);
}

/** CRC-32, compressed size, uncompressed size at `at` (same layout in both header kinds). */
function writeSizes(header: Buffer, at: number, entry: PreparedEntry): void {
  header.writeUInt32LE((entry.spec.crc32 ?? entry.crc) >>> 0, at);
  header.writeUInt32LE(entry.spec.declaredCompressedSize ?? entry.stored.length, at + 4);
  header.writeUInt32LE(entry.spec.declaredSize ?? entry.size, at + 8);
}
