import { createHash } from 'node:crypto';
import { ErrorCodes, isGeoError, NotFoundError } from '@geo/domain';
import type { BlobStore } from '@geo/storage';

/**
 * GitLab's `calculate_checksum` raises this when the record is not checksummable, which for a blob
 * means the file does not exist (`carrierwave_uploader.file.exists?`). Through
 * `verificationErrorEvent` the stored failure reads "Error during verification: File is not checksummable".
 */
export const NOT_CHECKSUMMABLE_MESSAGE = 'File is not checksummable';

/** What checksumming one blob produced. */
export type ChecksumOutcome =
  | { readonly kind: 'checksum'; readonly checksum: string }
  /** The calculation raised: `message` becomes the failure text (GitLab `e.message`), `code` is for logs. */
  | { readonly kind: 'error'; readonly message: string; readonly code?: string };

/**
 * Computes the Geo checksum of blobs: SHA-256 of the whole blob as lowercase hex (GitLab
 * `Digest::SHA256.file(path).hexdigest`). This project hashes object-stored blobs too, instead of
 * GitLab's size-only check for remote files (spec §3.4): the bytes are read anyway, and a size
 * match says nothing about corruption.
 */
export interface BlobChecksummer {
  /** One outcome per key, in order. Never rejects for a single blob's failure (that is an outcome). */
  checksumAll(keys: readonly string[]): Promise<ChecksumOutcome[]>;
}

function errorOutcome(error: unknown): ChecksumOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return isGeoError(error) ? { kind: 'error', message, code: error.code } : { kind: 'error', message };
}

/**
 * Any blob store: streams each blob through `BlobStore.get` (memory stays flat whatever the size),
 * one after the other. A missing blob fails with GitLab's "File is not checksummable"; any other
 * store failure with its own message.
 */
export class StreamingBlobChecksummer implements BlobChecksummer {
  constructor(private readonly store: Pick<BlobStore, 'get'>) {}

  async checksumAll(keys: readonly string[]): Promise<ChecksumOutcome[]> {
    const outcomes: ChecksumOutcome[] = [];
    for (const key of keys) outcomes.push(await this.checksum(key));
    return outcomes;
  }

  private async checksum(key: string): Promise<ChecksumOutcome> {
    try {
      const stream = await this.store.get(key);
      const hash = createHash('sha256');
      // Leaving the loop by an error destroys the stream (and closes the file or the socket).
      for await (const chunk of stream) hash.update(chunk as Buffer);
      return { kind: 'checksum', checksum: hash.digest('hex') };
    } catch (error) {
      if (isGeoError(error) && error.code === ErrorCodes.FILE_NOT_FOUND) {
        return errorOutcome(new NotFoundError(NOT_CHECKSUMMABLE_MESSAGE, { cause: error, details: { key } }, ErrorCodes.FILE_NOT_FOUND));
      }
      return errorOutcome(error);
    }
  }
}
