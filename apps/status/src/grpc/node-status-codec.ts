import {
  isHealthIssueCode,
  siteHealth,
  ValidationError,
  withPercentages,
  type EventLogPosition,
  type HealthIssue,
  type NodeStatus,
  type ReplicableStatus,
} from '@geo/domain';
import type { GeoNodeStatus, ReplicableStatus as ProtoReplicableStatus } from '@geo/proto';

/**
 * GeoNodeStatus between the domain and the wire (DESIGN §6: generated types stay at the edge).
 * A null counter travels as an absent optional field; `geo_node_id` 0 means unknown.
 */

function optional(value: number | null): number | undefined {
  return value === null ? undefined : value;
}

function toProtoReplicable(status: ReplicableStatus): ProtoReplicableStatus {
  return {
    count: optional(status.count),
    checksumTotalCount: optional(status.checksumTotalCount),
    checksummedCount: optional(status.checksummedCount),
    checksumFailedCount: optional(status.checksumFailedCount),
    registryCount: optional(status.registryCount),
    syncedCount: optional(status.syncedCount),
    failedCount: optional(status.failedCount),
    verifiedCount: optional(status.verifiedCount),
    verificationFailedCount: optional(status.verificationFailedCount),
    verificationTotalCount: optional(status.verificationTotalCount),
    syncedInPercentage: status.syncedInPercentage,
    verifiedInPercentage: status.verifiedInPercentage,
  };
}

export function toProtoNodeStatus(status: NodeStatus): GeoNodeStatus {
  return {
    geoNodeId: status.geoNodeId ?? 0,
    name: status.name,
    lastEventId: status.lastEvent?.eventId,
    lastEventTimestamp: status.lastEvent?.createdAt,
    cursorLastEventId: status.cursorLastEvent?.eventId,
    cursorLastEventTimestamp: status.cursorLastEvent?.createdAt,
    eventLagSeconds: optional(status.eventLagSeconds),
    version: status.version,
    revision: status.revision,
    selectiveSyncType: status.selectiveSyncType,
    namespaceIds: [...status.namespaceIds],
    updatedAt: status.updatedAt,
    lastSuccessfulStatusCheckTimestamp: status.lastSuccessfulStatusCheckAt ?? undefined,
    healthy: status.health.healthy,
    health: status.health.health,
    healthStatus: status.health.healthStatus,
    statusMessage: status.health.healthy ? '' : status.health.health,
    replicables: Object.fromEntries(Object.entries(status.replicables).map(([name, r]) => [name, toProtoReplicable(r)])),
    healthIssues: status.health.issues.map((issue) => ({ code: issue.code, message: issue.message })),
    statusFailedTotal: optional(status.statusFailedTotal),
  };
}

/** A reported counter: absent stays null; anything but a non-negative integer is refused. */
function counter(name: string, field: string, value: number | undefined): number | null {
  if (value === undefined) return null;
  if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(`replicables.${name}.${field} must be a non-negative integer, got ${value}`);
  return value;
}

function fromProtoReplicable(name: string, proto: ProtoReplicableStatus): ReplicableStatus {
  const c = (field: keyof ProtoReplicableStatus, value: number | undefined) => counter(name, field, value);
  // Percentages are recomputed from the counters: a reporter cannot make them disagree.
  return withPercentages({
    count: c('count', proto.count),
    checksumTotalCount: c('checksumTotalCount', proto.checksumTotalCount),
    checksummedCount: c('checksummedCount', proto.checksummedCount),
    checksumFailedCount: c('checksumFailedCount', proto.checksumFailedCount),
    registryCount: c('registryCount', proto.registryCount),
    syncedCount: c('syncedCount', proto.syncedCount),
    failedCount: c('failedCount', proto.failedCount),
    verifiedCount: c('verifiedCount', proto.verifiedCount),
    verificationFailedCount: c('verificationFailedCount', proto.verificationFailedCount),
    verificationTotalCount: c('verificationTotalCount', proto.verificationTotalCount),
  });
}

function position(what: string, id: number | undefined, at: Date | undefined): EventLogPosition | null {
  if (id === undefined) return null;
  if (!Number.isSafeInteger(id) || id <= 0) throw new ValidationError(`${what} id must be a positive integer, got ${id}`);
  if (at === undefined || Number.isNaN(at.getTime())) throw new ValidationError(`${what} id ${id} comes without a valid timestamp`);
  return { eventId: id, createdAt: at };
}

/**
 * A status as a secondary reported it (`ReportStatus`). Identity fields are taken as sent; the
 * primary replaces them with its own `geo_sites` row when storing. Health is rebuilt from the
 * issues, so `healthy`/`health` cannot disagree with them; issues with a code this version does not
 * know are dropped (upgrade the primary first, ADR 0007).
 */
export function fromProtoNodeStatus(proto: GeoNodeStatus): NodeStatus {
  if (proto.updatedAt === undefined || Number.isNaN(proto.updatedAt.getTime())) throw new ValidationError('status.updated_at is required');
  const known: HealthIssue[] = proto.healthIssues.flatMap((issue) => (isHealthIssueCode(issue.code) ? [{ code: issue.code, message: issue.message }] : []));
  const lag = proto.eventLagSeconds;
  if (lag !== undefined && (!Number.isSafeInteger(lag) || lag < 0)) throw new ValidationError(`status.event_lag_seconds must be a non-negative integer, got ${lag}`);
  return {
    geoNodeId: proto.geoNodeId === 0 ? null : proto.geoNodeId,
    name: proto.name,
    lastEvent: position('last event', proto.lastEventId, proto.lastEventTimestamp),
    cursorLastEvent: position('cursor last event', proto.cursorLastEventId, proto.cursorLastEventTimestamp),
    eventLagSeconds: lag ?? null,
    version: proto.version,
    revision: proto.revision,
    selectiveSyncType: proto.selectiveSyncType,
    namespaceIds: [...proto.namespaceIds],
    updatedAt: proto.updatedAt,
    lastSuccessfulStatusCheckAt: proto.lastSuccessfulStatusCheckTimestamp ?? null,
    health: siteHealth(known),
    replicables: Object.fromEntries(
      Object.entries(proto.replicables).map(([name, value]) => [name, fromProtoReplicable(name, value)]),
    ),
    statusFailedTotal: proto.statusFailedTotal ?? null,
  };
}
