/**
 * A gateway HTTP server on a free loopback port, wired to a fake nuget app (and optionally a real
 * sites repository), for the gateway's specs.
 */
import type { AddressInfo } from 'node:net';
import { createChannelClient, scrapeMetrics } from '@geo/grpc';
import { HealthClient, MetricsServiceClient, NugetServiceClient, RegistryServiceClient, StatusServiceClient } from '@geo/proto';
import { REPLICABLES } from '@geo/replicables';
import { createLogger } from '@geo/service-kit';
import type { FastifyInstance } from 'fastify';
import { RegistriesApi } from '../graphql/registries-api';
import type { CheckOutcome, HealthChecks } from '../health/health-checks';
import { createGatewayHttp } from '../http/gateway-http';
import { METRICS_SCRAPE_TIMEOUT_MS } from '../metrics/metrics-routes';
import { NugetApi } from '../nuget/nuget-api';
import type { SitesRepository } from '../sites/sites-repository';
import { StatusApi } from '../status/status-api';
import { startFakeNuget, type FakeNuget } from './fake-nuget-service';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
export const TEST_SITE_NAME = 'primary-test';

export interface GatewayUnderTest {
  readonly app: FastifyInstance;
  readonly baseUrl: string;
  readonly port: number;
  readonly nuget: FakeNuget;
  /** What the health checks answer; tests flip these. */
  readonly health: { database: CheckOutcome; nuget: CheckOutcome };
  close(): Promise<void>;
}

export interface GatewayUnderTestOptions {
  readonly maxPackageBytes?: number;
  readonly sites?: SitesRepository;
  readonly fileBytes?: Buffer;
  /** Default primary; a secondary proxies what it cannot serve to `primaryHttpUrl`. */
  readonly role?: 'primary' | 'secondary';
  readonly primaryHttpUrl?: string;
  /** The status app's gRPC target; default: a closed port (status calls fail UNAVAILABLE). */
  readonly statusTarget?: string;
  readonly siteName?: string;
  readonly nonAdminTokens?: readonly string[];
  /** Default TEST_ADMIN_TOKEN. */
  readonly adminToken?: string;
  /** `/metrics` scrapes these apps' `MetricsService` (app name → gRPC target); default none. */
  readonly metricsTargets?: Readonly<Record<string, string>>;
  /** A secondary's registry app (`RegistryService` gRPC target) for GraphQL; default none. */
  readonly registryTarget?: string;
}

export async function startGatewayUnderTest(options: GatewayUnderTestOptions = {}): Promise<GatewayUnderTest> {
  const nuget = await startFakeNuget(options.fileBytes ?? Buffer.alloc(0));
  const nugetClient = createChannelClient(NugetServiceClient, nuget.target);
  const healthClient = createChannelClient(HealthClient, nuget.target);
  const statusClient = createChannelClient(StatusServiceClient, options.statusTarget ?? '127.0.0.1:1');
  const metricsClients = Object.entries(options.metricsTargets ?? {}).map(([app, target]) => ({ app, client: createChannelClient(MetricsServiceClient, target) }));
  const registryClient = options.registryTarget === undefined ? undefined : createChannelClient(RegistryServiceClient, options.registryTarget);
  const health: { database: CheckOutcome; nuget: CheckOutcome } = { database: { ok: true }, nuget: { ok: true } };
  const checks: HealthChecks = { database: async () => health.database, nuget: async () => health.nuget };
  const app = await createGatewayHttp({
    logger: createLogger({ service: 'geo-gateway-test', site: TEST_SITE_NAME, level: process.env['GEO_TEST_LOG_LEVEL'] ?? 'silent' }),
    tokens: { admin: options.adminToken ?? TEST_ADMIN_TOKEN, nonAdmin: options.nonAdminTokens ?? [] },
    siteName: options.siteName ?? TEST_SITE_NAME,
    status: new StatusApi(statusClient),
    replicables: REPLICABLES,
    maxPackageBytes: options.maxPackageBytes ?? 1024 * 1024,
    nuget: new NugetApi(nugetClient, healthClient),
    sites: options.sites,
    health: checks,
    role: options.role ?? 'primary',
    ...(options.primaryHttpUrl === undefined ? {} : { primaryHttpUrl: options.primaryHttpUrl }),
    ...(registryClient === undefined ? {} : { registries: new RegistriesApi(registryClient) }),
    metrics: {
      statuses: new StatusApi(statusClient, METRICS_SCRAPE_TIMEOUT_MS),
      sources: metricsClients.map(({ app, client }) => ({ app, scrape: () => scrapeMetrics(client, METRICS_SCRAPE_TIMEOUT_MS) })),
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    nuget,
    health,
    async close() {
      await app.close();
      nugetClient.close();
      healthClient.close();
      statusClient.close();
      for (const { client } of metricsClients) client.close();
      registryClient?.close();
      await nuget.stop();
    },
  };
}
