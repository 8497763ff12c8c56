import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, opendir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { ErrorCodes, NotFoundError, UnavailableError, ValidationError } from '@geo/domain';
import { RESERVED_SEGMENT_PREFIX, validateBlobKey, validateBlobPrefix } from './blob-key';
import type { BlobHead, BlobSource, BlobStore, PutOptions, PutResult } from './blob-store';
import { ChecksumMismatchError, ExpectationCheck } from './put-expectation';

/** 1 MiB reads and writes: twice the hashing throughput of Node's 64 KiB default (TOOLCHAIN §8). */
export const FS_HIGH_WATER_MARK = 1024 * 1024;

/** Directories an fs store remembers as existing. */
const KNOWN_DIRS_MAX = 10_000;

export interface FsBlobStoreOptions {
  /** Absolute directory that holds the blobs; created on first write. */
  readonly root: string;
}

/** errno codes that mean "no blob at this key" (a directory is not a blob). */
export const FS_MISSING_BLOB_ERRNOS: ReadonlySet<string> = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);
const MISSING = FS_MISSING_BLOB_ERRNOS;

/**
 * Where the fs store keeps `key` under `root` (throws `INVALID_BLOB_KEY` for an unsafe key). The one
 * key-to-path rule: readers that bypass the store for speed (the checksum threads) use it too.
 */
export function fsBlobPath(root: string, key: string): string {
  return join(root, ...validateBlobKey(key).split('/'));
}

// Duck-typed: errors from node:fs may come from another realm (jest), so `instanceof` lies.
function errno(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function unavailable(op: string, key: string, cause: unknown): UnavailableError {
  return new UnavailableError(`fs blob store: ${op} ${key} failed: ${errno(cause) ?? String(cause)}`, { cause, details: { key, op } });
}

async function writeAll(handle: FileHandle, chunks: readonly Uint8Array[]): Promise<void> {
  let rest = chunks;
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest as Uint8Array[]);
    // A short write (rare on files) continues after the bytes that made it.
    let i = 0;
    while (i < rest.length && bytesWritten >= rest[i]!.byteLength) bytesWritten -= rest[i++]!.byteLength;
    rest = i < rest.length ? [rest[i]!.subarray(bytesWritten), ...rest.slice(i + 1)] : [];
  }
}

/** Marks errors thrown by the caller's source stream so they are rethrown unchanged. */
class SourceFailure extends Error {
  constructor(readonly error: unknown) {
    super('blob source failed', { cause: error });
  }
}

async function* chunksOf(source: BlobSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    for (let i = 0; i < source.byteLength; i += FS_HIGH_WATER_MARK) yield source.subarray(i, i + FS_HIGH_WATER_MARK);
    return;
  }
  try {
    for await (const chunk of source) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
  } catch (error) {
    throw new SourceFailure(error);
  }
}

/**
 * Blob store on a local file system. A key maps to `<root>/<key>`. Writes go to
 * `tmp_<store id>_<n>` in the destination directory (same file system, so rename is atomic), are
 * fsynced, renamed over the key, and the directory is fsynced so the rename survives a crash.
 * Empty directories are left in place: removing them would race with concurrent puts.
 */
export class FsBlobStore implements BlobStore {
  readonly #root: string;
  readonly #tempPrefix = randomBytes(6).toString('hex');
  #tempCount = 0;
  /** Directories known to exist (bounded; cleared when full). */
  readonly #knownDirs = new Set<string>();

  constructor(options: FsBlobStoreOptions) {
    this.#root = options.root;
  }

  #path(key: string): string {
    return fsBlobPath(this.#root, key);
  }

