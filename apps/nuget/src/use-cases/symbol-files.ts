import { ErrorCodes, GeoError, isGeoError, NotFoundError } from '@geo/domain';
import type { BlobStore } from '@geo/storage';
import type { Readable } from 'node:stream';
import type { SymbolRecord } from '../domain/model';
import { symbolLookupKey, type SymbolFileRequest } from '../domain/symbol-query';
import type { SymbolIndex } from '../ports';

export interface SymbolFileDeps {
  readonly index: SymbolIndex;
  readonly blobs: BlobStore;
}

/** 64 KiB: the size of each chunk a download sends (small enough to interleave, large enough to be cheap). */
export const DOWNLOAD_CHUNK_BYTES = 64 * 1024;

async function findRecord(deps: SymbolFileDeps, request: SymbolFileRequest): Promise<SymbolRecord> {
  const key = symbolLookupKey(request);
  if (!(await deps.index.projectExists(request.projectId))) {
    throw new NotFoundError(`Project ${request.projectId} not found`, { details: { projectId: request.projectId } });
  }
  const symbol = await deps.index.findSymbol(key);
  if (symbol === null) {
    throw new NotFoundError(`Symbol file not found: ${request.fileName}/${request.signature}/${request.sameFileName} with the given checksum`);
  }
  return symbol;
}

function blobMissing(symbol: SymbolRecord, cause?: unknown): NotFoundError {
  return new NotFoundError(
    `Symbol file ${symbol.id} is registered but its blob is missing from storage`,
    { cause, details: { symbolId: symbol.id, objectStorageKey: symbol.objectStorageKey } },
    ErrorCodes.FILE_NOT_FOUND,
  );
}

/**
 * The symbol server lookup (SSQP + `SymbolChecksum`, spec nuget-symbols §5/§6.4), for HEAD: the
 * matching row, after checking its blob exists (a row without its blob is FILE_NOT_FOUND, not 200).
 */
export async function findSymbolFile(deps: SymbolFileDeps, request: SymbolFileRequest): Promise<SymbolRecord> {
  const symbol = await findRecord(deps, request);
  if ((await deps.blobs.head(symbol.objectStorageKey)) === null) throw blobMissing(symbol);
  return symbol;
}

/** A download: the row (sent first, as the response headers) and the blob's bytes in chunks. */
export interface SymbolDownload {
  readonly symbol: SymbolRecord;
  readonly chunks: AsyncGenerator<Buffer>;
  /**
   * Releases the open blob. Iterating `chunks` to its end (or breaking out of it) does this too; call
   * it in a `finally` for the case where iteration never started (a generator that never ran cannot
   * run its own cleanup). Idempotent.
   */
  close(): void;
}

/**
 * Re-chunks the blob stream into `DOWNLOAD_CHUNK_BYTES` pieces and checks it has exactly the
 * recorded size: the client was promised `size` bytes (Content-Length), so a blob that is shorter
 * or longer than its row says fails the stream instead of passing as a complete file. The blob
 * stream is destroyed however iteration ends (client cancel included).
 */
async function* chunksOf(symbol: SymbolRecord, content: Readable): AsyncGenerator<Buffer> {
  let sent = 0;
  try {
    for await (const data of content) {
      const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data as Uint8Array);
      for (let offset = 0; offset < buffer.byteLength; offset += DOWNLOAD_CHUNK_BYTES) {
        const chunk = buffer.subarray(offset, offset + DOWNLOAD_CHUNK_BYTES);
        sent += chunk.byteLength;
        if (sent > symbol.size) break;
        yield chunk;
      }
      if (sent > symbol.size) break;
    }
  } finally {
    content.destroy();
  }
  if (sent !== symbol.size) {
    throw new GeoError(ErrorCodes.INTERNAL, `symbol file ${symbol.id}: the stored blob has ${sent > symbol.size ? 'more' : 'fewer'} bytes than its recorded size ${symbol.size}`, {
      details: { symbolId: symbol.id, objectStorageKey: symbol.objectStorageKey },
    });
  }
}

/**
 * Same lookup as `findSymbolFile`, then opens the blob (FILE_NOT_FOUND when it is missing, raised
 * before anything is sent) and returns its bytes as chunks.
 */
export async function openSymbolFile(deps: SymbolFileDeps, request: SymbolFileRequest): Promise<SymbolDownload> {
  const symbol = await findRecord(deps, request);
  let content: Readable;
  try {
    content = await deps.blobs.get(symbol.objectStorageKey);
  } catch (error: unknown) {
    if (isGeoError(error) && error.code === ErrorCodes.FILE_NOT_FOUND) throw blobMissing(symbol, error);
    throw error;
  }
  return { symbol, chunks: chunksOf(symbol, content), close: () => content.destroy() };
}
