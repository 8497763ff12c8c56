import { unary } from '@geo/grpc';
import { ErrorCodes, GeoError } from '@geo/domain';
import type { GeoNodeStatus, StatusServiceClient } from '@geo/proto';

export const DEFAULT_STATUS_API_TIMEOUT_MS = 30_000;

/**
 * The gateway's view of its site's `status` app (`geo.v1.StatusService`). Failures are the
 * `GeoError` the status app raised (NOT_FOUND for a site that never reported), mapped back from the
 * gRPC status by `unary`.
 */
export class StatusApi {
  constructor(
    private readonly client: StatusServiceClient,
    private readonly timeoutMs: number = DEFAULT_STATUS_API_TIMEOUT_MS,
  ) {}

  /** This site's current status (no id), or the one stored for `geoNodeId` (on the primary). */
  async getStatus(geoNodeId?: number): Promise<GeoNodeStatus> {
    const response = await unary(this.client.getStatus.bind(this.client), geoNodeId === undefined ? {} : { geoNodeId }, { deadlineMs: this.timeoutMs });
    if (response.status === undefined) throw new GeoError(ErrorCodes.INTERNAL, 'status app broke the contract: GetStatus answer without status');
    return response.status;
  }

  /** Every status the site knows: on the primary its own and every pushed one; on a secondary its own. */
  async listStatuses(): Promise<GeoNodeStatus[]> {
    return (await unary(this.client.listStatuses.bind(this.client), {}, { deadlineMs: this.timeoutMs })).statuses;
  }
}
