import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { ErrorCodes, GeoError, ValidationError } from '@geo/domain';
import { signGeoJwt } from '@geo/grpc';
import { spansExported } from '@geo/otel';
import { BLOB_KEY_HEADER, CHECKSUM_HEADER, errorFromRetrieveAnswer, RETRIEVE_CONTENT_TYPE, retrievePath } from '../http/retrieve-protocol';
import type { BlobRetriever, RetrievedBlob, RetrievedBlobHeader } from './blob-retriever';

export interface HttpBlobRetrieverOptions {
  /** The primary blob-transfer app's HTTP address (`GEO_PRIMARY_BLOB_TRANSFER_HTTP_URL`). */
  readonly baseUrl: string;
  /** This secondary's credentials (`GEO_ACCESS_KEY`, `GEO_SECRET_ACCESS_KEY`). */
  readonly accessKey: string;
  readonly secretAccessKey: string;
  /**
   * Longest silence of the connection, before the answer and then between body bytes; default 60 s
   * (GitLab's HTTP read timeout). No overall deadline: a big blob takes as long as it takes.
   */
  readonly readTimeoutMs?: number;
  /** Keep-alive connections to the primary at most; default 64 (one per concurrent download). */
  readonly maxSockets?: number;
}

export const DEFAULT_READ_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_SOCKETS = 64;
/** An error answer's body is read up to this size (it is a short JSON message). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const TRACER_NAME = '@geo/blob-transfer';

function protocolError(message: string): GeoError {
  return new GeoError(ErrorCodes.INTERNAL, `retrieve protocol violation: ${message}`);
}

function headerOf(res: IncomingMessage): RetrievedBlobHeader {
  const length = res.headers['content-length'];
  const size = length === undefined ? NaN : Number(length);
  if (!Number.isSafeInteger(size) || size < 0) throw new ValidationError(`the primary sent no valid Content-Length (${JSON.stringify(length)})`);
  const rawChecksum = res.headers[CHECKSUM_HEADER];
  const checksum = typeof rawChecksum === 'string' ? rawChecksum.toLowerCase() : '';
  if (checksum !== '' && !SHA256_HEX.test(checksum)) throw new ValidationError(`the primary sent an invalid checksum ${JSON.stringify(rawChecksum)}`);
  const blobKey = res.headers[BLOB_KEY_HEADER];
  return {
    size,
    checksum,
    contentType: res.headers['content-type'] ?? RETRIEVE_CONTENT_TYPE,
    blobKey: typeof blobKey === 'string' ? blobKey : '',
  };
}

async function readErrorBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (bytes < MAX_ERROR_BODY_BYTES) chunks.push(chunk);
      bytes += chunk.length;
    }
  } catch {
    // A body cut short still leaves the status to go by.
  }
  return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8');
}

/**
 * The secondary's side of GitLab's `BlobDownloader`: `GET <primary>/api/v4/geo/retrieve/<name>/<id>`
 * with a fresh `GL-Geo` JWT binding `replicable_name` and `replicable_id`, over keep-alive
 * connections. A redirect (object storage) is followed once, without the Authorization header,
 * as GitLab does. The body is the response stream itself: no copy, TCP back-pressure.
 */
export class HttpBlobRetriever implements BlobRetriever {
  private readonly base: URL;
  /** The base URL's path without its trailing slashes; the retrieve path is appended to it. */
  private readonly basePath: string;
  private readonly readTimeoutMs: number;
  private readonly agent: http.Agent;

