import { Readable } from 'node:stream';
import { ErrorCodes, GeoError, ValidationError } from '@geo/domain';
import { createChannelClient, geoAuthMetadata, serverStream, type ChannelClientOptions } from '@geo/grpc';
import { BlobTransferServiceClient, type RetrieveResponse } from '@geo/proto';

/** grpc-js channel option: the HTTP/2 receive window of the connection and its streams. */
const FLOW_CONTROL_WINDOW_OPTION = 'grpc-node.flow_control_window';
/** 4 MiB: keeps a loopback or LAN link busy (1 MiB measured 30 % slower on 8–12 MiB blobs). */
export const RECEIVE_WINDOW_BYTES = 4 * 1024 * 1024;

/** What the primary says about the blob before sending it (the stream's first message). */
export interface RetrievedBlobHeader {
  /** Size in bytes. */
  readonly size: number;
  /** The primary's SHA-256, lowercase hex; `''` when the primary has not verified the blob yet. */
  readonly checksum: string;
  readonly contentType: string;
  /** The blob's key in the primary's store. */
  readonly blobKey: string;
}

/** An open Retrieve call: the header, and the bytes still to come. */
export interface RetrievedBlob {
  readonly header: RetrievedBlobHeader;
  /**
   * The blob's bytes, pulled from the call only as fast as the consumer reads (back-pressure reaches
   * the primary through HTTP/2 flow control). Fails with a `GeoError` when the call fails mid-stream.
   * Destroying it cancels the call; consume it or destroy it, never drop it.
   */
  readonly body: Readable;
  /** Bytes delivered by `body` so far (for the "Blob download" log line). */
  bytesReceived(): number;
}

/** The port the download service uses (tests may substitute it). */
export interface BlobRetriever {
  /** Opens a Retrieve call and waits for its header. Failures are `GeoError`s (`fromGrpcError`). */
  retrieve(replicableName: string, modelRecordId: number, signal?: AbortSignal): Promise<RetrievedBlob>;
}

export interface BlobRetrieveClientOptions {
  /** The primary blob-transfer app (`GEO_PRIMARY_BLOB_TRANSFER_GRPC_URL` or `GEO_PRIMARY_GRPC_URL`). */
  readonly target: string;
  /** This secondary's credentials (`GEO_ACCESS_KEY`, `GEO_SECRET_ACCESS_KEY`). */
  readonly accessKey: string;
  readonly secretAccessKey: string;
  /**
   * Longest wait for the header and then for each chunk; default 60 s (GitLab's HTTP read timeout).
   * There is no overall deadline: a big blob may take as long as it takes while bytes keep coming.
   */
  readonly readTimeoutMs?: number;
  readonly channel?: ChannelClientOptions;
}

export const DEFAULT_READ_TIMEOUT_MS = 60_000;
/** Bytes buffered ahead of the consumer, on top of what grpc-js and HTTP/2 flow control hold. */
const BODY_HIGH_WATER_MARK = 1024 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function protocolError(message: string): GeoError {
  return new GeoError(ErrorCodes.INTERNAL, `Retrieve protocol violation: ${message}`);
}

function toHeader(message: RetrieveResponse | undefined): RetrievedBlobHeader {
  const part = message?.part;
  if (part?.$case !== 'header') throw protocolError(message === undefined ? 'the stream ended before the header' : 'the first message is not a header');
  const { size, checksum, contentType, blobKey } = part.header;
  if (!Number.isSafeInteger(size) || size < 0) throw new ValidationError(`the primary sent an invalid blob size ${size}`);
  const normalised = checksum.toLowerCase();
  if (normalised !== '' && !SHA256_HEX.test(normalised)) throw new ValidationError(`the primary sent an invalid checksum ${JSON.stringify(checksum)}`);
  return { size, checksum: normalised, contentType, blobKey };
}

