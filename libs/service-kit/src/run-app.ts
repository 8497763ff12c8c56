import { isGeoError } from '@geo/domain';
import { loadConfig, type AppConfig, type AppName } from '@geo/config';
import type * as GrpcModule from '@geo/grpc';
import type { GrpcServiceRegistration } from '@geo/grpc';
import type { DestinationStream } from 'pino';
import { createLogger, type Logger } from './logger';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, runService, type Component, type ServiceProcess } from './lifecycle';

/** What an app's wiring receives. */
export interface AppContext {
  readonly config: AppConfig;
  readonly logger: Logger;
}

/** What an app contributes: components (started before the gRPC server) and gRPC services. */
export interface AppParts {
  readonly components?: readonly Component[];
  readonly grpcServices?: readonly GrpcServiceRegistration[];
}

/** The tracing bootstrap's shape (`startTracing` of `@geo/otel/sdk`, passed in by main.ts). */
export type StartTracing = (options: { serviceName: string; otlpEndpoint: string | undefined; siteName?: string }) => {
  shutdown(): Promise<void>;
};

export interface RunAppOptions {
  /** `startTracing` from `@geo/otel/sdk`: only apps import the SDK, so main.ts hands it over. */
  readonly startTracing: StartTracing;
  /**
   * The app's wiring. It runs after tracing started, so modules that load `@grpc/grpc-js`, `pg`
   * or other instrumented clients must be loaded inside it (`require('./wiring')`), never at the
   * top of main.ts.
   */
  readonly build?: (context: AppContext) => Promise<AppParts> | AppParts;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly process?: ServiceProcess;
  readonly shutdownTimeoutMs?: number;
  /** Log destination (tests); defaults to stdout. */
  readonly logDestination?: DestinationStream;
}

/** `geo.v1.<App>Service`, the health-check name of an app's main gRPC service (`blob-transfer` → `geo.v1.BlobTransferService`). */
export function healthServiceName(app: AppName): string {
  const pascal = app
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  return `geo.v1.${pascal}Service`;
}

function grpcServerComponent(config: AppConfig, logger: Logger, services: readonly GrpcServiceRegistration[], graceMs: number) {
  let handle: { port: number; shutdown(graceMs?: number): Promise<void> } | undefined;
  const component: Component & { port(): number | undefined } = {
    name: 'grpc-server',
    async start() {
      // Loaded here, not at the top: @grpc/grpc-js must be required after tracing started. `require`,
      // not `import()`: services run under tsx's CommonJS hook (ADR 0001).
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred load, see above
      const { startGrpcServer } = require('@geo/grpc') as typeof GrpcModule;
      const server = await startGrpcServer({ host: config.grpc.host, port: config.grpc.port, services, logger });
      server.health.set(healthServiceName(config.app), 'SERVING');
      handle = server;
    },
    async stop() {
      await handle?.shutdown(graceMs);
    },
    port: () => handle?.port,
  };
  return component;
}

/**
 * The whole life of one app process: validate config (exit 1 with every bad variable listed),
 * start tracing, create the logger, build the app's parts, then run tracing → app components →
 * gRPC server (with health) under the lifecycle runner, logging one "started" line with the port.
 * Never rejects: every failure is logged and ends the process with exit code 1.
 */
export async function runApp(app: AppName, options: RunAppOptions): Promise<void> {
  const proc: ServiceProcess = options.process ?? process;
  let config: AppConfig;
  try {
    config = loadConfig(app, options.env ?? process.env);
  } catch (error: unknown) {
    const bootLogger = createLogger({ service: `geo-${app}`, site: undefined, level: 'info', destination: options.logDestination });
    // A ConfigError's message already lists every bad variable; its stack would only add noise.
    if (isGeoError(error)) bootLogger.fatal({ code: error.code, details: error.details }, `cannot start: ${error.message}`);
    else bootLogger.fatal({ err: error }, 'cannot start: loading configuration failed');
    proc.exit(1);
    return;
  }

  const tracing = options.startTracing({ serviceName: config.otel.serviceName, otlpEndpoint: config.otel.exporterEndpoint, siteName: config.site.name });
  const logger = createLogger({
    service: config.otel.serviceName,
    site: config.site.name,
    level: config.log.level,
    destination: options.logDestination,
  });
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const tracingComponent: Component = { name: 'tracing', start: async () => undefined, stop: () => tracing.shutdown() };

  let parts: AppParts;
  try {
    parts = (await options.build?.({ config, logger })) ?? {};
  } catch (error: unknown) {
    logger.fatal({ err: error }, 'cannot start: building the app failed');
    await tracing.shutdown().catch(() => undefined);
    proc.exit(1);
    return;
  }
  // Leave the gRPC server part of the budget; the rest is for the other components.
  const server = grpcServerComponent(config, logger, parts.grpcServices ?? [], Math.floor(shutdownTimeoutMs / 2));
  await runService({
    name: app,
    components: [tracingComponent, ...(parts.components ?? []), server],
    logger,
    shutdownTimeoutMs,
    startedFields: () => ({ app, role: config.site.role, host: config.grpc.host, port: server.port() }),
    process: proc,
  });
}
