import { ErrorCodes, errorMessage, isGeoError, type GeoError } from '@geo/domain';

/** GitLab `BlobDownloader`: a 404 whose JSON `geo_code` is `FILE_NOT_FOUND` (retries capped at 4 h). */
export const PRIMARY_MISSING_FILE_REASON = 'The file is missing on the Geo primary site';
/** GitLab `BlobDownloader`: the downloaded bytes do not hash to the primary's checksum. */
export const CHECKSUM_MISMATCH_REASON = 'Downloaded file checksum mismatch';
/** GitLab `BlobDownloader`: any exception during the transfer; `failed!` appends `": " + message`. */
export const ERROR_DOWNLOADING_FILE_REASON = 'Error downloading file';

/** GitLab `BlobDownloader`: any other non-2xx answer of the primary. */
export function nonSuccessStatusReason(status: number): string {
  return `Non-success HTTP response status code ${status}`;
}

/**
 * Where a download failed:
 * - `retrieve`: asking the primary, i.e. its answer before any byte of the blob (or no answer);
 * - `transfer`: the primary's byte stream broke off after the answer's head;
 * - `store`: writing into this site's blob store (including the size and checksum comparison).
 */
export type DownloadPhase = 'retrieve' | 'transfer' | 'store';

/** What to do about a failed download. */
export type DownloadFailure =
  | {
      /** Record it: the row goes to `failed` with GitLab's text and backoff. */
      readonly kind: 'failed';
      /** `last_sync_failure` and the log's `reason`. */
      readonly message: string;
      /** Appended as `": " + errorMessage` (then truncated to 255 as a whole). */
      readonly errorMessage?: string;
      readonly missingOnPrimary: boolean;
      /** The HTTP status GitLab would have seen, when the primary answered with an error. */
      readonly statusCode?: number;
    }
  | {
      /** Our own infrastructure failed (blob store down): not the blob's fault, redeliver the job. */
      readonly kind: 'retry';
      readonly error: GeoError;
    };

/**
 * The HTTP status the primary answered with (`errorFromRetrieveAnswer` records it in
 * `details.httpStatus`); undefined for errors that arose on our side or on the way (connection
 * refused, a read timeout, a malformed header).
 */
function primaryStatus(error: GeoError): number | undefined {
  const status = error.details['httpStatus'];
  return typeof status === 'number' ? status : undefined;
}

/**
 * Maps a failed download to GitLab's outcome (spec §5.4). Pure: the phase says where `error` came from.
 * - the primary reports the file missing (`FILE_NOT_FOUND`) → "The file is missing on the Geo primary site", 4 h cap;
 * - the store refused the bytes (`CHECKSUM_MISMATCH`, size or SHA-256) → "Downloaded file checksum mismatch";
 * - any other status of the primary → "Non-success HTTP response status code <status>";
 * - a retryable failure of our own blob store → redeliver, the row stays `started`;
 * - anything else (stream cut mid-way, bad key, timeout) → "Error downloading file: <message>".
 */
export function classifyDownloadFailure(error: unknown, phase: DownloadPhase): DownloadFailure {
  const geo = isGeoError(error) ? error : undefined;
  const statusCode = phase === 'retrieve' && geo !== undefined ? primaryStatus(geo) : undefined;
  if (geo !== undefined && statusCode !== undefined) {
    if (geo.code === ErrorCodes.FILE_NOT_FOUND) return { kind: 'failed', message: PRIMARY_MISSING_FILE_REASON, missingOnPrimary: true, statusCode };
    return { kind: 'failed', message: nonSuccessStatusReason(statusCode), missingOnPrimary: false, statusCode };
  }
  if (phase === 'store' && geo !== undefined) {
    if (geo.code === ErrorCodes.CHECKSUM_MISMATCH) return { kind: 'failed', message: CHECKSUM_MISMATCH_REASON, missingOnPrimary: false };
    if (geo.retryable) return { kind: 'retry', error: geo };
  }
  return { kind: 'failed', message: ERROR_DOWNLOADING_FILE_REASON, errorMessage: errorMessage(error), missingOnPrimary: false };
}
