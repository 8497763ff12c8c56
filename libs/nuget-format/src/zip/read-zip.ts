import { crc32 } from 'node:zlib';
import { ErrorCodes, GeoError } from '@geo/domain';
import { type Entry, type ZipFile, fromBuffer } from 'yauzl';
import { type PackageLimits, RATIO_CHECK_FLOOR_BYTES } from '../limits';
import { packageRejection } from '../reject';
import { checkEntryName, decodeEntryName } from './entry-name';
import { inflateEntry, sizeMismatch } from './inflate-entry';
import { zipStructureRejection } from './yauzl-errors';

const LOCAL_FILE_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_FILE_HEADER_BYTES = 30;
const ENCRYPTED_FLAG = 0x1;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const UNIX_HOST = 3;
const UNIX_FILE_TYPE_MASK = 0o170000;
const UNIX_SYMLINK = 0o120000;

/** One central-directory entry that passed the name, flag and size rules. */
export interface ZipEntry {
  /** Decoded name as stored (directories end in `/`). */
  readonly name: string;
  readonly isDirectory: boolean;
  readonly method: number;
  readonly compressedSize: number;
  /** Declared inflated size; equal to the real size once {@link readZipArchive} returns. */
  readonly size: number;
  readonly crc32: number;
}

export interface ReadZipEntry extends ZipEntry {
  /** Inflated bytes for entries the caller asked to keep (an own copy), else undefined. */
  readonly bytes: Buffer | undefined;
}

export interface ReadZipOptions {
  readonly limits: PackageLimits;
  /**
   * Package-level checks that need only names and declared sizes (nuspec count, payload rules).
   * Runs after every zip rule and before anything is inflated, so cheap rejections stay cheap.
   */
  readonly checkLayout?: (entries: readonly ZipEntry[]) => void;
  /** Which entries' inflated bytes to return; every entry is inflated and verified regardless. */
  readonly keep: (entry: ZipEntry) => boolean;
}

/** Raw facts from the central directory, before any of our rules. */
interface CentralEntry {
  readonly rawName: Buffer;
  readonly flags: number;
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
  readonly localHeaderOffset: number;
  readonly versionMadeBy: number;
  readonly externalAttributes: number;
}

interface LocatedEntry {
  readonly entry: ZipEntry;
  readonly headerStart: number;
  readonly dataStart: number;
  readonly dataEnd: number;
}

/**
 * Reads a zip held in memory and enforces the archive rules of spec nuget-symbols §7: package and
 * entry-count limits, entry names, no encryption, methods 0/8 only, no symlinks, directories
 * without data, no duplicates, per-entry and total inflated size and compression ratio, local
 * headers agreeing with the central directory, no overlapping entries, and finally every entry
 * inflated with its real size and CRC-32 checked. yauzl parses the central directory (ZIP64
 * included); data is read from the bytes directly so every failure has our own reason.
 */
