import { ConfigError } from '@geo/domain';
import { createChannelClient, scrapeMetrics } from '@geo/grpc';
import { createPool } from '@geo/pg';
import { HealthClient, MetricsServiceClient, NugetServiceClient, RegistryServiceClient, StatusServiceClient } from '@geo/proto';
import { REPLICABLES } from '@geo/replicables';
import type { AppContext, AppParts, Component } from '@geo/service-kit';
import { createHealthChecks } from './health/health-checks';
import { RegistriesApi } from './graphql/registries-api';
import { createGatewayHttp } from './http/gateway-http';
import { httpServerComponent } from './http/http-server-component';
import { NugetApi } from './nuget/nuget-api';
import { PgSitesRepository } from './sites/sites-repository';
import { StatusApi } from './status/status-api';
import { METRICS_SCRAPE_TIMEOUT_MS } from './metrics/metrics-routes';

/** The site's apps that observe histograms and serve `geo.v1.MetricsService` (ADR 0010). */
const METRICS_APPS = ['blob-transfer', 'checksum'] as const;

/**
 * The gateway's parts: a PostgreSQL pool (sites admin on the primary, health), clients of the site's
 * nuget and status apps (and of blob-transfer's and checksum's MetricsService for `/metrics`), and the HTTP server. Loaded by main.ts inside `build`, after tracing started. Stopped in
 * reverse: the HTTP server drains first, then the clients and the pool it used close.
 */
export async function build({ config, logger }: AppContext): Promise<AppParts> {
  const { gateway, siblings, nugetLimits } = config;
  const nugetTarget = siblings?.nuget;
  const statusTarget = siblings?.status;
  if (gateway === undefined || nugetTarget === undefined || statusTarget === undefined || nugetLimits === undefined) {
    throw new ConfigError('gateway configuration incomplete: gateway, siblings.nuget, siblings.status and nugetLimits are required');
  }

  const pool = createPool({
    databaseUrl: config.database.url,
    applicationName: 'geo-gateway',
    onIdleError: (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'),
  });
  const nugetClient = createChannelClient(NugetServiceClient, nugetTarget);
  const nugetHealthClient = createChannelClient(HealthClient, nugetTarget);
  const nuget = new NugetApi(nugetClient, nugetHealthClient);
  const statusClient = createChannelClient(StatusServiceClient, statusTarget);
  // GraphQL's registries: only a secondary's registry app serves `geo.v1.RegistryService`.
  const registryTarget = config.site.role === 'secondary' ? siblings?.registry : undefined;
  const registryClient = registryTarget === undefined ? undefined : createChannelClient(RegistryServiceClient, registryTarget);
  const metricsClients = METRICS_APPS.flatMap((app) => {
    const target = siblings?.[app];
    return target === undefined ? [] : [{ app, client: createChannelClient(MetricsServiceClient, target) }];
  });

  const http = await createGatewayHttp({
    logger: logger.child({ component: 'http' }),
    tokens: { admin: gateway.adminToken, nonAdmin: gateway.nonAdminTokens },
    siteName: config.site.name,
    maxPackageBytes: nugetLimits.maxPackageBytes,
    nuget,
    sites: config.site.role === 'primary' ? new PgSitesRepository(pool) : undefined,
    role: config.site.role,
    status: new StatusApi(statusClient),
    replicables: REPLICABLES,
    ...(gateway.primaryHttpUrl === undefined ? {} : { primaryHttpUrl: gateway.primaryHttpUrl }),
    ...(registryClient === undefined ? {} : { registries: new RegistriesApi(registryClient) }),
    metrics: {
      statuses: new StatusApi(statusClient, METRICS_SCRAPE_TIMEOUT_MS),
      sources: metricsClients.map(({ app, client }) => ({ app, scrape: () => scrapeMetrics(client, METRICS_SCRAPE_TIMEOUT_MS) })),
    },
    health: createHealthChecks({ pool, role: config.site.role, nugetHealth: () => nuget.checkHealth() }),
  });

  const resources: Component = {
    name: 'gateway-clients',
    start: async () => undefined,
    async stop() {
      nugetClient.close();
      nugetHealthClient.close();
      statusClient.close();
      registryClient?.close();
      for (const { client } of metricsClients) client.close();
      await pool.end();
    },
  };
  return { components: [resources, httpServerComponent(http, gateway.http)] };
}
