import { ErrorCodes, isGeoError, ValidationError } from '@geo/domain';
import { PUSH_CHUNK_BOUNDS, rechunk, type ChunkBounds } from './rechunk';

/**
 * The slice of a multipart part this module reads (@fastify/multipart's `Multipart`): file parts
 * carry a byte stream that ends `truncated` when busboy's `fileSize` limit cut it.
 */
export type UploadPart =
  | { readonly type: 'file'; readonly fieldname: string; readonly file: AsyncIterable<Uint8Array> & { readonly truncated?: boolean } }
  | { readonly type: 'field'; readonly fieldname: string };

export const NO_FILE_MESSAGE = 'No package file in the request: send it as one multipart/form-data file part';
export const TWO_FILES_MESSAGE = 'More than one file in the request: send exactly one package file';
export const NOT_MULTIPART_MESSAGE = 'The package must be sent as multipart/form-data';

/** nuget.org answers 413 for an oversized package; the limit is named so operators can act. */
export function packageTooLarge(maxPackageBytes: number): ValidationError {
  return new ValidationError(`File is too large: the limit is ${maxPackageBytes} bytes`, { details: { maxPackageBytes } }, ErrorCodes.TOO_LARGE);
}

/** Multipart-layer failures (busboy, @fastify/multipart limits, a client hanging up) as GeoErrors. */
function uploadError(error: unknown, maxPackageBytes: number): Error {
  if (isGeoError(error)) return error;
  const statusCode: unknown = error instanceof Error ? (error as Error & { statusCode?: unknown }).statusCode : undefined;
  const code: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return packageTooLarge(maxPackageBytes);
  if (statusCode === 413) return new ValidationError(`Malformed upload: ${(error as Error).message}`, { cause: error }, ErrorCodes.TOO_LARGE);
  return new ValidationError(`Malformed multipart body: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/**
 * Passes bytes through and throws TOO_LARGE on the first one past `maxBytes`. Counted on the raw
 * pieces, before any regrouping: busboy stops delivering at its `fileSize` limit but only ends the
 * file stream when the part's closing boundary arrives, which a client streaming an endless body
 * never sends, so the check must not wait for more data.
 */
async function* atMost(source: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array, void, undefined> {
  let total = 0;
  for await (const piece of source) {
    total += piece.length;
    if (total > maxBytes) throw packageTooLarge(maxBytes);
    yield piece;
  }
}

/**
 * The bytes of the single file part of a NuGet push body, in 64 KiB–1 MiB chunks, read only as the
 * consumer (the gRPC push stream) asks. Other (non-file) fields are ignored, as NuGet sends none.
 * Throws, so that the push is cancelled before the nuget app sees a complete stream, when:
 * - the file grows past `maxPackageBytes` (TOO_LARGE, checked while streaming);
 * - a second file part follows (the body is read to its end before the stream completes, so a
 *   trailing second file is caught before anything is committed);
 * - there is no file part at all, or the multipart body is malformed or cut off.
 *
 * The last chunk is held back until the whole body has been read and found valid. A body cut off
 * after its file part (the client hung up before the closing boundary) therefore never reaches the
 * nuget app complete: its zip lacks the end-of-central-directory record even if the cancel arrives
 * there as a plain half-close, which grpc-js servers can see (they end the request stream before
 * flagging the call `cancelled`).
 */
export async function* packageFileChunks(
  parts: AsyncIterable<UploadPart>,
  maxPackageBytes: number,
  bounds: ChunkBounds = PUSH_CHUNK_BOUNDS,
): AsyncGenerator<Buffer, void, undefined> {
  let files = 0;
  let held: Buffer | undefined;
  try {
    for await (const part of parts) {
      if (part.type !== 'file') continue;
      files += 1;
      if (files > 1) throw new ValidationError(TWO_FILES_MESSAGE);
      for await (const chunk of rechunk(atMost(part.file, maxPackageBytes), bounds)) {
        if (held !== undefined) yield held;
        held = chunk;
      }
      if (part.file.truncated === true) throw packageTooLarge(maxPackageBytes);
    }
  } catch (error: unknown) {
    throw uploadError(error, maxPackageBytes);
  }
  if (files === 0) throw new ValidationError(NO_FILE_MESSAGE);
  if (held !== undefined) yield held;
}