export async function readZipArchive(bytes: Uint8Array, options: ReadZipOptions): Promise<ReadZipEntry[]> {
  const { limits } = options;
  if (bytes.length === 0) throw packageRejection('package.empty', 'the package is empty (0 bytes)');
  if (bytes.length > limits.maxPackageBytes) {
    throw packageRejection('package.too_large', `the package is ${bytes.length} bytes, above the limit of ${limits.maxPackageBytes} bytes`, {
      size: bytes.length,
      limit: limits.maxPackageBytes,
    });
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const central = await listCentralDirectory(buffer, limits.maxZipEntries);
  const entries = checkEntries(central, limits);
  options.checkLayout?.(entries);
  const located = entries.map((entry, index) => locateEntryData(buffer, entry, central[index]!));
  rejectOverlaps(located);

  const result: ReadZipEntry[] = [];
  for (const { entry, dataStart, dataEnd } of located) {
    const keep = options.keep(entry);
    const data = buffer.subarray(dataStart, dataEnd);
    if (entry.method === METHOD_STORED) {
      if (data.length !== entry.size) throw sizeMismatch(entry.name, entry.size, String(data.length));
      verifyCrc(entry, crc32(data));
      result.push({ ...entry, bytes: keep ? Buffer.from(data) : undefined });
    } else {
      const inflated = await inflateEntry(entry.name, data, entry.size, keep);
      verifyCrc(entry, inflated.crc32);
      result.push({ ...entry, bytes: inflated.bytes });
    }
  }
  return result;
}

const YAUZL_OPTIONS = {
  lazyEntries: true,
  // Names are decoded and validated by entry-name.ts so each fault gets its own reason.
  decodeStrings: false,
  // Stored entries must declare compressed == uncompressed; deflate sizes are checked while inflating.
  validateEntrySizes: true,
  strictFileNames: true,
};

async function listCentralDirectory(buffer: Buffer, maxEntries: number): Promise<CentralEntry[]> {
  const zip = await new Promise<ZipFile>((resolve, reject) => {
    fromBuffer(buffer, YAUZL_OPTIONS, (error, zipFile) => (error ? reject(zipStructureRejection(error)) : resolve(zipFile)));
  });
  try {
    if (zip.entryCount > maxEntries) {
      throw packageRejection('zip.too_many_entries', `the archive has ${zip.entryCount} entries, above the limit of ${maxEntries}`, {
        entries: zip.entryCount,
        limit: maxEntries,
      });
    }
    return await new Promise<CentralEntry[]>((resolve, reject) => {
      const entries: CentralEntry[] = [];
      zip.on('entry', (entry: Entry) => {
        // Runs inside yauzl's read callback: a throw here would escape as an uncaught exception.
        try {
          entries.push(toCentralEntry(entry));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        zip.readEntry();
      });
      zip.once('end', () => resolve(entries));
      zip.once('error', (error: unknown) => reject(zipStructureRejection(error)));
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

function toCentralEntry(entry: Entry): CentralEntry {
  // With decodeStrings: false yauzl hands the raw name bytes over in `fileName` (typed as string).
  const rawName: unknown = entry.fileName;
  if (!Buffer.isBuffer(rawName)) throw new TypeError('yauzl returned a decoded file name although decodeStrings is false');
  return {
    rawName,
    flags: entry.generalPurposeBitFlag,
    method: entry.compressionMethod,
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    crc32: entry.crc32,
    localHeaderOffset: entry.relativeOffsetOfLocalHeader,
    versionMadeBy: entry.versionMadeBy,
    externalAttributes: entry.externalFileAttributes,
  };
}

function checkEntries(central: readonly CentralEntry[], limits: PackageLimits): ZipEntry[] {
  const seen = new Map<string, string>();
  let total = 0;
  return central.map((raw) => {
    const { name, isDirectory, duplicateKey } = checkEntryName(decodeEntryName(raw.rawName, raw.flags));
    const shown = JSON.stringify(name);
    const previous = seen.get(duplicateKey);
    if (previous !== undefined) {
      const how = previous === name ? 'appears twice' : `differs from entry ${JSON.stringify(previous)} only in case or Unicode normalisation`;
      throw packageRejection('zip.duplicate_entry', `entry ${shown} ${how}`, { entry: name });
    }
    seen.set(duplicateKey, name);
    if ((raw.flags & ENCRYPTED_FLAG) !== 0) {
      throw packageRejection('zip.encrypted', `entry ${shown} is encrypted; encrypted entries are not accepted`, { entry: name });
    }
    if (raw.method !== METHOD_STORED && raw.method !== METHOD_DEFLATE) {
      throw packageRejection('zip.unsupported_method', `entry ${shown} uses compression method ${raw.method}; only 0 (stored) and 8 (deflate) are accepted`, {
        entry: name,
        method: raw.method,
      });
    }
    if (raw.versionMadeBy >> 8 === UNIX_HOST && ((raw.externalAttributes >>> 16) & UNIX_FILE_TYPE_MASK) === UNIX_SYMLINK) {
      throw packageRejection('zip.symlink', `entry ${shown} is a symbolic link`, { entry: name });
    }
    if (isDirectory && raw.uncompressedSize > 0) {
      throw packageRejection('zip.directory_with_data', `directory entry ${shown} carries ${raw.uncompressedSize} bytes of data`, { entry: name });
    }
    checkSize(name, raw, limits);
    total += raw.uncompressedSize;
    if (total > limits.maxUncompressedBytes) {
      throw packageRejection('zip.uncompressed_too_large', `the entries inflate to more than ${limits.maxUncompressedBytes} bytes in total (the limit)`, {
        limit: limits.maxUncompressedBytes,
      });
    }
    return {
      name,
      isDirectory,
      method: raw.method,
      compressedSize: raw.compressedSize,
      size: raw.uncompressedSize,
      crc32: raw.crc32,
    };
  });
}

function checkSize(name: string, raw: CentralEntry, limits: PackageLimits): void {
  const shown = JSON.stringify(name);
  if (raw.uncompressedSize > limits.maxUncompressedBytes) {
    throw packageRejection(
      'zip.uncompressed_too_large',
      `entry ${shown} declares ${raw.uncompressedSize} bytes uncompressed, above the limit of ${limits.maxUncompressedBytes} bytes`,
      { entry: name, size: raw.uncompressedSize, limit: limits.maxUncompressedBytes },
    );
  }
  // Declared sizes are trustworthy here: inflation later stops at the declared size.
  if (raw.uncompressedSize > RATIO_CHECK_FLOOR_BYTES && raw.uncompressedSize > raw.compressedSize * limits.maxCompressionRatio) {
    const ratio = raw.compressedSize === 0 ? 'unbounded' : `${Math.round(raw.uncompressedSize / raw.compressedSize)}:1`;
    throw packageRejection(
      'zip.ratio',
      `entry ${shown} inflates from ${raw.compressedSize} to ${raw.uncompressedSize} bytes (ratio ${ratio}), above the limit of ${limits.maxCompressionRatio}:1`,
      { entry: name, limit: limits.maxCompressionRatio },
    );
  }
}

/** Reads the local header and checks it against the central directory; returns where the data is. */
function locateEntryData(buffer: Buffer, entry: ZipEntry, raw: CentralEntry): LocatedEntry {
  const shown = JSON.stringify(entry.name);
  const headerStart = raw.localHeaderOffset;
  if (headerStart + LOCAL_FILE_HEADER_BYTES > buffer.length) {
    throw packageRejection('zip.truncated', `entry ${shown}: local header at offset ${headerStart} lies past the end of the archive`, { entry: entry.name });
  }
  if (buffer.readUInt32LE(headerStart) !== LOCAL_FILE_HEADER_SIGNATURE) {
    throw packageRejection('zip.invalid', `entry ${shown}: no local file header at offset ${headerStart}`, { entry: entry.name });
  }
  const flags = buffer.readUInt16LE(headerStart + 6);
  const method = buffer.readUInt16LE(headerStart + 8);
  const nameLength = buffer.readUInt16LE(headerStart + 26);
  const extraLength = buffer.readUInt16LE(headerStart + 28);
  const nameStart = headerStart + LOCAL_FILE_HEADER_BYTES;
  const dataStart = nameStart + nameLength + extraLength;
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > buffer.length) {
    throw packageRejection('zip.truncated', `entry ${shown}: data runs past the end of the archive (truncated upload?)`, { entry: entry.name });
  }
  const localName = buffer.subarray(nameStart, nameStart + nameLength);
  if (!localName.equals(raw.rawName) || method !== raw.method || (flags & ENCRYPTED_FLAG) !== (raw.flags & ENCRYPTED_FLAG)) {
    throw packageRejection('zip.local_header_mismatch', `entry ${shown}: the local header disagrees with the central directory (name, method or encryption)`, {
      entry: entry.name,
    });
  }
  return { entry, headerStart, dataStart, dataEnd };
}

function rejectOverlaps(located: readonly LocatedEntry[]): void {
  const byStart = [...located].sort((a, b) => a.headerStart - b.headerStart);
  for (let i = 1; i < byStart.length; i += 1) {
    const before = byStart[i - 1]!;
    const current = byStart[i]!;
    if (current.headerStart < before.dataEnd) {
      throw packageRejection(
        'zip.overlapping_entries',
        `entries ${JSON.stringify(before.entry.name)} and ${JSON.stringify(current.entry.name)} overlap in the archive`,
        { entry: current.entry.name },
      );
    }
  }
}

function verifyCrc(entry: ZipEntry, actual: number): void {
  if (actual !== entry.crc32) {
    throw packageRejection('zip.crc_mismatch', `entry ${JSON.stringify(entry.name)} fails its CRC-32 check`, { entry: entry.name });
  }
}

/** An entry readZipArchive was asked to keep; its absence is a bug here, not bad input. */
export function keptEntry(entries: readonly ReadZipEntry[], name: string | undefined): { name: string; bytes: Buffer } {
  const entry = entries.find((candidate) => candidate.name === name);
  if (entry?.bytes === undefined) throw new GeoError(ErrorCodes.INTERNAL, `invariant broken: entry ${JSON.stringify(name)} was not kept by readZipArchive`);
  return { name: entry.name, bytes: entry.bytes };
}
