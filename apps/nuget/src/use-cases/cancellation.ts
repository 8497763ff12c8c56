import { ErrorCodes, GeoError } from '@geo/domain';

/**
 * Throws CANCELLED when the client has gone away. Called as the last step inside a push's
 * transaction, so a cancelled push rolls back (and removes its blobs) instead of committing rows
 * the client will never hear about. grpc-js may report a cancel only after the upload looked
 * complete, so this narrows the window; the gateway additionally never forwards the final chunk of
 * an incomplete HTTP body, so a cut-off upload fails validation (no zip end record).
 */
export function assertNotCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) {
    throw new GeoError(ErrorCodes.CANCELLED, 'push cancelled by the client before it was committed; nothing was stored');
  }
}
