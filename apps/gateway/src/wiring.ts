import { ConfigError } from '@geo/domain';
import { createChannelClient } from '@geo/grpc';
import { createPool } from '@geo/pg';
import { HealthClient, NugetServiceClient, StatusServiceClient } from '@geo/proto';
import { REPLICABLES } from '@geo/replicables';
import type { AppContext, AppParts, Component } from '@geo/service-kit';
import { createHealthChecks } from './health/health-checks';
import { createGatewayHttp } from './http/gateway-http';
import { httpServerComponent } from './http/http-server-component';
import { NugetApi } from './nuget/nuget-api';
import { PgSitesRepository } from './sites/sites-repository';
import { StatusApi } from './status/status-api';

/**
 * The gateway's parts: a PostgreSQL pool (sites admin on the primary, health), clients of the site's
 * nuget and status apps, and the HTTP server. Loaded by main.ts inside `build`, after tracing started. Stopped in
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
    health: createHealthChecks({ pool, role: config.site.role, nugetHealth: () => nuget.checkHealth() }),
  });

  const resources: Component = {
    name: 'gateway-clients',
    start: async () => undefined,
    async stop() {
      nugetClient.close();
      nugetHealthClient.close();
      statusClient.close();
      await pool.end();
    },
  };
  return { components: [resources, httpServerComponent(http, gateway.http)] };
}
