import { createHash } from 'node:crypto';
import { ErrorCodes, isGeoError, NotFoundError } from '@geo/domain';
import type { BlobStore } from '@geo/storage';

/**
 * GitLab's `calculate_checksum` raises this when the record is not checksummable, which for a blob
 * means the file does not exist (`carrierwave_uploader.file.exists?`). Through
 * `verificationErrorEvent` the stored failure reads "Error during verification: File is not checksummable".
 */
export const NOT_CHECKSUMMABLE_MESSAGE = 'File is not checksummable';

/** How the checksum of a blob is computed; the worker only knows this port. */
export type BlobChecksummer = (key: string) => Promise<string>;

/**
 * SHA-256 of the whole blob as lowercase hex (GitLab `Digest::SHA256.file(path).hexdigest`), read as
 * a stream so memory stays flat whatever the blob size. This project hashes object-stored blobs too,
 * instead of GitLab's size-only check for remote files (spec §3.4): the bytes are streamed anyway and
 * a size match says nothing about corruption.
 *
 * A missing blob throws `NotFoundError` (FILE_NOT_FOUND) with GitLab's message; any other store
 * failure propagates unchanged (its message becomes the failure text).
 */
export function blobSha256(store: Pick<BlobStore, 'get'>): BlobChecksummer {
  return async (key) => {
    let stream;
    try {
      stream = await store.get(key);
    } catch (error) {
      if (isGeoError(error) && error.code === ErrorCodes.FILE_NOT_FOUND) {
        throw new NotFoundError(NOT_CHECKSUMMABLE_MESSAGE, { cause: error, details: { key } }, ErrorCodes.FILE_NOT_FOUND);
      }
      throw error;
    }
    const hash = createHash('sha256');
    // Leaving the loop by an error destroys the stream (and closes the file or the socket).
    for await (const chunk of stream) hash.update(chunk as Buffer);
    return hash.digest('hex');
  };
}
