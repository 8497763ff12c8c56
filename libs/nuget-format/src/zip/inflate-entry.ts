import { crc32, createInflateRaw, inflateRawSync } from 'node:zlib';
import { packageRejection } from '../reject';

/** Output chunk size of the inflater; also how far past a declared size inflation can run before it stops. */
const INFLATE_CHUNK_BYTES = 64 * 1024;
/**
 * Entries up to this declared size are inflated synchronously: a stream and a thread-pool round
 * trip cost more than inflating a typical PDB (a few KiB to a few hundred) on the spot, and 1 MiB
 * blocks the event loop for about a millisecond.
 */
const SYNC_INFLATE_MAX_BYTES = 1024 * 1024;

export interface InflatedData {
  /** The inflated bytes when they were asked for, else undefined (only counted and checksummed). */
  readonly bytes: Buffer | undefined;
  readonly crc32: number;
}

/**
 * Inflates one deflate entry and stops as soon as the output passes `declaredSize`. The caller
 * has already checked the declared size against the limits, so this bounds real memory and CPU
 * no matter what the stream contains; a stream that ends early is a size mismatch as well.
 * Large entries are streamed on zlib's thread pool so they do not block the event loop.
 */
export function inflateEntry(entryName: string, compressed: Buffer, declaredSize: number, keepBytes: boolean): Promise<InflatedData> {
  if (declaredSize <= SYNC_INFLATE_MAX_BYTES) {
    try {
      return Promise.resolve(inflateSmallEntry(entryName, compressed, declaredSize, keepBytes));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
  return inflateLargeEntry(entryName, compressed, declaredSize, keepBytes);
}

/** zlib stops with ERR_BUFFER_TOO_LARGE as soon as the output passes maxOutputLength. */
function inflateSmallEntry(entryName: string, compressed: Buffer, declaredSize: number, keepBytes: boolean): InflatedData {
  let inflated: Buffer;
  try {
    // maxOutputLength must be ≥ 1; a 0-byte entry that inflates to 1 byte is caught by the length check.
    inflated = inflateRawSync(compressed, { maxOutputLength: Math.max(1, declaredSize) });
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw sizeMismatch(entryName, declaredSize, `more than ${declaredSize}`);
    throw corruptEntry(entryName, cause);
  }
  if (inflated.length !== declaredSize) throw sizeMismatch(entryName, declaredSize, String(inflated.length));
  return { bytes: keepBytes ? inflated : undefined, crc32: crc32(inflated) };
}

function inflateLargeEntry(entryName: string, compressed: Buffer, declaredSize: number, keepBytes: boolean): Promise<InflatedData> {
  return new Promise((resolve, reject) => {
    const inflater = createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
    const chunks: Buffer[] = [];
    let inflated = 0;
    let checksum = 0;
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      inflater.destroy();
      reject(error);
    };
    inflater.on('data', (chunk: Buffer) => {
      inflated += chunk.length;
      if (inflated > declaredSize) {
        fail(sizeMismatch(entryName, declaredSize, `at least ${inflated}`));
        return;
      }
      checksum = crc32(chunk, checksum);
      if (keepBytes) chunks.push(chunk);
    });
    inflater.on('error', (cause: Error) => fail(corruptEntry(entryName, cause)));
    inflater.on('end', () => {
      if (settled) return;
      settled = true;
      if (inflated !== declaredSize) {
        reject(sizeMismatch(entryName, declaredSize, String(inflated)));
        return;
      }
      resolve({ bytes: keepBytes ? Buffer.concat(chunks, inflated) : undefined, crc32: checksum });
    });
    inflater.end(compressed);
  });
}

export function sizeMismatch(entryName: string, declaredSize: number, actual: string): Error {
  return packageRejection(
    'zip.size_mismatch',
    `entry ${JSON.stringify(entryName)} declares ${declaredSize} bytes uncompressed but inflates to ${actual}`,
    { entry: entryName, declaredSize },
  );
}

function corruptEntry(entryName: string, cause: unknown): Error {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return packageRejection('zip.corrupt_entry', `entry ${JSON.stringify(entryName)} has corrupt deflate data: ${detail}`, { entry: entryName }, cause);
}
