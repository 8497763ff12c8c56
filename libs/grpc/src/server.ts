import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthService } from '@geo/proto';
import { silentLogger, UnavailableError, type LoggerPort } from '@geo/domain';
import { HealthRegistry, OVERALL_HEALTH_SERVICE, type HealthStatus } from './health';

/** One service to serve: a generated `XxxServiceService` definition and its handlers. */
export interface GrpcServiceRegistration {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

export interface StartGrpcServerOptions {
  /** Interface to bind, e.g. "127.0.0.1" or "0.0.0.0". */
  readonly host: string;
  /** Port to bind; 0 picks a free port (read it back from the handle). */
  readonly port: number;
  readonly services: readonly GrpcServiceRegistration[];
  readonly logger?: LoggerPort;
  /** Defaults to insecure: site-to-site calls are authenticated per call with GL-Geo tokens. */
  readonly credentials?: ServerCredentials;
}

/** A running server. */
export interface GrpcServerHandle {
  /** The port actually bound (differs from the requested one when it was 0). */
  readonly port: number;
  /** Health of the overall server ('') or of a fully-qualified service name, e.g. "geo.v1.RegistryService". */
  readonly health: { set(service: string, status: HealthStatus): void };
  /**
   * Marks everything NOT_SERVING, ends health watches, lets in-flight calls finish for up to `graceMs`
   * (default 5000), then cancels whatever is left. Resolves once the server is stopped.
   */
  shutdown(graceMs?: number): Promise<void>;
}

/** The fully-qualified service name ("geo.v1.RegistryService") from the first method's path. */
export function serviceNameOf(definition: ServiceDefinition): string {
  const first = Object.values(definition)[0];
  return first === undefined ? '' : first.path.split('/')[1] ?? '';
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => {
      if (err) reject(new UnavailableError(`gRPC server cannot bind ${address}: ${err.message}`, { cause: err }));
      else resolve(port);
    });
  });
}

/**
 * Starts a grpc-js server with the given services plus the standard health service. Overall health
 * and each registered service report SERVING once the port is bound.
 */
export async function startGrpcServer(options: StartGrpcServerOptions): Promise<GrpcServerHandle> {
  const logger = options.logger ?? silentLogger;
  const server = new Server();
  const health = new HealthRegistry();
  server.addService(HealthService, health.implementation());
  for (const { definition, implementation } of options.services) server.addService(definition, implementation);

  const address = `${options.host}:${options.port}`;
  let port: number;
  try {
    port = await bind(server, address, options.credentials ?? ServerCredentials.createInsecure());
  } catch (err: unknown) {
    server.forceShutdown();
    throw err;
  }
  health.set(OVERALL_HEALTH_SERVICE, 'SERVING');
  for (const { definition } of options.services) health.set(serviceNameOf(definition), 'SERVING');
  logger.info({ host: options.host, port, services: options.services.map((s) => serviceNameOf(s.definition)) }, 'gRPC server listening');

  let stopped: Promise<void> | undefined;
  return {
    port,
    health: { set: (service, status) => health.set(service, status) },
    shutdown(graceMs = 5000) {
      stopped ??= new Promise<void>((resolve) => {
        health.setAll('NOT_SERVING');
        health.close();
        const force = setTimeout(() => {
          logger.warn({ port, graceMs }, 'gRPC server grace period over; cancelling remaining calls');
          server.forceShutdown();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          logger.info({ port }, 'gRPC server stopped');
          resolve();
        });
      });
      return stopped;
    },
  };
}
