// Test support only: a real gRPC `BlobTransferService` standing in for the primary.
import { createHash } from 'node:crypto';
import { ErrorCodes, NotFoundError } from '@geo/domain';
import { createGeoCallAuthenticator, startGrpcServer, wrapServerStream, type GrpcServerHandle } from '@geo/grpc';
import { BlobTransferServiceService, type RetrieveRequest, type RetrieveResponse } from '@geo/proto';

export const STUB_ACCESS_KEY = 'stubaccesskey0000000';
export const STUB_SECRET = 'stub-secret-0123456789-0123456789-abcdef';
const MiB = 1024 * 1024;

/** Deterministic bytes of a generated blob, chunk by chunk (never one big buffer). */
export function* generatedChunks(totalBytes: number, seed: number, chunkBytes = MiB): Generator<Buffer> {
  let state = seed >>> 0 || 1;
  for (let sent = 0; sent < totalBytes; sent += chunkBytes) {
    const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, totalBytes - sent));
    for (let i = 0; i + 4 <= chunk.length; i += 4) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      chunk.writeUInt32LE(state, i);
    }
    chunk.fill(7, chunk.length - (chunk.length % 4));
    yield chunk;
  }
}

export function sha256Hex(chunks: Iterable<Uint8Array>): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

/** How the stub answers Retrieve for one model record id. */
export type StubBlob =
  | {
      readonly kind: 'blob';
      readonly blobKey: string;
      /** The bytes, as chunks produced afresh for every call. */
      readonly chunks: () => Iterable<Buffer>;
      readonly size: number;
      /** Sent in the header; `''` = not verified on the primary. */
      readonly checksum: string;
      /** Called before each chunk with the bytes sent so far; await it to stall the stream. */
      readonly beforeChunk?: (sentBytes: number) => Promise<void> | void;
      /** Fails the stream after this many bytes. */
      readonly failAfterBytes?: number;
    }
  /** The record exists, its file does not (geo_code FILE_NOT_FOUND). */
  | { readonly kind: 'missing' };

/** A stubbed blob whose file exists on the primary. */
export type StubFileBlob = Extract<StubBlob, { readonly kind: 'blob' }>;

export function bufferBlob(
  blobKey: string,
  data: Buffer,
  options: { checksum?: string; beforeChunk?: (sent: number) => Promise<void> | void; chunkBytes?: number } = {},
): StubFileBlob {
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  return {
    kind: 'blob',
    blobKey,
    size: data.length,
    checksum: options.checksum ?? sha256Hex([data]),
    chunks: function* () {
      for (let i = 0; i < data.length; i += chunkBytes) yield data.subarray(i, i + chunkBytes);
    },
    ...(options.beforeChunk === undefined ? {} : { beforeChunk: options.beforeChunk }),
  };
}

export interface RetrieveStub {
  readonly target: string;
  readonly blobs: Map<number, StubBlob>;
  /** Retrieve calls per model record id (authenticated ones). */
  readonly calls: Map<number, number>;
  /** Calls whose client cancelled mid-stream. */
  cancelled(): number;
  close(): Promise<void>;
}

/**
 * Starts the stub on a free loopback port. It authenticates calls like the primary (GL-Geo JWT bound
 * to `replicable_name` and `replicable_id`), then answers from `blobs`: header, chunks (with
 * back-pressure), or NOT_FOUND (no record) / FILE_NOT_FOUND (no file).
 */
export async function startRetrieveStub(): Promise<RetrieveStub> {
  const blobs = new Map<number, StubBlob>();
  const calls = new Map<number, number>();
  let cancelled = 0;
  const authenticate = createGeoCallAuthenticator<RetrieveRequest, { secret: string; enabled: boolean }>({
    lookupSite: (accessKey) => (accessKey === STUB_ACCESS_KEY ? { secret: STUB_SECRET, enabled: true } : undefined),
    expected: (request) => ({ replicable_name: request.replicableName, replicable_id: request.modelRecordId }),
  });
  const retrieve = wrapServerStream<RetrieveRequest, RetrieveResponse>(async function* (request, call) {
    await authenticate(call);
    const id = request.modelRecordId;
    calls.set(id, (calls.get(id) ?? 0) + 1);
    call.once('cancelled', () => (cancelled += 1));
    const blob = blobs.get(id);
    if (blob === undefined) throw new NotFoundError(`${request.replicableName} not found`);
    if (blob.kind === 'missing') throw new NotFoundError(`PackagesNugetSymbol #${id} file not found`, {}, ErrorCodes.FILE_NOT_FOUND);
    yield { part: { $case: 'header', header: { size: blob.size, checksum: blob.checksum, contentType: 'application/octet-stream', blobKey: blob.blobKey } } };
    let sent = 0;
    for (const chunk of blob.chunks()) {
      await blob.beforeChunk?.(sent);
      if (blob.failAfterBytes !== undefined && sent >= blob.failAfterBytes) throw new Error('primary disk read failed');
      yield { part: { $case: 'chunk', chunk } };
      sent += chunk.length;
    }
  });
  const server: GrpcServerHandle = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    services: [{ definition: BlobTransferServiceService, implementation: { retrieve } }],
  });
  return {
    target: `127.0.0.1:${server.port}`,
    blobs,
    calls,
    cancelled: () => cancelled,
    close: () => server.shutdown(0),
  };
}
