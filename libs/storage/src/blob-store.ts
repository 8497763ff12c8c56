import type { Readable } from 'node:stream';
import type { PutExpectation } from './put-expectation';

/** Bytes a `put` reads from: a stream (never fully buffered by the store) or bytes in memory. */
export type BlobSource = Readable | Uint8Array;

export interface PutOptions {
  /** Aborting stops the write; nothing becomes visible and temp data is removed. */
  readonly signal?: AbortSignal;
  /**
   * Size and/or SHA-256 the bytes must have. Checked while streaming and before the blob becomes
   * visible: on a difference nothing is installed (a previous blob stays as it was), temp data is
   * removed, and `put` throws `ChecksumMismatchError` (code `CHECKSUM_MISMATCH`, details carry the
   * expected and actual values). Too many bytes fail at once, without reading the rest.
   */
  readonly expect?: PutExpectation;
}

/** What a completed `put` wrote, computed while streaming (no second read). */
export interface PutResult {
  /** Bytes written. */
  readonly size: number;
  /** Lower-case hex SHA-256 of the bytes written. */
  readonly sha256: string;
}

export interface BlobHead {
  /** Size in bytes of the stored blob. */
  readonly size: number;
}

/**
 * The one storage seam for blobs (PDB files). Drivers: local filesystem and S3.
 *
 * Keys are relative, `/`-separated and validated by `validateBlobKey` on every call; a bad key
 * throws `ValidationError` (`INVALID_BLOB_KEY`) before any I/O. A store is a flat key space:
 * `list("a/")` finds `a/b` and `a/b/c`, and no directory objects exist.
 *
 * Invariants every driver keeps (checked by `registerBlobStoreTests` in `@geo/testing`):
 * - atomic writes: readers see either no blob / the previous blob, or the complete new one,
 *   never a prefix; a failed or aborted `put` leaves no visible key and no temp debris in `list`;
 * - last writer wins on concurrent `put`s of one key;
 * - a `put` with `expect` installs only bytes that match it (size and SHA-256);
 * - store-side I/O failures surface as retryable `UnavailableError`s; errors raised by the
 *   caller's source stream are rethrown unchanged.
 */
export interface BlobStore {
  /**
   * Streams `source` into `key`, hashing while writing, and installs it atomically, replacing
   * any previous blob. Memory use does not grow with the blob's size.
   */
  put(key: string, source: BlobSource, options?: PutOptions): Promise<PutResult>;
  /**
   * Opens the blob for reading. Throws `NotFoundError` with code `FILE_NOT_FOUND` when the key
   * does not exist (checked before the stream is returned). The stream reads one consistent
   * version even if the key is overwritten meanwhile.
   */
  get(key: string): Promise<Readable>;
  /** Size of the blob, or `null` when the key does not exist. */
  head(key: string): Promise<BlobHead | null>;
  /** Whether the key exists. */
  exists(key: string): Promise<boolean>;
  /** Removes the blob. Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Every key starting with `prefix` (a plain string prefix, S3 semantics; `""` lists all), in no
   * guaranteed order, streamed page by page (for orphan sweeps over millions of keys).
   */
  list(prefix?: string): AsyncIterable<string>;
}
