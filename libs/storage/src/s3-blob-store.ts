import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ErrorCodes, GeoError, NotFoundError, UnavailableError } from '@geo/domain';
import { validateBlobKey, validateBlobPrefix } from './blob-key';
import type { BlobHead, BlobSource, BlobStore, PutOptions, PutResult } from './blob-store';
import { ChecksumMismatchError, ExpectationCheck } from './put-expectation';

/** S3's minimum part size; every part but the last must be at least this big. */
export const S3_MIN_PART_SIZE = 5 * 1024 * 1024;

export interface S3BlobStoreOptions {
  readonly bucket: string;
  /** e.g. `http://127.0.0.1:4568`; omit for AWS. */
  readonly endpoint?: string | undefined;
  readonly region: string;
  /** Static credentials; omit to use the AWS SDK's default credential chain (env, profile, role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  /** `true` for S3-compatible servers (MinIO, s3rver) that do not route by virtual host. */
  readonly forcePathStyle?: boolean;
  /** Multipart part size in bytes (≥ 5 MiB). Blobs larger than this are uploaded in parts. */
  readonly partSize?: number;
  /** Parts uploaded concurrently. Memory stays around `partSize × queueSize` whatever the blob size. */
  readonly queueSize?: number;
  /** A ready client (tests inject one with middleware); the connection options above are then ignored. */
  readonly client?: S3Client;
}

/**
 * Hashes and counts the bytes flowing through, without buffering them. With an expectation it fails
 * the stream on a mismatch before signalling its end, so the upload that reads it never sees a
 * complete body: it fails and aborts its multipart upload instead of completing it.
 */
class HashingStream extends Transform {
  readonly #hash = createHash('sha256');
  size = 0;
  /** Set once the source ended (in `_flush`). */
  sha256: string | undefined;
  /** The mismatch this stream failed with, if any. */
  mismatch: ChecksumMismatchError | undefined;

  constructor(
    private readonly check: ExpectationCheck | undefined,
    highWaterMark: number,
  ) {
    super({ highWaterMark });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.size += chunk.byteLength;
    callback(this.#checked(() => this.check?.sizeSoFar(this.size)), chunk);
  }

  override _flush(callback: TransformCallback): void {
    const sha256 = this.#hash.digest('hex');
    this.sha256 = sha256;
    callback(this.#checked(() => this.check?.final(this.size, sha256)));
  }

  #checked(fn: () => void): ChecksumMismatchError | null {
    try {
      fn();
      return null;
    } catch (error) {
      if (!(error instanceof ChecksumMismatchError)) throw error;
      this.mismatch = error;
      return error;
    }
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404;
}

function unavailable(op: string, key: string, cause: unknown): UnavailableError {
  const { name, message } = (cause ?? {}) as { name?: unknown; message?: unknown };
  const reason = typeof message === 'string' ? `${String(name)}: ${message}` : String(cause);
  return new UnavailableError(`s3 blob store: ${op} ${key} failed: ${reason}`, { cause, details: { key, op } });
}

/**
 * Blob store on S3 or an S3-compatible server. Writes use `@aws-sdk/lib-storage`'s `Upload`:
 * one PutObject for small blobs, multipart for larger ones; either way the object only becomes
 * visible when S3 completes it, and a failed upload is aborted (no parts left behind).
 */
export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #partSize: number;
  readonly #queueSize: number;

  constructor(options: S3BlobStoreOptions) {
    this.#bucket = options.bucket;
    this.#partSize = Math.max(S3_MIN_PART_SIZE, options.partSize ?? 8 * 1024 * 1024);
    this.#queueSize = Math.max(1, options.queueSize ?? 4);
    this.#client =
      options.client ??
      new S3Client({
        endpoint: options.endpoint,
        region: options.region,
        forcePathStyle: options.forcePathStyle ?? false,
        // A copy: the SDK writes bookkeeping fields into the credentials object, and the config's is frozen.
        ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
      });
  }

  /** The underlying client (for bucket administration in tools and tests). */
  get client(): S3Client {
    return this.#client;
  }

  async put(key: string, source: BlobSource, options: PutOptions = {}): Promise<PutResult> {
    validateBlobKey(key);
    const check = ExpectationCheck.of(key, options.expect);
    options.signal?.throwIfAborted();
    const hashing = new HashingStream(check, this.#partSize);
    const body = new PassThrough({ highWaterMark: this.#partSize });
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: key, Body: body },
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      leavePartsOnError: false,
    });
    // Stopping = destroying the body the upload reads. The upload then fails on its own and, before
    // done() settles, aborts its multipart upload (upload.abort() would settle done() at once and
    // leave that cleanup running in the background, with parts still stored).
    const stop = (reason: unknown): void => void body.destroy(reason instanceof Error ? reason : new Error(String(reason)));
    const onAbort = (): void => stop(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const input = source instanceof Uint8Array ? Readable.from([source]) : source;
    // Errors the caller's stream raises are theirs and are rethrown as they are.
    let sourceError: { error: unknown } | undefined;
    input.once('error', (error: unknown) => (sourceError ??= { error }));
    let storeError: { error: unknown } | undefined;
    // On failure pipeline destroys every stream, `body` included, which stops the upload as above.
    const feeding = pipeline(input, hashing, body).catch(() => undefined);
    const uploading = upload.done().then(
      () => undefined,
      (error: unknown) => {
        storeError = { error };
        // Unblock the feeding side, which would otherwise wait on backpressure for ever.
        stop(error);
      },
    );
    try {
      await Promise.all([feeding, uploading]);
      // First: pipeline destroys the source with the mismatch, which would look like a source error.
      if (hashing.mismatch !== undefined) throw hashing.mismatch;
      if (sourceError !== undefined) throw sourceError.error;
      options.signal?.throwIfAborted();
      if (storeError !== undefined) throw unavailable('put', key, storeError.error);
      if (hashing.sha256 === undefined) throw new GeoError(ErrorCodes.INTERNAL, `s3 blob store: put ${key} completed before its source ended`);
      return { size: hashing.size, sha256: hashing.sha256 };
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async get(key: string): Promise<Readable> {
    validateBlobKey(key);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      // In Node the SDK's body is an http.IncomingMessage, i.e. a Readable.
      if (!(out.Body instanceof Readable)) throw new Error('GetObject returned no readable body');
      return out.Body;
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(`blob ${key} not found`, { details: { key } }, ErrorCodes.FILE_NOT_FOUND);
      throw unavailable('get', key, error);
    }
  }

  async head(key: string): Promise<BlobHead | null> {
    validateBlobKey(key);
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { size: out.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw unavailable('head', key, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    validateBlobKey(key);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw unavailable('delete', key, error);
    }
  }

  async *list(prefix = ''): AsyncIterable<string> {
    validateBlobPrefix(prefix);
    try {
      const pages = paginateListObjectsV2({ client: this.#client }, { Bucket: this.#bucket, Prefix: prefix === '' ? undefined : prefix });
      for await (const page of pages) {
        for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key;
      }
    } catch (error) {
      throw unavailable('list', prefix, error);
    }
  }
}
