import type { LoggerPort } from '@geo/domain';
import type { BlobStore } from '@geo/storage';

/**
 * Deletes blobs that must not outlive a failed write (or that belong to deleted rows), all at once.
 * Never throws: the caller is already handling the failure that matters (or has committed), so each
 * key that cannot be deleted is logged at error level with its key, for an operator or an orphan
 * sweep to remove. Returns the keys that could not be deleted.
 */
export async function deleteBlobsLoggingFailures(
  blobs: BlobStore,
  keys: readonly string[],
  logger: LoggerPort,
  reason: string,
): Promise<string[]> {
  const results = await Promise.allSettled(keys.map((key) => blobs.delete(key)));
  const failed: string[] = [];
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return;
    const key = keys[i] ?? '';
    failed.push(key);
    logger.error({ err: result.reason, blobKey: key, reason }, 'blob deletion failed; the blob is left behind');
  });
  return failed;
}
