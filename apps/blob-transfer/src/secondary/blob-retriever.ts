import type { Readable } from 'node:stream';

/** What the primary says about the blob before sending it. */
export interface RetrievedBlobHeader {
  /** Size in bytes. */
  readonly size: number;
  /** The primary's SHA-256, lowercase hex; `''` when the primary has not verified the blob yet. */
  readonly checksum: string;
  readonly contentType: string;
  /** The blob's key in the primary's store. */
  readonly blobKey: string;
}

/** An open retrieval: the header, and the bytes still to come. */
export interface RetrievedBlob {
  readonly header: RetrievedBlobHeader;
  /**
   * The blob's bytes, pulled from the primary only as fast as the consumer reads (back-pressure
   * reaches the primary through TCP). Fails when the transfer breaks off. Destroying it ends the
   * transfer; consume it or destroy it, never drop it.
   */
  readonly body: Readable;
  /** Bytes delivered by `body` so far (for the "Blob download" log line). */
  bytesReceived(): number;
}

/** The port the download service uses (tests may substitute it). */
export interface BlobRetriever {
  /**
   * Asks the primary for one record's blob and waits for its answer. An error answer of the primary
   * is a `GeoError` with `details.httpStatus`; failing to reach it is one without.
   */
  retrieve(replicableName: string, modelRecordId: number, signal?: AbortSignal): Promise<RetrievedBlob>;
}
