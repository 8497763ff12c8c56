/** Bounds of the chunks sent to the nuget app: large enough to keep per-message overhead low, small enough to stream. */
export interface ChunkBounds {
  readonly minBytes: number;
  readonly maxBytes: number;
}

/** 64 KiB–1 MiB: the push stream's chunk sizes (gRPC messages stay far below the 4 MiB default limit). */
export const PUSH_CHUNK_BOUNDS: ChunkBounds = { minBytes: 64 * 1024, maxBytes: 1024 * 1024 };

/**
 * Regroups a byte stream (socket-sized pieces of any length) into chunks of `minBytes..maxBytes`;
 * only the last chunk may be shorter. Bytes and their order are unchanged. Pulls from the source
 * only as the consumer asks, so back-pressure passes through.
 */
export async function* rechunk(source: AsyncIterable<Uint8Array>, bounds: ChunkBounds = PUSH_CHUNK_BOUNDS): AsyncGenerator<Buffer, void, undefined> {
  if (!(bounds.minBytes > 0 && bounds.maxBytes >= bounds.minBytes)) throw new RangeError(`invalid chunk bounds ${bounds.minBytes}..${bounds.maxBytes}`);
  let pending: Buffer[] = [];
  let size = 0;
  for await (const piece of source) {
    if (piece.length === 0) continue;
    pending.push(Buffer.from(piece.buffer, piece.byteOffset, piece.length));
    size += piece.length;
    if (size < bounds.minBytes) continue;
    let buffered = pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
    while (buffered.length >= bounds.maxBytes) {
      yield buffered.subarray(0, bounds.maxBytes);
      buffered = buffered.subarray(bounds.maxBytes);
    }
    if (buffered.length >= bounds.minBytes) {
      yield buffered;
      buffered = Buffer.alloc(0);
    }
    pending = buffered.length === 0 ? [] : [buffered];
    size = buffered.length;
  }
  if (size > 0) yield Buffer.concat(pending, size);
}
