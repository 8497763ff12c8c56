import { ErrorCodes, GeoError } from '@geo/domain';
import { unary } from '@geo/grpc';
import type { ListRegistriesRequest, ListRegistriesResponse, Registry, RegistryBulkFilter, RegistryServiceClient } from '@geo/proto';

export const DEFAULT_REGISTRIES_API_TIMEOUT_MS = 30_000;

/** What the GraphQL resolvers need from the site's registry app (a port, so resolvers stay I/O-free). */
export interface RegistriesPort {
  list(request: ListRegistriesRequest): Promise<ListRegistriesResponse>;
  resync(replicableName: string, modelRecordId: number): Promise<Registry>;
  reverify(replicableName: string, modelRecordId: number): Promise<Registry>;
  /** Rows changed. */
  resyncAll(filter: RegistryBulkFilter): Promise<number>;
  reverifyAll(filter: RegistryBulkFilter): Promise<number>;
}

function required(registry: Registry | undefined, method: string): Registry {
  if (registry === undefined) throw new GeoError(ErrorCodes.INTERNAL, `registry app broke the contract: ${method} answer without registry`);
  return registry;
}

/**
 * The gateway's view of a secondary's registry app (`geo.v1.RegistryService`). Failures are the
 * `GeoError` the registry app raised (NOT_FOUND, INVALID_ARGUMENT for a bad page token,
 * UNAVAILABLE when a resync job could not be queued), mapped back by `unary`.
 */
export class RegistriesApi implements RegistriesPort {
  constructor(
    private readonly client: RegistryServiceClient,
    private readonly timeoutMs: number = DEFAULT_REGISTRIES_API_TIMEOUT_MS,
  ) {}

  list(request: ListRegistriesRequest): Promise<ListRegistriesResponse> {
    return unary(this.client.listRegistries.bind(this.client), request, { deadlineMs: this.timeoutMs });
  }

  async resync(replicableName: string, modelRecordId: number): Promise<Registry> {
    const response = await unary(this.client.resyncRegistry.bind(this.client), { ref: { replicableName, modelRecordId } }, { deadlineMs: this.timeoutMs });
    return required(response.registry, 'ResyncRegistry');
  }

  async reverify(replicableName: string, modelRecordId: number): Promise<Registry> {
    const response = await unary(this.client.reverifyRegistry.bind(this.client), { ref: { replicableName, modelRecordId } }, { deadlineMs: this.timeoutMs });
    return required(response.registry, 'ReverifyRegistry');
  }

  async resyncAll(filter: RegistryBulkFilter): Promise<number> {
    return (await unary(this.client.resyncRegistries.bind(this.client), { filter }, { deadlineMs: this.timeoutMs })).affectedCount;
  }

  async reverifyAll(filter: RegistryBulkFilter): Promise<number> {
    return (await unary(this.client.reverifyRegistries.bind(this.client), { filter }, { deadlineMs: this.timeoutMs })).affectedCount;
  }
}
