import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { errorFields, UnavailableError } from '@geo/domain';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Response header saying which site's copy a symbol download came from (issue 4 §5). */
export const SERVED_FROM_HEADER = 'x-geo-served-from';

/** Headers of the primary's answer that the client needs; hop-by-hop ones are never copied. */
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'content-length', 'content-disposition'] as const;

/**
 * A secondary's gateway forwarding a symbol request it cannot answer from its own copies to the
 * primary's gateway (GitLab Geo proxies such requests too). The primary's status and body pass
 * through unchanged (200, 400, 404 …), streamed with back-pressure; only `SymbolChecksum` is sent on,
 * never the client's other headers (no credentials are needed or leaked for symbol reads).
 */
export class PrimarySymbolProxy {
  constructor(private readonly primaryHttpUrl: string) {}

  async forward(request: FastifyRequest, reply: FastifyReply, signal: AbortSignal): Promise<FastifyReply> {
    const target = new URL(request.url, this.primaryHttpUrl);
    const checksum = request.headers['symbolchecksum'];
    let response: Response;
    try {
      response = await fetch(target, {
        method: request.method,
        headers: checksum === undefined ? {} : { SymbolChecksum: Array.isArray(checksum) ? checksum.join(';') : checksum },
        redirect: 'manual',
        signal,
      });
    } catch (error) {
      request.log.warn({ ...errorFields(error), primary: target.origin }, 'symbol request: primary site unreachable');
      throw new UnavailableError('The Geo primary site is unreachable; this secondary has no synced copy of the file', { cause: error });
    }
    reply.code(response.status).header(SERVED_FROM_HEADER, 'primary');
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) reply.header(name, value);
    }
    if (request.method === 'HEAD' || response.body === null) {
      await response.body?.cancel();
      return reply.send();
    }
    // fetch's web stream → Node stream; fastify pipes it and destroys it if the client goes away.
    return reply.send(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>));
  }
}