  /** `tmp_<per-store random>_<counter>`: unique without drawing random bytes per write. */
  #temporaryName(): string {
    this.#tempCount += 1;
    return `${RESERVED_SEGMENT_PREFIX}${this.#tempPrefix}_${this.#tempCount.toString(36)}`;
  }

  /**
   * Creates the temp file, and its directory unless this store saw it already. The memo only saves
   * `mkdir` calls: a directory removed behind our back (ENOENT) is created again and the open retried.
   */
  async #createTemporary(dir: string, temp: string): Promise<FileHandle> {
    if (this.#knownDirs.has(dir)) {
      try {
        return await open(temp, 'wx', 0o644);
      } catch (error) {
        if (errno(error) !== 'ENOENT') throw error;
        this.#knownDirs.delete(dir);
      }
    }
    await mkdir(dir, { recursive: true });
    if (this.#knownDirs.size >= KNOWN_DIRS_MAX) this.#knownDirs.clear();
    this.#knownDirs.add(dir);
    return open(temp, 'wx', 0o644);
  }

  async put(key: string, source: BlobSource, options: PutOptions = {}): Promise<PutResult> {
    const target = this.#path(key);
    const check = ExpectationCheck.of(key, options.expect);
    const dir = dirname(target);
    const temp = join(dir, this.#temporaryName());
    let handle: FileHandle | undefined;
    try {
      options.signal?.throwIfAborted();
      handle = await this.#createTemporary(dir, temp);
      const hash = createHash('sha256');
      let size = 0;
      // Network sources deliver 16–64 KiB pieces: write them in batches of about 1 MiB (one
      // thread-pool round trip each instead of one per piece). Memory stays bounded by the batch.
      let batch: Uint8Array[] = [];
      let batchBytes = 0;
      for await (const chunk of chunksOf(source)) {
        options.signal?.throwIfAborted();
        hash.update(chunk);
        size += chunk.byteLength;
        check?.sizeSoFar(size);
        batch.push(chunk);
        batchBytes += chunk.byteLength;
        if (batchBytes >= FS_HIGH_WATER_MARK) {
          await writeAll(handle, batch);
          batch = [];
          batchBytes = 0;
        }
      }
      if (batchBytes > 0) await writeAll(handle, batch);
      const sha256 = hash.digest('hex');
      // Before the rename: a mismatching blob must never be visible, not even for a moment.
      check?.final(size, sha256);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(temp, target);
      await this.#syncDir(dir);
      return { size, sha256 };
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      if (error instanceof SourceFailure) throw error.error;
      if (error instanceof ChecksumMismatchError) throw error;
      if (options.signal?.aborted === true && error === options.signal.reason) throw error;
      throw unavailable('put', key, error);
    }
  }

  /**
   * Deletes leftover `tmp_*` files under the root: the debris of writes cut short by a crash
   * (`kill -9`, power loss), which no `put` will ever clean up. Run it when no `put` of this store
   * is in flight, or pass `olderThanMs` so that only files not modified for that long are removed
   * (a temp file's mtime moves with every write, so live writes are spared). Files that vanish
   * meanwhile (a racing cleaner, a finishing put) are skipped. Returns how many files were deleted.
   */
  async removeTemporaries(options: { readonly olderThanMs?: number } = {}): Promise<number> {
    const { olderThanMs } = options;
    if (olderThanMs !== undefined && (!Number.isFinite(olderThanMs) || olderThanMs < 0)) {
      throw new ValidationError(`olderThanMs must be a non-negative number, got ${olderThanMs}`);
    }
    // Fixed once, so files created while the walk runs are never older than it.
    const cutoffMs = olderThanMs === undefined ? undefined : Date.now() - olderThanMs;
    let removed = 0;
    for await (const path of this.#temporaries(this.#root)) {
      try {
        if (cutoffMs !== undefined && (await stat(path)).mtimeMs > cutoffMs) continue;
        await unlink(path);
        removed += 1;
      } catch (error) {
        if (MISSING.has(errno(error) ?? '')) continue;
        throw unavailable('remove temporary', path, error);
      }
    }
    return removed;
  }

  /** Absolute paths of every `tmp_*` file under `abs`, depth first; vanished directories are skipped. */
  async *#temporaries(abs: string): AsyncGenerator<string> {
    let dir;
    try {
      dir = await opendir(abs);
    } catch (error) {
      if (MISSING.has(errno(error) ?? '')) return;
      throw unavailable('list temporaries in', abs, error);
    }
    for await (const entry of dir) {
      const path = join(abs, entry.name);
      if (entry.isDirectory()) yield* this.#temporaries(path);
      else if (entry.isFile() && entry.name.startsWith(RESERVED_SEGMENT_PREFIX)) yield path;
    }
  }

  async #syncDir(dir: string): Promise<void> {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.#path(key);
    let handle: FileHandle;
    let size: number;
    try {
      handle = await open(path, 'r');
      const info = await handle.stat();
      // Opening a directory succeeds on Linux; a directory is not a blob.
      if (!info.isFile()) {
        await handle.close();
        throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      }
      size = info.size;
    } catch (error) {
      if (MISSING.has(errno(error) ?? '')) throw new NotFoundError(`blob ${key} not found`, { details: { key } }, ErrorCodes.FILE_NOT_FOUND);
      throw unavailable('get', key, error);
    }
    // The open handle pins this version: a concurrent rename replaces the name, not our inode, and an
    // installed blob never changes. So the size is final: read buffers no larger than the blob (a
    // 30 KiB symbol costs 30 KiB, not a 1 MiB buffer) and stop at its end without an extra read.
    return handle.createReadStream({ highWaterMark: Math.max(1, Math.min(size, FS_HIGH_WATER_MARK)), ...(size > 0 ? { start: 0, end: size - 1 } : {}) });
  }

  async head(key: string): Promise<BlobHead | null> {
    const path = this.#path(key);
    try {
      const info = await stat(path);
      return info.isFile() ? { size: info.size } : null;
    } catch (error) {
      if (MISSING.has(errno(error) ?? '')) return null;
      throw unavailable('head', key, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    const path = this.#path(key);
    try {
      await unlink(path);
    } catch (error) {
      if (MISSING.has(errno(error) ?? '')) return;
      throw unavailable('delete', key, error);
    }
  }

  async *list(prefix = ''): AsyncIterable<string> {
    validateBlobPrefix(prefix);
    // Walk only the deepest directory the prefix names; filter the rest by string prefix.
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    for await (const key of this.#walk(base)) {
      if (key.startsWith(prefix)) yield key;
    }
  }

  async *#walk(relDir: string): AsyncGenerator<string> {
    const abs = relDir === '' ? this.#root : join(this.#root, ...relDir.split('/'));
    let dir;
    try {
      dir = await opendir(abs);
    } catch (error) {
      if (MISSING.has(errno(error) ?? '')) return;
      throw unavailable('list', relDir, error);
    }
    for await (const entry of dir) {
      if (entry.name.startsWith(RESERVED_SEGMENT_PREFIX) || entry.name.includes(sep)) continue;
      const key = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      if (entry.isDirectory()) yield* this.#walk(key);
      else if (entry.isFile()) yield key;
    }
  }
}
