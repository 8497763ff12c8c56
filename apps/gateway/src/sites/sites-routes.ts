import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireAdminToken, type AdminTokens } from '../http/admin-auth';
import { parseId } from '../http/route-params';
import { generateSiteCredentials } from './site-credentials';
import { parseCreateSite, parseUpdateSite } from './site-input';
import { createdSiteJson, siteJson, SITES_API_PATHS, type SiteJsonContext } from './site-json';
import type { SitesRepository } from './sites-repository';

export interface SitesRoutesOptions {
  readonly sites: SitesRepository;
  readonly tokens: AdminTokens;
  /** `GEO_SITE_NAME`: the site answering renders `current: true`. */
  readonly currentSiteName: string;
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/**
 * GitLab's admin site API (`ee/lib/api/geo_sites.rb`) behind the admin token, under `geo_sites` and
 * the deprecated `geo_nodes` alias: list, show, create (201; a secondary's access key and secret
 * appear in this answer only), update (200), delete (204).
 */
export async function sitesRoutes(app: FastifyInstance, options: SitesRoutesOptions): Promise<void> {
  const { sites } = options;
  app.addHook('onRequest', requireAdminToken(options.tokens));

  for (const apiPath of SITES_API_PATHS) {
    const context = (request: FastifyRequest): SiteJsonContext => ({ origin: `${request.protocol}://${request.host}`, apiPath, currentSiteName: options.currentSiteName });

    app.get(apiPath, async (request) => (await sites.list()).map((site) => siteJson(site, context(request))));

    app.get(`${apiPath}/:id`, async (request: IdRequest) => siteJson(await sites.get(parseId(request.params.id, 'id')), context(request)));

    app.post(apiPath, async (request, reply) => {
      const settings = parseCreateSite(request.body);
      const credentials = settings.primary ? undefined : generateSiteCredentials();
      const site = await sites.create(settings, credentials);
      request.log.info({ siteId: site.id, name: site.name, primary: site.primary }, 'geo site created');
      return reply.code(201).send(createdSiteJson(site, credentials, context(request)));
    });

    app.put(`${apiPath}/:id`, async (request: IdRequest) => {
      const id = parseId(request.params.id, 'id');
      const site = await sites.update(id, parseUpdateSite(request.body));
      request.log.info({ siteId: id }, 'geo site updated');
      return siteJson(site, context(request));
    });

    app.delete(`${apiPath}/:id`, async (request: IdRequest, reply) => {
      const id = parseId(request.params.id, 'id');
      await sites.remove(id);
      request.log.info({ siteId: id }, 'geo site removed');
      return reply.code(204).send();
    });
  }
}
