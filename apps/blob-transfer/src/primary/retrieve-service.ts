import type { Readable } from 'node:stream';
import { errorMessage, isGeoError, UnavailableError, type LoggerPort } from '@geo/domain';
import { wrapServerStream, AUTHORIZATION_METADATA_KEY, type GrpcServiceRegistration } from '@geo/grpc';
import { BlobTransferServiceService, type BlobTransferServiceServer, type RetrieveResponse } from '@geo/proto';
import { RETRIEVE_CONTENT_TYPE } from '../http/retrieve-protocol';
import type { BlobRetrieval } from './blob-retrieval';

/** Bytes per `chunk` message: small next to gRPC's 4 MiB message limit, large enough to keep overhead low. */
export const RETRIEVE_CHUNK_BYTES = 64 * 1024;

export interface BlobRetrieveServiceOptions {
  /** Authentication, lookup and opening of the blob, shared with the HTTP endpoint. */
  readonly retrieval: BlobRetrieval;
  readonly logger: LoggerPort;
}

/**
 * Regroups a byte stream into chunks of exactly `size` bytes (the last may be shorter), keeping
 * bytes and order. It reads the source only when its consumer asks for the next chunk, so
 * back-pressure reaches the source and at most one source piece plus one chunk is held.
 */
export async function* fixedSizeChunks(source: AsyncIterable<Uint8Array | string>, size: number): AsyncGenerator<Buffer, void, undefined> {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source) {
    let rest = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (pendingBytes + rest.length >= size) {
      const take = size - pendingBytes;
      pending.push(rest.subarray(0, take));
      yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
      pending = [];
      pendingBytes = 0;
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

/**
 * `geo.v1.BlobTransferService.Retrieve` on the primary: the gRPC face of {@link BlobRetrieval}
 * (GitLab's `GET /api/v4/geo/retrieve/:replicable_name/:replicable_id`, spec §5.2, §5.3). The
 * secondaries' workers use the HTTP face (ADR 0005: grpc-js streams top out far below the disk);
 * this one serves gRPC-only tools. Errors map through the gRPC wrapper: UNAUTHENTICATED,
 * INVALID_ARGUMENT, NOT_FOUND, and NOT_FOUND with `FILE_NOT_FOUND` (`geo_code` metadata). Otherwise
 * one header, then the blob in {@link RETRIEVE_CHUNK_BYTES} chunks, read from the store only as fast
 * as the client takes them.
 */
export function blobRetrieveService(options: BlobRetrieveServiceOptions): GrpcServiceRegistration {
  const { retrieval, logger } = options;

  /** The blob's chunks; a read failure after the header is a retryable UNAVAILABLE, not a bug. */
  async function* blobChunks(blob: Readable, key: string): AsyncGenerator<Buffer, void, undefined> {
    try {
      yield* fixedSizeChunks(blob as AsyncIterable<Uint8Array | string>, RETRIEVE_CHUNK_BYTES);
    } catch (err: unknown) {
      if (isGeoError(err)) throw err;
      throw new UnavailableError(`reading blob ${key} failed: ${errorMessage(err)}`, { cause: err, details: { key } });
    }
  }

  const implementation: BlobTransferServiceServer = {
    retrieve: wrapServerStream(async function* (request, call): AsyncGenerator<RetrieveResponse> {
      const [authorization] = call.metadata.get(AUTHORIZATION_METADATA_KEY);
      // Opened before the header goes out, so a missing blob is an error status, not a half answer.
      const { record, blob } = await retrieval.open(typeof authorization === 'string' ? authorization : undefined, request, 'grpc');
      try {
        yield {
          part: {
            $case: 'header',
            header: { size: record.size, checksum: record.primaryChecksum ?? '', contentType: RETRIEVE_CONTENT_TYPE, blobKey: record.blobKey },
          },
        };
        for await (const chunk of blobChunks(blob, record.blobKey)) yield { part: { $case: 'chunk', chunk } };
      } finally {
        // Also runs when the client goes away mid-stream (the wrapper stops iterating): close the file.
        blob.destroy();
      }
    }, { logger }),
  };
  return { definition: BlobTransferServiceService, implementation };
}
