import { ErrorCodes, isGeoError, NotFoundError, type ReplicableDefinition } from '@geo/domain';
import type { GeoNodeStatus } from '@geo/proto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireAdminToken, type AdminTokens } from '../http/admin-auth';
import { parseId } from '../http/route-params';
import { paginate } from './pagination';
import type { StatusApi } from './status-api';
import { geoSiteStatusJson, roleOfStatus, type StatusJsonContext } from './status-json';

export interface StatusRoutesOptions {
  readonly status: StatusApi;
  readonly tokens: AdminTokens;
  /** `GEO_SITE_NAME` and `GEO_ROLE` of this gateway's site. */
  readonly siteName: string;
  readonly role: 'primary' | 'secondary';
  readonly replicables: readonly Pick<ReplicableDefinition, 'name' | 'pluralName'>[];
}

const STATUS_API_PATHS = ['/api/v4/geo_sites', '/api/v4/geo_nodes'] as const;

/** GitLab's message for a site without a status (`ee/lib/api/geo_sites.rb`). */
export const STATUS_NOT_FOUND_MESSAGE = '404 Status for Geo site Not Found';

type IdRequest = FastifyRequest<{ Params: { id: string } }>;
type PageRequest = FastifyRequest<{ Querystring: { page?: string; per_page?: string } }>;

/**
 * GitLab's admin status API (spec §8.4) under `geo_sites` and the deprecated `geo_nodes`:
 * `GET …/status` (paginated: every status the site knows) and `GET …/:id/status`.
 *
 * A gateway answers with what its own site knows: on the primary, its live status plus every status
 * a secondary pushed (GitLab's `GeoNodeStatus.all`); on a secondary, only its own, since it stores
 * no other site's (as GitLab's secondary answers from its own cache, and it cannot read another
 * secondary's). Only secondaries push, so on the primary every status not named like this site is a
 * secondary's.
 */
export async function statusRoutes(app: FastifyInstance, options: StatusRoutesOptions): Promise<void> {
  app.addHook('onRequest', requireAdminToken(options.tokens));

  for (const apiPath of STATUS_API_PATHS) {
    const context = (request: FastifyRequest): StatusJsonContext => ({ origin: `${request.protocol}://${request.host}`, apiPath, replicables: options.replicables });
    const render = (status: GeoNodeStatus, request: FastifyRequest) => geoSiteStatusJson(status, roleOfStatus(status, options), context(request));

    app.get(`${apiPath}/status`, async (request: PageRequest, reply) => {
      const statuses = await options.status.listStatuses();
      const page = paginate(statuses, request.query, new URL(request.url, `${request.protocol}://${request.host}`));
      void reply.headers(page.headers);
      return page.items.map((status) => render(status, request));
    });

    app.get(`${apiPath}/:id/status`, async (request: IdRequest) => {
      const id = parseId(request.params.id, 'id');
      try {
        return render(await options.status.getStatus(id), request);
      } catch (error) {
        if (isGeoError(error) && error.code === ErrorCodes.NOT_FOUND) throw new NotFoundError(STATUS_NOT_FOUND_MESSAGE, { cause: error, details: { id } });
        throw error;
      }
    });
  }
}
