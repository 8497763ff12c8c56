// Test support only: a real `node:http` server standing in for the primary's retrieve endpoint.
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCodes, NotFoundError } from '@geo/domain';
import { createGeoAuthenticator } from '@geo/grpc';
import { BLOB_KEY_HEADER, CHECKSUM_HEADER, RETRIEVE_CONTENT_TYPE, RETRIEVE_PATH_PREFIX, retrieveErrorReply } from '../../http/retrieve-protocol';

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

/** How the stub answers a retrieve GET for one model record id. */
export type StubBlob =
  | {
      readonly kind: 'blob';
      readonly blobKey: string;
      /** The bytes, as chunks produced afresh for every call. */
      readonly chunks: () => Iterable<Buffer>;
      /** Sent as `Content-Length`; chunks that disagree with it end the connection mid-body. */
      readonly size: number;
      /** Sent as `x-geo-checksum` (omitted when `''` = not verified on the primary). */
      readonly checksum: string;
      /** Called before each chunk with the bytes sent so far; await it to stall the stream. */
      readonly beforeChunk?: (sentBytes: number) => Promise<void> | void;
      /** Once this many bytes are sent, destroys the connection: the client sees a body cut short. */
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
  /** `http://127.0.0.1:<port>`: the `baseUrl` of an `HttpBlobRetriever`. */
  readonly url: string;
  readonly blobs: Map<number, StubBlob>;
  /** Retrieve requests per model record id (authenticated ones). */
  readonly calls: Map<number, number>;
  /** Responses whose client went away before the body was finished (not those the stub cut off itself). */
  cancelled(): number;
  close(): Promise<void>;
}

/** The request data the GL-Geo token must be bound to (`replicable_id` a number, as the client signs it). */
interface RetrieveRequestData {
  readonly replicable_name: string;
  readonly replicable_id: number;
}

/** The route's name and id, or undefined for anything that is not `GET /api/v4/geo/retrieve/<name>/<id>`. */
function parseRoute(req: IncomingMessage): RetrieveRequestData | undefined {
  if (req.method !== 'GET') return undefined;
  const { pathname } = new URL(req.url ?? '/', 'http://stub');
  if (!pathname.startsWith(RETRIEVE_PATH_PREFIX)) return undefined;
  const [name, idText, ...rest] = pathname.slice(RETRIEVE_PATH_PREFIX.length).split('/');
  if (name === undefined || name === '' || idText === undefined || !/^\d+$/.test(idText) || rest.length > 0) return undefined;
  const id = Number(idText);
  if (!Number.isSafeInteger(id)) return undefined;
  try {
    return { replicable_name: decodeURIComponent(name), replicable_id: id };
  } catch {
    return undefined; // malformed percent-encoding
  }
}

/** An error answer exactly as the primary gives it: `retrieveErrorReply`'s status and JSON body. */
function sendError(res: ServerResponse, error: unknown): void {
  const { status, body } = retrieveErrorReply(error);
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
}

/** Resolves when `res` can take more data, or when it closed (then nothing more can be written). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes `chunk`; `flushed` settles once it reached the socket (or the response closed). Node corks
 * a response's first writes until the next tick, so destroying it right after a write would drop
 * bytes (even the head) the client should see before the connection ends.
 */
function write(res: ServerResponse, chunk: Buffer): { readonly more: boolean; readonly flushed: Promise<void> } {
  let more = true;
  const flushed = new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('close', done);
      resolve();
    };
    res.once('close', done);
    more = res.write(chunk, done);
  });
  return { more, flushed };
}

/**
 * Starts the stub on a free loopback port. It serves `GET /api/v4/geo/retrieve/<name>/<id>` like the
 * primary: authenticates the GL-Geo JWT in `Authorization` (bound to `replicable_name` and
 * `replicable_id`), then answers from `blobs`: 200 with the blob's headers and its chunks (with
 * back-pressure), or 404 NOT_FOUND (no record) / FILE_NOT_FOUND (no file) as JSON.
 */
export async function startRetrieveStub(): Promise<RetrieveStub> {
  const blobs = new Map<number, StubBlob>();
  const calls = new Map<number, number>();
  let cancelled = 0;
  const authenticate = createGeoAuthenticator<RetrieveRequestData, { secret: string; enabled: boolean }>({
    lookupSite: (accessKey) => (accessKey === STUB_ACCESS_KEY ? { secret: STUB_SECRET, enabled: true } : undefined),
    expected: (request) => ({ replicable_name: request.replicable_name, replicable_id: request.replicable_id }),
  });

  /**
   * Streams a blob with back-pressure. `cut`: the stub must end the connection mid-body (the caller
   * destroys it); `gone`: the client went away first.
   */
  async function sendBlob(res: ServerResponse, blob: StubFileBlob): Promise<'sent' | 'cut' | 'gone'> {
    res.writeHead(200, {
      'content-type': RETRIEVE_CONTENT_TYPE,
      'content-length': blob.size,
      ...(blob.checksum === '' ? {} : { [CHECKSUM_HEADER]: blob.checksum }),
      [BLOB_KEY_HEADER]: blob.blobKey,
    });
    let sent = 0;
    let flushed: Promise<void> = Promise.resolve();
    for (const chunk of blob.chunks()) {
      await blob.beforeChunk?.(sent);
      if (res.destroyed) return 'gone'; // the client went away while we waited
      // "Primary disk read failed", or more bytes than the Content-Length allows: end the connection.
      if ((blob.failAfterBytes !== undefined && sent >= blob.failAfterBytes) || sent + chunk.length > blob.size) {
        await flushed;
        return 'cut';
      }
      const written = write(res, chunk);
      flushed = written.flushed;
      sent += chunk.length;
      if (!written.more) await drained(res);
      if (res.destroyed) return 'gone';
    }
    if (sent < blob.size) {
      // Fewer bytes than the Content-Length: only closing the connection tells the client.
      await flushed;
      return 'cut';
    }
    res.end();
    return 'sent';
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = parseRoute(req);
    if (route === undefined) return sendError(res, new NotFoundError(`no route for ${req.method ?? '?'} ${req.url ?? '?'}`));
    try {
      await authenticate(req.headers.authorization, route);
    } catch (error) {
      return sendError(res, error);
    }
    const id = route.replicable_id;
    calls.set(id, (calls.get(id) ?? 0) + 1);
    let cutByStub = false;
    res.once('close', () => {
      if (!res.writableFinished && !cutByStub) cancelled += 1;
    });
    const blob = blobs.get(id);
    if (blob === undefined) return sendError(res, new NotFoundError(`${route.replicable_name} not found`));
    if (blob.kind === 'missing') return sendError(res, new NotFoundError(`PackagesNugetSymbol #${id} file not found`, {}, ErrorCodes.FILE_NOT_FOUND));
    if ((await sendBlob(res, blob)) === 'cut') {
      cutByStub = true;
      res.destroy();
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendError(res, error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    blobs,
    calls,
    cancelled: () => cancelled,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
