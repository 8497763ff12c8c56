import { ValidationError, type ReplicableRecord, type ReplicationScope, type SiteSettings } from '@geo/domain';
import {
  FileStore as ProtoFileStore,
  SelectiveSyncType,
  type Replicable,
  type SelectiveSyncFilter,
  type SiteSettings as ProtoSiteSettings,
} from '@geo/proto';
import { fromProtoVerificationState, toProtoVerificationState } from './verification-state-codec';

/** Domain record → wire `Replicable` (the primary's catalogue answers). */
export function toProtoReplicable(record: ReplicableRecord): Replicable {
  return {
    replicableName: record.replicableName,
    modelRecordId: record.modelRecordId,
    size: record.size,
    blobKey: record.blobKey,
    fileStore: record.fileStore === 'remote' ? ProtoFileStore.FILE_STORE_REMOTE : ProtoFileStore.FILE_STORE_LOCAL,
    verificationState: toProtoVerificationState(record.primaryVerificationState),
    checksum: record.primaryChecksum ?? '',
    verifiedAt: record.primaryVerifiedAt ?? undefined,
    ...(record.projectId === null ? {} : { projectId: record.projectId }),
    createdAt: record.createdAt,
    attributes: { ...record.attributes },
  };
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Wire `Replicable` → domain record (a secondary reading the primary's catalogue). A malformed
 * message (empty key, bad checksum, unspecified verification state) is a `ValidationError`: the
 * secondary must not store what it cannot use.
 */
export function fromProtoReplicable(message: Replicable): ReplicableRecord {
  if (message.blobKey === '') throw new ValidationError(`replicable ${message.modelRecordId} has no blob key`);
  if (message.checksum !== '' && !HEX_SHA256.test(message.checksum)) {
    throw new ValidationError(`replicable ${message.modelRecordId} has a malformed checksum`);
  }
  const state = fromProtoVerificationState(message.verificationState);
  if (state === undefined) throw new ValidationError(`replicable ${message.modelRecordId} has no verification state`);
  return {
    replicableName: message.replicableName,
    modelRecordId: message.modelRecordId,
    blobKey: message.blobKey,
    size: message.size,
    fileStore: message.fileStore === ProtoFileStore.FILE_STORE_REMOTE ? 'remote' : 'local',
    projectId: message.projectId ?? null,
    primaryVerificationState: state,
    primaryChecksum: message.checksum === '' ? null : message.checksum,
    primaryVerifiedAt: message.verifiedAt ?? null,
    attributes: { ...message.attributes },
    createdAt: message.createdAt ?? new Date(0),
  };
}

export function toProtoSelectiveSync(scope: ReplicationScope): SelectiveSyncFilter {
  return scope.selectiveSync.type === 'namespaces'
    ? { type: SelectiveSyncType.SELECTIVE_SYNC_TYPE_NAMESPACES, namespaceIds: [...scope.selectiveSync.namespaceIds], syncObjectStorage: scope.syncObjectStorage }
    : { type: SelectiveSyncType.SELECTIVE_SYNC_TYPE_UNSPECIFIED, namespaceIds: [], syncObjectStorage: scope.syncObjectStorage };
}

export function fromProtoSelectiveSync(filter: SelectiveSyncFilter | undefined): ReplicationScope {
  if (filter === undefined) return { selectiveSync: { type: 'all' }, syncObjectStorage: false };
  if (filter.type === SelectiveSyncType.SELECTIVE_SYNC_TYPE_NAMESPACES) {
    return { selectiveSync: { type: 'namespaces', namespaceIds: [...filter.namespaceIds] }, syncObjectStorage: filter.syncObjectStorage };
  }
  if (filter.type !== SelectiveSyncType.SELECTIVE_SYNC_TYPE_UNSPECIFIED) {
    throw new ValidationError(`selective sync type ${filter.type} is not supported`);
  }
  return { selectiveSync: { type: 'all' }, syncObjectStorage: filter.syncObjectStorage };
}

export function toProtoSiteSettings(site: SiteSettings): ProtoSiteSettings {
  return {
    id: site.id,
    name: site.name,
    enabled: site.enabled,
    filesMaxCapacity: site.filesMaxCapacity,
    verificationMaxCapacity: site.verificationMaxCapacity,
    minimumReverificationInterval: site.minimumReverificationInterval,
    selectiveSync: toProtoSelectiveSync(site.scope),
  };
}

export function fromProtoSiteSettings(site: ProtoSiteSettings): SiteSettings {
  return {
    id: site.id,
    name: site.name,
    enabled: site.enabled,
    filesMaxCapacity: site.filesMaxCapacity,
    verificationMaxCapacity: site.verificationMaxCapacity,
    minimumReverificationInterval: site.minimumReverificationInterval,
    scope: fromProtoSelectiveSync(site.selectiveSync),
  };
}
