import { status as GrpcStatus, type handleUnaryCall } from '@grpc/grpc-js';
import { NotFoundError, ValidationError, withStatusAge, type HealthThresholds, type LoggerPort, type NodeStatus } from '@geo/domain';
import { cachedSiteLookup, createGeoCallAuthenticator, wrapUnary, type GrpcServiceRegistration } from '@geo/grpc';
import type { CatalogSite } from '@geo/pg';
import { StatusServiceService, type ReportStatusRequest, type ReportStatusResponse, type StatusServiceServer } from '@geo/proto';
import { fromProtoNodeStatus, toProtoNodeStatus } from './node-status-codec';
import { REPORT_STATUS_JWT_DATA } from './status-pusher';

/** This site's own status (`SiteStatusService`). */
export interface OwnStatus {
  current(): Promise<NodeStatus>;
}

/** The primary's stored statuses (`PgGeoNodeStatusRepository`). */
export interface StoredStatuses {
  save(geoNodeId: number, status: NodeStatus): Promise<void>;
  list(): Promise<NodeStatus[]>;
  find(geoNodeId: number): Promise<NodeStatus | undefined>;
}

export interface PrimaryStatusServiceOptions {
  readonly own: OwnStatus;
  readonly stored: StoredStatuses;
  /** The reporting site by access key (`PgReplicableCatalogRepository.findSiteByAccessKey`). */
  readonly lookupSite: (accessKey: string) => Promise<CatalogSite | undefined>;
  readonly thresholds: Pick<HealthThresholds, 'statusMaxAgeSeconds'>;
  readonly logger: LoggerPort;
  readonly clock?: () => Date;
  /** Reuse a caller's site lookup for this long; 0 (default): one lookup per call. */
  readonly siteCacheTtlMs?: number;
}

/** A stored status as a reader must see it: stale once older than the limit (judged now, ADR 0007). */
function judged(status: NodeStatus, now: Date, thresholds: Pick<HealthThresholds, 'statusMaxAgeSeconds'>): NodeStatus {
  return { ...status, health: withStatusAge(status.health, status.updatedAt, now, thresholds) };
}

/**
 * `geo.v1.StatusService` on the primary:
 * - `GetStatus`: this site's status (fresh, or the last one when under 10 s old); with another
 *   site's `geo_node_id`, that site's stored status, NOT_FOUND when it never reported;
 * - `ListStatuses`: every stored status, this site's replaced by its live one;
 * - `ReportStatus`: a secondary's push, authenticated by its GL-Geo JWT (data `{"purpose":
 *   "geo_status"}`); wrong, expired or unbound tokens and unknown or disabled sites are
 *   UNAUTHENTICATED and logged. Stored under the caller's own `geo_sites` id, whatever the message
 *   says about its identity.
 * Stored statuses are judged for staleness when read (`status_stale`).
 */
export function primaryStatusService(options: PrimaryStatusServiceOptions): GrpcServiceRegistration {
  const { own, stored, logger, thresholds } = options;
  const clock = options.clock ?? (() => new Date());
  const authenticate = createGeoCallAuthenticator<ReportStatusRequest, CatalogSite>({
    lookupSite: cachedSiteLookup(options.lookupSite, { ttlMs: options.siteCacheTtlMs ?? 0 }),
    expected: () => REPORT_STATUS_JWT_DATA,
    clock,
    onRefused: ({ accessKey, reason }) => logger.warn({ grpcMethod: 'ReportStatus', accessKey, reason }, 'Geo site refused'),
  });

  const implementation: StatusServiceServer = {
    getStatus: wrapUnary(async (request) => {
      const mine = await own.current();
      if (request.geoNodeId === undefined || request.geoNodeId === mine.geoNodeId) return { status: toProtoNodeStatus(mine) };
      const found = await stored.find(request.geoNodeId);
      if (found === undefined) throw new NotFoundError(`no status stored for site ${request.geoNodeId}`, { details: { geoNodeId: request.geoNodeId } });
      return { status: toProtoNodeStatus(judged(found, clock(), thresholds)) };
    }, { logger }),

    listStatuses: wrapUnary(async () => {
      const [mine, all] = await Promise.all([own.current(), stored.list()]);
      const now = clock();
      const others = all.filter((s) => s.geoNodeId !== mine.geoNodeId).map((s) => judged(s, now, thresholds));
      const statuses = [mine, ...others].sort((a, b) => (a.geoNodeId ?? 0) - (b.geoNodeId ?? 0));
      return { statuses: statuses.map(toProtoNodeStatus) };
    }, { logger }),

    reportStatus: wrapUnary(async (request, call): Promise<ReportStatusResponse> => {
      const site = await authenticate(call);
      const status = fromProtoNodeStatus(request.status ?? missingStatus());
      await stored.save(site.id, status);
      logger.info({ geoNodeId: site.id, site: site.name, healthy: status.health.healthy }, 'status: stored a reported status');
      return { geoNodeId: site.id };
    }, { logger }),
  };
  return { definition: StatusServiceService, implementation };
}

function missingStatus(): never {
  throw new ValidationError('ReportStatus needs a status');
}

/**
 * `geo.v1.StatusService` on a secondary: its own status only (it stores no other site's).
 * `ReportStatus` is answered by the primary: UNIMPLEMENTED here.
 */
export function secondaryStatusService(own: OwnStatus, logger: LoggerPort): GrpcServiceRegistration {
  const reportStatus: handleUnaryCall<ReportStatusRequest, ReportStatusResponse> = (_call, callback) =>
    callback({ code: GrpcStatus.UNIMPLEMENTED, details: 'ReportStatus is answered by the primary site; this is a secondary' }, null);
  const implementation: StatusServiceServer = {
    getStatus: wrapUnary(async (request) => {
      const mine = await own.current();
      if (request.geoNodeId !== undefined && request.geoNodeId !== mine.geoNodeId) {
        throw new NotFoundError(`a secondary stores no other site's status (asked for site ${request.geoNodeId})`, { details: { geoNodeId: request.geoNodeId } });
      }
      return { status: toProtoNodeStatus(mine) };
    }, { logger }),
    listStatuses: wrapUnary(async () => ({ statuses: [toProtoNodeStatus(await own.current())] }), { logger }),
    reportStatus,
  };
  return { definition: StatusServiceService, implementation };
}
