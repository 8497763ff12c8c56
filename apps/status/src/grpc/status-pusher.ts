import { errorFields, errorMessage, type Liveness, type LoggerPort, type NodeStatus } from '@geo/domain';
import { createChannelClient, geoAuthMetadata, unary } from '@geo/grpc';
import { StatusServiceClient } from '@geo/proto';
import { toProtoNodeStatus } from './node-status-codec';

/**
 * The data claim of a `ReportStatus` token: it binds the token to this call, so a token minted for
 * another site-to-site call (a blob download, a catalogue read) cannot be replayed here.
 */
export const REPORT_STATUS_JWT_DATA = Object.freeze({ purpose: 'geo_status' });

export interface StatusPusherOptions {
  /** The primary status app's address (`GEO_PRIMARY_STATUS_GRPC_URL` or `GEO_PRIMARY_GRPC_URL`). */
  readonly target: string;
  readonly accessKey: string;
  readonly secretAccessKey: string;
  readonly logger: LoggerPort;
  /** Deadline of one push; default 10 s. */
  readonly deadlineMs?: number;
  readonly clock?: () => Date;
}

/**
 * A secondary's status push to its primary (GitLab `POST /api/v4/geo/status` from
 * `Geo::MetricsUpdateService`), authenticated with the site's GL-Geo JWT. A failed push never
 * throws: it is logged, counted (`geo_status_failed_total`) and remembered, and the status
 * computation turns a push that keeps failing into `primary_unreachable` (ADR 0007).
 */
export class StatusPusher {
  private readonly client: StatusServiceClient;
  private readonly clock: () => Date;
  private readonly watchingSince: Date;
  private lastSuccessAt: Date | null = null;
  private lastError: string | undefined;
  private failures = 0;

  constructor(private readonly options: StatusPusherOptions) {
    this.client = createChannelClient(StatusServiceClient, options.target);
    this.clock = options.clock ?? (() => new Date());
    this.watchingSince = this.clock();
  }

  /** Sends `status`; resolves true when the primary stored it. */
  async push(status: NodeStatus): Promise<boolean> {
    const { logger } = this.options;
    try {
      const response = await unary(this.client.reportStatus.bind(this.client), { status: toProtoNodeStatus(status) }, {
        metadata: geoAuthMetadata({ accessKey: this.options.accessKey, secret: this.options.secretAccessKey, data: REPORT_STATUS_JWT_DATA }),
        deadlineMs: this.options.deadlineMs ?? 10_000,
      });
      if (this.lastError !== undefined) logger.info({ geoNodeId: response.geoNodeId }, 'status: pushing to the primary works again');
      this.lastSuccessAt = this.clock();
      this.lastError = undefined;
      return true;
    } catch (error) {
      this.failures += 1;
      this.lastError = errorMessage(error);
      logger.warn({ ...errorFields(error), statusFailedTotal: this.failures }, 'status: pushing the status to the primary failed');
      return false;
    }
  }

  /** When a push last succeeded (the `primary_unreachable` rule's signal). */
  liveness(): Liveness {
    return { lastSeenAt: this.lastSuccessAt, watchingSince: this.watchingSince, ...(this.lastError === undefined ? {} : { lastError: this.lastError }) };
  }

  /** GitLab's `geo_status_failed_total`: failed pushes since this process started. */
  failedTotal(): number {
    return this.failures;
  }

  close(): void {
    this.client.close();
  }
}
