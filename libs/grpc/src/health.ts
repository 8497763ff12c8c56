import { type ServerWritableStream, status as GrpcStatus } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
} from '@geo/proto';

/** The statuses an application may set; UNKNOWN and SERVICE_UNKNOWN are protocol-only values. */
export type HealthStatus = 'SERVING' | 'NOT_SERVING';

/** Overall server health is reported under the empty service name (gRPC health-checking protocol). */
export const OVERALL_HEALTH_SERVICE = '';

type Watcher = ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;

/**
 * In-memory health registry behind the standard `grpc.health.v1.Health` service. Watchers get the
 * current status immediately and every change afterwards; `close()` ends their streams so a graceful
 * shutdown is not held open by long-lived Watch calls.
 */
export class HealthRegistry {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<Watcher>>();

  /** Sets a service's status and notifies its watchers if it changed. */
  set(service: string, status: HealthStatus): void {
    const next = status === 'SERVING' ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    if (this.statuses.get(service) === next) return;
    this.statuses.set(service, next);
    for (const call of this.watchers.get(service) ?? []) call.write({ status: next });
  }

  /** Sets every known service (including overall) to the given status. */
  setAll(status: HealthStatus): void {
    for (const service of [...this.statuses.keys()]) this.set(service, status);
  }

  /** Ends every open Watch stream with OK. */
  close(): void {
    for (const calls of this.watchers.values()) for (const call of calls) call.end();
    this.watchers.clear();
  }

  /** The `grpc.health.v1.Health` implementation backed by this registry. */
  implementation(): HealthServer {
    return {
      check: (call, callback) => {
        const status = this.statuses.get(call.request.service);
        if (status === undefined) {
          callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service "${call.request.service}"` });
          return;
        }
        callback(null, { status });
      },
      list: (_call, callback) => {
        const statuses: Record<string, HealthCheckResponse> = {};
        for (const [service, status] of this.statuses) statuses[service] = { status };
        callback(null, { statuses });
      },
      watch: (call) => {
        const service = call.request.service;
        const set = this.watchers.get(service) ?? new Set<Watcher>();
        this.watchers.set(service, set);
        set.add(call);
        call.on('cancelled', () => set.delete(call));
        call.write({ status: this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN });
      },
    };
  }
}
