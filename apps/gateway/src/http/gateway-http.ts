import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { NotFoundError, type ReplicableDefinition } from '@geo/domain';
import { namespaceProjectRoutes } from '../admin/namespace-project-routes';
import { adminPageRoutes } from '../admin-page/admin-page-routes';
import type { HealthChecks } from '../health/health-checks';
import type { AdminTokens } from './admin-auth';
import { healthRoutes } from '../health/health-routes';
import { deletePackageRoute } from '../nuget/delete-package-route';
import type { NugetApi } from '../nuget/nuget-api';
import { pushRoutes } from '../nuget/push-routes';
import { symbolFileRoutes } from '../nuget/symbol-file-routes';
import { PrimarySymbolProxy } from '../nuget/primary-proxy';
import type { SitesRepository } from '../sites/sites-repository';
import { sitesRoutes } from '../sites/sites-routes';
import { PrimarySitesReader } from '../sites/primary-sites-reader';
import { readOnlySitesRoutes } from '../sites/read-only-sites-routes';
import type { StatusApi } from '../status/status-api';
import { statusRoutes } from '../status/status-routes';
import { toErrorReply } from './error-reply';
import { geoNodeDirectory } from '../graphql/geo-nodes';
import { graphqlRoutes } from '../graphql/graphql-routes';
import type { RegistriesPort } from '../graphql/registries-api';
import { traceRequests } from './request-spans';
import { metricsRoutes, type MetricsSource } from '../metrics/metrics-routes';

/** Everything the gateway's HTTP surface needs; built by `wiring.ts`, faked in tests. */
export interface GatewayHttpDeps {
  readonly logger: FastifyBaseLogger;
  /** `GEO_ADMIN_TOKEN` and `GEO_NON_ADMIN_TOKENS`: admin APIs answer 401 without a known token, 403 with a non-admin one. */
  readonly tokens: AdminTokens;
  /** `GEO_SITE_NAME`. */
  readonly siteName: string;
  /** `NUGET_MAX_PACKAGE_BYTES`. */
  readonly maxPackageBytes: number;
  readonly nuget: NugetApi;
  /** Site administration; only the primary's gateway owns `geo_sites`, so undefined elsewhere (a secondary reads the primary's). */
  readonly sites: SitesRepository | undefined;
  readonly health: HealthChecks;
  readonly role: 'primary' | 'secondary';
  /** The site's status app (GitLab's status REST API). */
  readonly status: StatusApi;
  /** The replicable catalogue: status JSON renders every type's fields; the admin page lists every type. */
  readonly replicables: readonly Pick<ReplicableDefinition, 'name' | 'pluralName' | 'title' | 'graphqlRegistryType' | 'graphqlRegistryClass'>[];
  /** Secondaries: the primary gateway's HTTP address (`GEO_PRIMARY_HTTP_URL`) for symbol requests not served here. */
  readonly primaryHttpUrl?: string;
  /** Secondaries: the site's registry app, which GraphQL's registries and mutations read and change. */
  readonly registries?: RegistriesPort;
  /**
   * `GET /metrics`: the status reader for the gauges (a short deadline) and the sibling apps to scrape.
   * Absent: the gauges read `status` and no sibling is scraped.
   */
  readonly metrics?: { readonly statuses: Pick<StatusApi, 'listStatuses'>; readonly sources: readonly MetricsSource[] };
}

/** JSON request bodies (admin APIs) are small; packages are streamed and not subject to this. */
export const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const answer = toErrorReply(error);
  if (answer.logLevel === 'error') request.log.error({ err: error, status: answer.status, code: answer.body.code }, 'request failed');
  else request.log.info({ status: answer.status, code: answer.body.code, reason: answer.body.message }, 'request rejected');
  if (reply.sent || reply.raw.destroyed) return; // the client is gone or bytes are out: nothing left to say
  // A request rejected before its body was read (a bad key, a 413 by Content-Length) would otherwise
  // make Node read and discard the whole upload to keep the connection; closing it stops the upload.
  if (!request.raw.complete) void reply.header('connection', 'close');
  void reply.code(answer.status).send(answer.body);
}

/**
 * The gateway's fastify instance with every route of this issue: health, the NuGet API (push,
 * symbol server, delete), namespaces/projects admin, Geo status and, on the primary, sites admin. Every error
 * goes through `toErrorReply`: one mapping from `GeoError` codes to statuses and JSON bodies.
 */
export async function createGatewayHttp(deps: GatewayHttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    // One line per request (below) instead of fastify's two.
    disableRequestLogging: true,
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    return503OnClosing: true,
  });
  traceRequests(app);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request) => {
    throw new NotFoundError('404 Not Found', { details: { method: request.method, url: request.url } });
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request completed');
  });

  await app.register(healthRoutes, { checks: deps.health });
  await app.register(pushRoutes, { nuget: deps.nuget, maxPackageBytes: deps.maxPackageBytes });
  await app.register(symbolFileRoutes, {
    nuget: deps.nuget,
    servedFrom: deps.role,
    ...(deps.primaryHttpUrl === undefined ? {} : { primaryProxy: new PrimarySymbolProxy(deps.primaryHttpUrl) }),
  });
  await app.register(deletePackageRoute, { nuget: deps.nuget });
  await app.register(namespaceProjectRoutes, { nuget: deps.nuget, tokens: deps.tokens });
  // The static admin page (`/admin/geo`); it calls the admin APIs with the token it asks for.
  await app.register(adminPageRoutes, { replicables: deps.replicables });
  await app.register(statusRoutes, {
    status: deps.status,
    tokens: deps.tokens,
    siteName: deps.siteName,
    role: deps.role,
    replicables: deps.replicables,
  });
  await app.register(metricsRoutes, {
    statuses: deps.metrics?.statuses ?? deps.status,
    sources: deps.metrics?.sources ?? [],
    siteName: deps.siteName,
    role: deps.role,
    replicables: deps.replicables,
  });
  await app.register(graphqlRoutes, {
    tokens: deps.tokens,
    siteName: deps.siteName,
    nodes: geoNodeDirectory({ role: deps.role, siteName: deps.siteName, sites: deps.sites, status: deps.status }),
    registries: deps.role === 'secondary' ? deps.registries : undefined,
  });
  if (deps.sites !== undefined) await app.register(sitesRoutes, { sites: deps.sites, tokens: deps.tokens, currentSiteName: deps.siteName });
  else if (deps.role === 'secondary' && deps.primaryHttpUrl !== undefined) {
    // Every site answers the sites reads; a secondary reads them from the primary and refuses writes.
    await app.register(readOnlySitesRoutes, { source: new PrimarySitesReader(deps.primaryHttpUrl, deps.logger), tokens: deps.tokens, currentSiteName: deps.siteName });
  }
  return app;
}
