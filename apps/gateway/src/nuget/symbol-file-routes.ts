import { Readable } from 'node:stream';
import { ErrorCodes, GeoError, isGeoError } from '@geo/domain';
import type { DownloadSymbolFileResponse, FindSymbolFileRequest, SymbolFile } from '@geo/proto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientGoneSignal } from '../http/client-gone';
import { parseId } from '../http/route-params';
import type { NugetApi } from './nuget-api';
import { attachmentDisposition } from './nuget-json';
import { symbolChecksum } from './nuget-headers';
import { SERVED_FROM_HEADER, type PrimarySymbolProxy } from './primary-proxy';

export interface SymbolFileRoutesOptions {
  readonly nuget: NugetApi;
  /** This site's role: the value of `X-Geo-Served-From` for files served here. */
  readonly servedFrom: 'primary' | 'secondary';
  /**
   * Secondaries: where lookups this site cannot answer (no synced, unfailed copy here) go. The
   * primary's answer is returned as is, with `X-Geo-Served-From: primary`.
   */
  readonly primaryProxy?: PrimarySymbolProxy;
}

/** The local nuget app has no servable copy: the only answers a secondary forwards to the primary. */
function notHere(error: unknown): boolean {
  return isGeoError(error) && (error.code === ErrorCodes.NOT_FOUND || error.code === ErrorCodes.FILE_NOT_FOUND);
}

/** SSQP: `<file>/<signature>/<file>` (GitLab: `*file_name/*signature/*same_file_name`). */
export const SYMBOL_FILE_PATH = '/api/v4/projects/:id/packages/nuget/symbolfiles/:file/:signature/:same_file';

type SymbolFileRequest = FastifyRequest<{ Params: { id: string; file: string; signature: string; same_file: string } }>;

function lookup(request: SymbolFileRequest): FindSymbolFileRequest {
  const checksum = symbolChecksum(request.headers);
  const { id, file, signature, same_file: sameFile } = request.params;
  return { projectId: parseId(id, 'project id'), fileName: file, signature, sameFileName: sameFile, symbolChecksum: checksum };
}

function setFileHeaders(reply: FastifyReply, file: SymbolFile): void {
  reply
    .header('content-type', 'application/octet-stream')
    .header('content-length', String(file.size))
    .header('content-disposition', attachmentDisposition(file.file));
}

/**
 * The file's bytes after the header message. Exactly `size` bytes or a throw: a throw after the
 * headers went out destroys the response, and the Content-Length already sent lets the client see
 * the truncation, so a broken download never passes for a complete one.
 */
async function* fileBytes(messages: AsyncIterator<DownloadSymbolFileResponse>, size: number): AsyncGenerator<Uint8Array, void, undefined> {
  let sent = 0;
  for (let next = await messages.next(); next.done !== true; next = await messages.next()) {
    const part = next.value.part;
    if (part?.$case !== 'chunk') throw new GeoError(ErrorCodes.INTERNAL, 'nuget app sent a message other than a chunk after the header');
    sent += part.chunk.length;
    if (sent > size) throw new GeoError(ErrorCodes.INTERNAL, `nuget app sent more than the ${size} bytes it announced`);
    if (part.chunk.length > 0) yield part.chunk;
  }
  if (sent !== size) throw new GeoError(ErrorCodes.INTERNAL, `symbol file download ended after ${sent} of ${size} bytes`);
}

/**
 * GET and HEAD of a symbol file. HEAD asks FindSymbolFile and answers the headers GET would send.
 * GET streams DownloadSymbolFile: its header message decides the status and headers (errors before
 * it map to 400/404/…), then the chunks are piped with back-pressure. A client that goes away
 * cancels the gRPC call.
 */
export async function symbolFileRoutes(app: FastifyInstance, options: SymbolFileRoutesOptions): Promise<void> {
  const { nuget, servedFrom, primaryProxy } = options;

  app.head(SYMBOL_FILE_PATH, async (request: SymbolFileRequest, reply) => {
    const query = lookup(request);
    let file: SymbolFile;
    try {
      file = await nuget.findSymbolFile(query);
    } catch (error: unknown) {
      if (primaryProxy !== undefined && notHere(error)) return primaryProxy.forward(request, reply, clientGoneSignal(reply));
      throw error;
    }
    setFileHeaders(reply, file);
    return reply.code(200).header(SERVED_FROM_HEADER, servedFrom).send();
  });

  app.get(SYMBOL_FILE_PATH, { exposeHeadRoute: false }, async (request: SymbolFileRequest, reply) => {
    const gone = clientGoneSignal(reply);
    const messages = nuget.downloadSymbolFile(lookup(request), gone);
    try {
      const first = await messages.next();
      const part = first.done === true ? undefined : first.value.part;
      if (part?.$case !== 'header') throw new GeoError(ErrorCodes.INTERNAL, 'nuget app did not start the download with the file header');
      setFileHeaders(reply, part.header);
      return reply.code(200).header(SERVED_FROM_HEADER, servedFrom).send(Readable.from(fileBytes(messages, part.header.size), { objectMode: false }));
    } catch (error: unknown) {
      await messages.return(); // cancels the call if it is still open
      if (primaryProxy !== undefined && notHere(error)) return primaryProxy.forward(request, reply, gone);
      throw error;
    }
  });
}
