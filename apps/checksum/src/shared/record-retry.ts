import { errorFields, isGeoError, type LoggerPort } from '@geo/domain';

/** Pauses between attempts when recording hits a retryable failure (a deadlock, a lost connection). */
export const RECORD_RETRY_DELAYS_MS: readonly number[] = [50, 200, 1000];

/**
 * Runs `write` again after a retryable `GeoError` (three more tries, then the error is thrown).
 * Only for writes that are compare-and-set on their claims: a repeat after a commit whose
 * acknowledgement was lost then writes nothing again.
 */
export async function withRecordRetries<T>(write: () => Promise<T>, logger: LoggerPort): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      const delay = RECORD_RETRY_DELAYS_MS[attempt];
      if (!isGeoError(error) || !error.retryable || delay === undefined) throw error;
      logger.warn({ ...errorFields(error), attempt: attempt + 1, delayMs: delay }, 'checksum: recording results failed; retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
