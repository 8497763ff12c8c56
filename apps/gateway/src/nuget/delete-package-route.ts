import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseId } from '../http/route-params';
import type { NugetApi } from './nuget-api';
import { nugetApiKey } from './nuget-headers';

export interface DeletePackageRouteOptions {
  readonly nuget: NugetApi;
}

type DeleteRequest = FastifyRequest<{ Params: { id: string; package_name: string; package_version: string } }>;

/**
 * `DELETE /projects/:id/packages/nuget/:package_name/:package_version` (NuGet's delete/unlist call):
 * the nuget app removes the package and all its symbol files (one `deleted` event each). 204 as
 * nuget.org answers; 401 without a key or with a wrong one, 404 for an unknown package.
 */
export async function deletePackageRoute(app: FastifyInstance, options: DeletePackageRouteOptions): Promise<void> {
  app.delete('/api/v4/projects/:id/packages/nuget/:package_name/:package_version', async (request: DeleteRequest, reply) => {
    const apiKey = nugetApiKey(request.headers);
    const projectId = parseId(request.params.id, 'project id');
    await options.nuget.deletePackage({ projectId, apiKey, packageName: request.params.package_name, packageVersion: request.params.package_version });
    return reply.code(204).send();
  });
}
