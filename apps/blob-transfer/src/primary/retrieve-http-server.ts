import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { abortableSleep, errorFields, NotFoundError, ValidationError, type LoggerPort, type ReplicableRecord } from '@geo/domain';
import { spansExported } from '@geo/otel';
import type { Component } from '@geo/service-kit';
import { BLOB_KEY_HEADER, CHECKSUM_HEADER, RETRIEVE_CONTENT_TYPE, RETRIEVE_PATH_PREFIX, retrieveErrorReply } from '../http/retrieve-protocol';
import type { BlobRetrieval, RetrieveRequestParams } from './blob-retrieval';

export interface RetrieveHttpServerOptions {
  readonly retrieval: BlobRetrieval;
  readonly logger: LoggerPort;
  /** Bind address (`GEO_BLOB_TRANSFER_HTTP_HOST`). */
  readonly host: string;
  /** `GEO_BLOB_TRANSFER_HTTP_PORT`; 0 picks a free port (read it back with `port()`). */
  readonly port: number;
  /** On stop, how long transfers in progress may finish before their connections are cut; default 5 s. */
  readonly stopGraceMs?: number;
}

const DEFAULT_STOP_GRACE_MS = 5000;
const TRACER_NAME = '@geo/blob-transfer';
/** The route as the span names it (the ids would make every span name unique). */
const RETRIEVE_ROUTE = '/api/v4/geo/retrieve/:replicable_name/:replicable_id';
/** Record ids are positive bigints that fit a JS number (as everywhere else). */
const RECORD_ID = /^[1-9][0-9]{0,15}$/;

/** `<name>/<id>` after the route prefix, validated; throws `ValidationError` (400) otherwise. */
export function parseRetrievePath(rest: string): RetrieveRequestParams {
  const parts = rest.split('/');
  if (parts.length !== 2 || parts[0] === '' || !RECORD_ID.test(parts[1]!) || !Number.isSafeInteger(Number(parts[1]))) {
    throw new ValidationError('expected /api/v4/geo/retrieve/<replicable_name>/<replicable_id> with a positive integer id');
  }
  let replicableName: string;
  try {
    replicableName = decodeURIComponent(parts[0]!);
  } catch {
    throw new ValidationError('the replicable name is not valid percent-encoding');
  }
  return { replicableName, modelRecordId: Number(parts[1]) };
}

/**
 * The primary's blob data plane (ADR 0005): GitLab's `GET /api/v4/geo/retrieve/<name>/<id>` over
 * plain HTTP/1.1 keep-alive, on its own port of the blob-transfer app. Authentication, lookup and
 * errors come from {@link BlobRetrieval}; a 200 carries `Content-Length`, the primary's checksum
 * (`X-Geo-Checksum`, absent until verified) and the blob key, then exactly that many bytes straight
 * from the store with back-pressure. Errors answer GitLab's JSON (`message`, `geo_code`) with the status of
 * `httpStatusFor`. A transfer that breaks off after the head is cut (the client sees a short body).
 */
export class RetrieveHttpServer implements Component {
  readonly name = 'retrieve-http-server';
  private readonly server: Server;
  private bound: number | undefined;

  constructor(private readonly options: RetrieveHttpServerOptions) {
    this.server = createServer((req, res) => this.traced(req, res));
  }

  /** The bound port once started. */
  port(): number | undefined {
    return this.bound;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.bound = (this.server.address() as AddressInfo).port;
    this.options.logger.info({ host: this.options.host, httpPort: this.bound }, 'blob-transfer: retrieve HTTP server listening');
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const grace = new AbortController();
    const deadline = abortableSleep(this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS, grace.signal).then(() => this.server.closeAllConnections());
    await closed;
    grace.abort();
    await deadline.catch(() => undefined);
  }

  /**
   * One SERVER span per request, continuing the secondary's `traceparent` (never this process's
   * ambient context) and active while the request is handled; it ends when the response closed.
   * Only while spans are exported: thousands of retrieves a second is a hot path.
   */
  private traced(req: IncomingMessage, res: ServerResponse): void {
    if (!spansExported()) {
      void this.handle(req, res);
      return;
    }
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = trace.getTracer(TRACER_NAME).startSpan(
      `${req.method ?? 'GET'} ${RETRIEVE_ROUTE}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', 'http.route': RETRIEVE_ROUTE, 'url.path': (req.url ?? '').split('?', 1)[0]! } },
      parent,
    );
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (!res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection closed before the response finished' });
      else if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    void context.with(trace.setSpan(parent, span), () => this.handle(req, res));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '').split('?', 1)[0]!;
      if (!path.startsWith(RETRIEVE_PATH_PREFIX)) throw new NotFoundError('404 Not Found');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end(JSON.stringify({ message: '405 Method Not Allowed' }));
        return;
      }
      const request = parseRetrievePath(path.slice(RETRIEVE_PATH_PREFIX.length));
      const { record, blob } = await this.options.retrieval.open(req.headers.authorization, request, 'http');
      if (res.destroyed || req.method === 'HEAD') {
        blob.destroy();
        if (!res.destroyed) this.writeHead(res, record).end();
        return;
      }
      this.writeHead(res, record);
      await this.send(blob, res, record.size, { ...request, blob_key: record.blobKey });
    } catch (error) {
      this.answerError(req, res, error);
    }
  }

  /**
   * Streams the blob into the response (with back-pressure) and resolves when the response closed.
   * Exactly the announced `size` bytes go out: a file longer or shorter than its record would
   * otherwise spill into, or leave a hole in, the keep-alive connection's next response. On any
   * difference the connection is cut, which the client sees as a broken transfer. Not `pipe` or
   * `stream.pipeline`: neither can enforce the length, and `pipeline` also builds and aborts an
   * AbortController (a DOMException with a stack) per call, measurable at thousands of blobs a second.
   */
  private send(blob: Readable, res: ServerResponse, size: number, facts: Record<string, unknown>): Promise<void> {
    return new Promise((resolve) => {
      let sent = 0;
      const cut = (reason: string, fields: Record<string, unknown> = {}): void => {
        this.options.logger.warn({ ...facts, size, sent, ...fields }, `blob-transfer: Retrieve cut off: ${reason}`);
        res.destroy();
      };
      blob.on('data', (chunk: Buffer) => {
        if (res.destroyed) return;
        sent += chunk.length;
        if (sent > size) return cut('the blob is longer than its record');
        if (!res.write(chunk)) blob.pause();
      });
      res.on('drain', () => blob.resume());
      blob.once('end', () => (sent === size ? res.end() : cut('the blob is shorter than its record')));
      // A read failure after the head: all we can do is cut the body short, which the client detects.
      blob.once('error', (error) => cut('reading the blob failed', errorFields(error)));
      // 'close' follows 'finish', or comes alone when the client went away (no failure of ours).
      res.once('close', () => {
        blob.destroy();
        resolve();
      });
    });
  }

  private writeHead(res: ServerResponse, record: Pick<ReplicableRecord, 'size' | 'primaryChecksum' | 'blobKey'>): ServerResponse {
    return res.writeHead(200, {
      'content-type': RETRIEVE_CONTENT_TYPE,
      'content-length': record.size,
      [BLOB_KEY_HEADER]: record.blobKey,
      ...(record.primaryChecksum === null ? {} : { [CHECKSUM_HEADER]: record.primaryChecksum }),
    });
  }

  private answerError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    const { status, body } = retrieveErrorReply(error);
    if (status >= 500) this.options.logger.error({ method: req.method, path: req.url, status, ...errorFields(error) }, 'blob-transfer: Retrieve failed');
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
