import { ErrorCodes, GeoError } from '@geo/domain';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireAdminToken, type AdminTokens } from '../http/admin-auth';
import { parseId } from '../http/route-params';
import type { ForwardedAuth, SitesSource } from './primary-sites-reader';
import { rerenderedSiteJson, SITES_API_PATHS, type SiteJsonContext } from './site-json';

/** GitLab's answer (403) to any write on a read-only instance, such as a Geo secondary. */
export const READ_ONLY_MESSAGE = 'You cannot perform write operations on a read-only instance';

const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface ReadOnlySitesRoutesOptions {
  /** Where the sites are read (a secondary: the primary's gateway). */
  readonly source: SitesSource;
  /** This gateway's own tokens: the admin check runs here first, as on the primary. */
  readonly tokens: AdminTokens;
  /** `GEO_SITE_NAME`: the site answering renders `current: true`. */
  readonly currentSiteName: string;
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

function forwardedAuth(request: FastifyRequest): ForwardedAuth {
  const { 'private-token': privateToken, authorization } = request.headers;
  return {
    ...(typeof privateToken === 'string' ? { privateToken } : {}),
    ...(authorization === undefined ? {} : { authorization }),
  };
}

/**
 * A secondary's `geo_sites` / `geo_nodes` API: every GitLab site answers the reads (a secondary from
 * its replicated database; here, from the primary's gateway with the caller's own token), each
 * rendering `current` and links for itself. Writes are refused as GitLab's read-only middleware
 * refuses them: 403 with its message, before authentication and before any body is read.
 */
export async function readOnlySitesRoutes(app: FastifyInstance, options: ReadOnlySitesRoutesOptions): Promise<void> {
  const { source } = options;
  const adminOnly = requireAdminToken(options.tokens);
  app.addHook('onRequest', async (request) => {
    if (WRITE_METHODS.has(request.method)) throw new GeoError(ErrorCodes.PERMISSION_DENIED, READ_ONLY_MESSAGE);
    await adminOnly(request);
  });

  for (const apiPath of SITES_API_PATHS) {
    const context = (request: FastifyRequest): SiteJsonContext => ({ origin: `${request.protocol}://${request.host}`, apiPath, currentSiteName: options.currentSiteName });
    const refuse = async (): Promise<never> => {
      throw new GeoError(ErrorCodes.PERMISSION_DENIED, READ_ONLY_MESSAGE);
    };

    app.get(apiPath, async (request) => (await source.list(apiPath, forwardedAuth(request))).map((site) => rerenderedSiteJson(site, context(request))));

    app.get(`${apiPath}/:id`, async (request: IdRequest) =>
      rerenderedSiteJson(await source.get(apiPath, parseId(request.params.id, 'id'), forwardedAuth(request)), context(request)),
    );

    // Registered so the hook above answers them (an unknown route would 404 before any hook runs).
    app.post(apiPath, refuse);
    app.put(`${apiPath}/:id`, refuse);
    app.delete(`${apiPath}/:id`, refuse);
  }
}
