import fastifyMultipart from '@fastify/multipart';
import { PackageKind } from '@geo/proto';
import { ValidationError } from '@geo/domain';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientGoneSignal } from '../http/client-gone';
import { parseId } from '../http/route-params';
import type { NugetApi } from './nuget-api';
import { pushCreatedJson } from './nuget-json';
import { declaredContentLength, nugetApiKey } from './nuget-headers';
import { NOT_MULTIPART_MESSAGE, packageFileChunks, packageTooLarge } from './package-upload';

export interface PushRoutesOptions {
  readonly nuget: NugetApi;
  /** `NUGET_MAX_PACKAGE_BYTES`: the largest package file accepted. */
  readonly maxPackageBytes: number;
}

/**
 * Room for multipart framing (boundary lines, part headers, a few small fields) when judging a body
 * by its Content-Length: a package of exactly the limit must still pass the early check; the exact
 * limit is enforced on the file bytes while streaming.
 */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

type PushRequest = FastifyRequest<{ Params: { id: string } }>;

/**
 * The NuGet push protocol (nuget.org `PUT api/v2/package` and `api/v2/symbolpackage`, GitLab's
 * `/projects/:id/packages/nuget/[symbolpackage]`): a multipart body with one file, `X-NuGet-ApiKey`,
 * 201 on success. The file is streamed into the nuget app's PushPackage call with back-pressure and
 * never buffered whole here; whatever goes wrong (a limit, a second file, a client hanging up)
 * cancels that call before it completes, and the nuget app writes nothing.
 *
 * Registered as its own plugin because it owns body parsing for its routes: multipart is read by the
 * handler, and every other content type is left unread so the answer is a NuGet-style 400 rather
 * than fastify's 415.
 */
export async function pushRoutes(app: FastifyInstance, options: PushRoutesOptions): Promise<void> {
  const { nuget, maxPackageBytes } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  await app.register(fastifyMultipart, {
    // One byte over the limit so the streaming check (which names the limit) is what trips first.
    limits: { fileSize: maxPackageBytes + 1, fields: 20, fieldSize: 64 * 1024, parts: 50, headerPairs: 100 },
  });

  const push = (kind: PackageKind) => async (request: PushRequest, reply: FastifyReply) => {
    const apiKey = nugetApiKey(request.headers);
    const projectId = parseId(request.params.id, 'project id');
    if (!request.isMultipart()) throw new ValidationError(NOT_MULTIPART_MESSAGE);
    const declared = declaredContentLength(request.headers);
    if (declared !== undefined && declared > maxPackageBytes + MULTIPART_OVERHEAD_BYTES) throw packageTooLarge(maxPackageBytes);
    const response = await nuget.push(
      { projectId, apiKey, kind, declaredSize: 0 },
      packageFileChunks(request.parts(), maxPackageBytes),
      clientGoneSignal(reply),
    );
    return reply.code(201).send(pushCreatedJson(response));
  };

  // NuGet clients push to the service-index URL with a trailing slash; accept both spellings.
  for (const url of ['/api/v4/projects/:id/packages/nuget', '/api/v4/projects/:id/packages/nuget/']) {
    app.put(url, push(PackageKind.PACKAGE_KIND_NUPKG));
  }
  app.put('/api/v4/projects/:id/packages/nuget/symbolpackage', push(PackageKind.PACKAGE_KIND_SNUPKG));
}