  constructor(private readonly options: HttpBlobRetrieverOptions) {
    this.base = new URL(options.baseUrl);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new ValidationError(`the primary's retrieve URL must be http(s), got ${options.baseUrl}`);
    this.basePath = this.base.pathname.replace(/\/+$/, '');
    this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    if (!Number.isInteger(this.readTimeoutMs) || this.readTimeoutMs <= 0) throw new ValidationError(`readTimeoutMs must be a positive integer, got ${this.readTimeoutMs}`);
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS, scheduling: 'lifo' as const };
    this.agent = this.base.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  /**
   * The retrieval runs in a `geo.blob.retrieve` CLIENT span, from the request until the body has been
   * read (or failed); its W3C trace context goes to the primary in `traceparent`, whose server span
   * becomes its child. The redirect target (object storage) gets no trace headers. Only while spans
   * are exported: a download is a hot path.
   */
  async retrieve(replicableName: string, modelRecordId: number, signal?: AbortSignal): Promise<RetrievedBlob> {
    signal?.throwIfAborted();
    const url = new URL(this.basePath + retrievePath(replicableName, modelRecordId), this.base);
    if (!spansExported()) return this.open(url, replicableName, modelRecordId, undefined, signal);
    const span = trace.getTracer(TRACER_NAME).startSpan('geo.blob.retrieve', {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': 'GET', 'url.full': url.href, 'server.address': url.hostname, 'geo.replicable': replicableName, 'geo.model_record_id': modelRecordId },
    });
    try {
      const blob = await this.open(url, replicableName, modelRecordId, span, signal);
      // Ends with the body: 'close' follows the last byte, a broken transfer and a destroy alike.
      blob.body.once('error', (error: Error) => span.setStatus({ code: SpanStatusCode.ERROR, message: error.message }));
      blob.body.once('close', () => {
        span.setAttribute('geo.bytes_received', blob.bytesReceived());
        span.end();
      });
      return blob;
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.end();
      throw error;
    }
  }

  private async open(url: URL, replicableName: string, modelRecordId: number, span: Span | undefined, signal: AbortSignal | undefined): Promise<RetrievedBlob> {
    const authorization = signGeoJwt({
      accessKey: this.options.accessKey,
      secret: this.options.secretAccessKey,
      data: { replicable_name: replicableName, replicable_id: modelRecordId },
    });
    const headers: Record<string, string> = { authorization, 'x-sendfile-type': 'X-Sendfile' };
    if (span !== undefined) propagation.inject(trace.setSpan(context.active(), span), headers);
    let res = await this.get(url, headers, this.agent, signal);
    const location = res.headers.location;
    if (REDIRECTS.has(res.statusCode ?? 0) && location !== undefined) {
      res.resume();
      // Object storage: a pre-signed URL, fetched without our credentials (GitLab follows one redirect).
      const target = new URL(location, url);
      res = await this.get(target, {}, undefined, signal);
    }
    const status = res.statusCode ?? 0;
    span?.setAttribute('http.response.status_code', status);
    if (status < 200 || status > 299) throw errorFromRetrieveAnswer(status, await readErrorBody(res));
    let header: RetrievedBlobHeader;
    try {
      header = headerOf(res);
    } catch (error) {
      res.destroy();
      throw error;
    }
    let received = 0;
    const body = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        callback(null, chunk);
      },
    });
    // Either side failing ends both: a broken transfer fails the body, a destroyed body ends the request.
    res.on('error', (error) => body.destroy(error));
    body.on('close', () => {
      if (!res.complete) res.destroy();
    });
    res.pipe(body);
    return { header, body, bytesReceived: () => received };
  }

  /** One GET; resolves with the answer's head. Failing to reach the primary is a retryable UNAVAILABLE. */
  private get(url: URL, headers: Record<string, string>, agent: http.Agent | undefined, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(protocolError(`redirect to ${url.protocol} URL`));
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method: 'GET', headers, ...(agent === undefined ? {} : { agent }), ...(signal === undefined ? {} : { signal }) });
      req.setTimeout(this.readTimeoutMs, () => {
        req.destroy(new GeoError(ErrorCodes.TIMEOUT, `no data from the primary for ${this.readTimeoutMs} ms`, { retryable: true }));
      });
      req.once('response', resolve);
      req.once('error', (error: Error) => {
        if (error instanceof GeoError || signal?.aborted === true) reject(error);
        else reject(new GeoError(ErrorCodes.UNAVAILABLE, `GET ${url.origin}${url.pathname} failed: ${error.message}`, { cause: error, retryable: true }));
      });
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
