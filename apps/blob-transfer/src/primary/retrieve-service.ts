import type { Readable } from 'node:stream';
import {
  ErrorCodes,
  isGeoError,
  NotFoundError,
  UnavailableError,
  ValidationError,
  type LoggerPort,
  type ReplicableDefinition,
  type ReplicableRecord,
} from '@geo/domain';
import {
  createGeoCallAuthenticator,
  wrapServerStream,
  type GeoSiteCredentials,
  type GrpcServiceRegistration,
} from '@geo/grpc';
import type { ReplicableCatalog } from '@geo/pg';
import { BlobTransferServiceService, type BlobTransferServiceServer, type RetrieveRequest, type RetrieveResponse } from '@geo/proto';
import type { BlobStore } from '@geo/storage';

/** Bytes per `chunk` message: small next to gRPC's 4 MiB message limit, large enough to keep overhead low. */
export const RETRIEVE_CHUNK_BYTES = 64 * 1024;
/** GitLab serves every blob as `application/octet-stream` (spec §5.3). */
export const RETRIEVE_CONTENT_TYPE = 'application/octet-stream';

/** What Retrieve reads from the catalogue (`PgReplicableCatalogRepository` on the primary). */
export type RetrieveCatalogPort = Pick<ReplicableCatalog, 'findSiteByAccessKey' | 'getByIds'>;

export interface BlobRetrieveServiceOptions {
  readonly catalog: RetrieveCatalogPort;
  /** The replicable types the primary serves; any other name is INVALID_ARGUMENT. */
  readonly replicables: readonly ReplicableDefinition[];
  /** The primary's blob store (the one the records' blob keys point into). */
  readonly blobStore: Pick<BlobStore, 'get'>;
  /** Receives one warn line per refused caller (access key and reason, never a secret or token). */
  readonly logger: LoggerPort;
  /** Clock the JWTs are checked against; defaults to the system clock. */
  readonly clock?: () => Date;
  /** Reuse a caller's site lookup for this long (one query less per call); 0 (default): none. */
  readonly siteCacheTtlMs?: number;
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
 * `geo.v1.BlobTransferService` on the primary: GitLab's `GET /api/v4/geo/retrieve/:replicable_name/:replicable_id`
 * (spec §5.2, §5.3). The caller's `GL-Geo` JWT must bind `{ replicable_name, replicable_id }`, so a
 * token for record 1 cannot fetch record 2. Selective sync is not applied (as in GitLab): scope
 * decides what a secondary asks for, not what it may read. Answers:
 * - unknown or disabled site, bad signature, expired or mismatched token: UNAUTHENTICATED (logged);
 * - unknown replicable name: INVALID_ARGUMENT (as ChecksumService and RegistryCatalogService);
 * - no such record: NOT_FOUND `<replicable_name> not found`;
 * - record without its blob: NOT_FOUND with `FILE_NOT_FOUND` (`geo_code` metadata), message
 *   `<ModelClass> #<id> file not found`, so the secondary applies the 4-hour backoff cap;
 * - otherwise one header, then the blob in {@link RETRIEVE_CHUNK_BYTES} chunks, read from the store
 *   only as fast as the client takes them.
 */
export function blobRetrieveService(options: BlobRetrieveServiceOptions): GrpcServiceRegistration {
  const { catalog, blobStore, logger } = options;
  const byName = new Map(options.replicables.map((def) => [def.name, def]));
  const authenticate = createGeoCallAuthenticator<RetrieveRequest, GeoSiteCredentials>({
    lookupSite: (accessKey) => catalog.findSiteByAccessKey(accessKey),
    expected: (request) => ({ replicable_name: request.replicableName, replicable_id: request.modelRecordId }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.siteCacheTtlMs === undefined ? {} : { siteCacheTtlMs: options.siteCacheTtlMs }),
    onRefused: ({ request, accessKey, reason }) =>
      logger.warn({ grpcMethod: 'Retrieve', accessKey, replicableName: request.replicableName, modelRecordId: request.modelRecordId, reason }, 'Geo site refused'),
  });

  function replicable(name: string): ReplicableDefinition {
    const def = byName.get(name);
    if (def === undefined) throw new ValidationError(`unknown replicable ${JSON.stringify(name)}`, { details: { replicableName: name } });
    return def;
  }

  /** Opens the record's blob; a missing blob becomes GitLab's FILE_NOT_FOUND answer. */
  async function openBlob(def: ReplicableDefinition, record: ReplicableRecord): Promise<Readable> {
    try {
      return await blobStore.get(record.blobKey);
    } catch (err: unknown) {
      if (isGeoError(err) && err.code === ErrorCodes.FILE_NOT_FOUND) {
        throw new NotFoundError(
          `${def.gitlab.modelClass} #${record.modelRecordId} file not found`,
          { cause: err, details: { replicableName: def.name, modelRecordId: record.modelRecordId, blobKey: record.blobKey } },
          ErrorCodes.FILE_NOT_FOUND,
        );
      }
      throw err;
    }
  }

  /** The blob's chunks; a read failure after the header is a retryable UNAVAILABLE, not a bug. */
  async function* blobChunks(blob: Readable, key: string): AsyncGenerator<Buffer, void, undefined> {
    try {
      yield* fixedSizeChunks(blob as AsyncIterable<Uint8Array | string>, RETRIEVE_CHUNK_BYTES);
    } catch (err: unknown) {
      if (isGeoError(err)) throw err;
      throw new UnavailableError(`reading blob ${key} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, details: { key } });
    }
  }

  const implementation: BlobTransferServiceServer = {
    retrieve: wrapServerStream(async function* (request, call): AsyncGenerator<RetrieveResponse> {
      await authenticate(call);
      const def = replicable(request.replicableName);
      const [record] = await catalog.getByIds(def, null, [request.modelRecordId]);
      if (record === undefined) {
        throw new NotFoundError(`${request.replicableName} not found`, { details: { replicableName: def.name, modelRecordId: request.modelRecordId } });
      }
      // Opened before the header goes out, so a missing blob is an error status, not a half answer.
      const blob = await openBlob(def, record);
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