/**
 * The secondary's side of `BlobTransferService.Retrieve` (GitLab's `BlobDownloader` GET of
 * `/api/v4/geo/retrieve/<replicable_name>/<id>`): every call carries a fresh `GL-Geo` JWT whose data
 * binds `replicable_name` and `replicable_id`, and the chunks are exposed as a Node `Readable`.
 */
export class BlobRetrieveClient implements BlobRetriever {
  private readonly client: BlobTransferServiceClient;
  private readonly readTimeoutMs: number;

  constructor(private readonly options: BlobRetrieveClientOptions) {
    this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    if (!Number.isInteger(this.readTimeoutMs) || this.readTimeoutMs <= 0) {
      throw new ValidationError(`readTimeoutMs must be a positive integer, got ${this.readTimeoutMs}`);
    }
    this.client = createChannelClient(BlobTransferServiceClient, options.target, {
      ...options.channel,
      // HTTP/2's default 64 KiB receive window allows one chunk per round trip; a larger window lets
      // the primary keep streaming while we write (the body still applies back-pressure).
      channelOptions: { [FLOW_CONTROL_WINDOW_OPTION]: RECEIVE_WINDOW_BYTES, ...options.channel?.channelOptions },
    });
  }

  async retrieve(replicableName: string, modelRecordId: number, signal?: AbortSignal): Promise<RetrievedBlob> {
    signal?.throwIfAborted();
    // One controller ends the call whatever the reason: the caller's signal, a read timeout, or the
    // body being destroyed by its consumer.
    const cancel = new AbortController();
    const onCallerAbort = (): void => cancel.abort(signal?.reason);
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    const release = (): void => signal?.removeEventListener('abort', onCallerAbort);
    const metadata = geoAuthMetadata({
      accessKey: this.options.accessKey,
      secret: this.options.secretAccessKey,
      data: { replicable_name: replicableName, replicable_id: modelRecordId },
    });
    const messages = serverStream(this.client.retrieve.bind(this.client), { replicableName, modelRecordId }, { metadata, signal: cancel.signal });

    let header: RetrievedBlobHeader;
    try {
      const first = await this.timed(messages.next(), cancel, 'the header');
      header = toHeader(first.done === true ? undefined : first.value);
    } catch (error) {
      cancel.abort(error);
      void messages.return(undefined).catch(() => undefined);
      release();
      throw error;
    }

    let received = 0;
    let pulling = false;
    const body: Readable = new Readable({
      highWaterMark: BODY_HIGH_WATER_MARK,
      read: () => {
        if (!pulling) void pump();
      },
      destroy: (error, callback) => {
        // Cancels the call at once, even while a read is waiting for the next chunk.
        cancel.abort(error ?? new Error('blob body destroyed'));
        // Runs the stream's cleanup (queued behind a pending read, which the cancel settles).
        void messages.return(undefined).catch(() => undefined);
        release();
        callback(error);
      },
    });
    const pump = async (): Promise<void> => {
      pulling = true;
      try {
        for (;;) {
          const step = await this.timed(messages.next(), cancel, 'the next chunk');
          if (body.destroyed) return;
          if (step.done === true) {
            release();
            body.push(null);
            return;
          }
          const part = step.value.part;
          if (part?.$case !== 'chunk') throw protocolError('a second header');
          received += part.chunk.byteLength;
          if (!body.push(part.chunk)) return;
        }
      } catch (error) {
        body.destroy(error instanceof Error ? error : new Error(String(error)));
      } finally {
        pulling = false;
      }
    };
    return { header, body, bytesReceived: () => received };
  }

  /** `promise`, or a retryable TIMEOUT (which also cancels the call) when nothing came within the read timeout. */
  private async timed<T>(promise: Promise<T>, cancel: AbortController, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new GeoError(ErrorCodes.TIMEOUT, `no data from the primary for ${this.readTimeoutMs} ms while waiting for ${what}`, {
          retryable: true,
        });
        cancel.abort(error);
        reject(error);
      }, this.readTimeoutMs);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.client.close();
  }
}
