import { status as GrpcStatus, type handleUnaryCall } from '@grpc/grpc-js';
import { ValidationError, type LoggerPort } from '@geo/domain';
import { fromProtoVerificationState, toProtoVerificationState, wrapUnary, type GrpcServiceRegistration } from '@geo/grpc';
import { MAX_REGISTRY_PAGE_SIZE, type RegistryFilter, type RegistryListSort, type StoredRegistryRow } from '@geo/pg';
import {
  RegistrySort,
  RegistryServiceService,
  type Registry,
  type RegistryBulkFilter,
  type RegistryServiceServer,
  type ReplicableRef,
} from '@geo/proto';
import { decodePageToken, encodePageToken } from './page-token';
import type { RegistryAdmin } from './registry-admin';
import { fromProtoSyncState, toProtoSyncState } from './sync-state-codec';

/** `ListRegistries` page size when the request leaves it 0. */
export const DEFAULT_REGISTRY_PAGE_SIZE = 100;

/** A registry row on the wire (`geo.v1.Registry`): NULL columns are absent fields. */
export function toProtoRegistry(replicableName: string, row: StoredRegistryRow): Registry {
  return {
    id: row.id,
    replicableName,
    modelRecordId: row.modelId,
    state: toProtoSyncState(row.state),
    retryCount: row.retryCount,
    retryAt: row.retryAt ?? undefined,
    lastSyncFailure: row.lastSyncFailure ?? undefined,
    lastSyncedAt: row.lastSyncedAt ?? undefined,
    createdAt: row.createdAt,
    verificationState: toProtoVerificationState(row.verificationState),
    verificationChecksum: row.verificationChecksum ?? undefined,
    verificationChecksumMismatched: row.verificationChecksumMismatched ?? undefined,
    checksumMismatch: row.checksumMismatch,
    verificationFailure: row.verificationFailure ?? undefined,
    verificationRetryAt: row.verificationRetryAt ?? undefined,
    verificationRetryCount: row.verificationRetryCount,
    verificationStartedAt: row.verificationStartedAt ?? undefined,
    verifiedAt: row.verifiedAt ?? undefined,
  };
}

function fromProtoSort(sort: RegistrySort): RegistryListSort {
  switch (sort) {
    case RegistrySort.REGISTRY_SORT_UNSPECIFIED:
    case RegistrySort.REGISTRY_SORT_ID_ASC:
      return 'id_asc';
    case RegistrySort.REGISTRY_SORT_ID_DESC:
      return 'id_desc';
    case RegistrySort.REGISTRY_SORT_VERIFIED_AT_ASC:
      return 'verified_at_asc';
    case RegistrySort.REGISTRY_SORT_VERIFIED_AT_DESC:
      return 'verified_at_desc';
    case RegistrySort.REGISTRY_SORT_LAST_SYNCED_AT_ASC:
      return 'last_synced_at_asc';
    case RegistrySort.REGISTRY_SORT_LAST_SYNCED_AT_DESC:
      return 'last_synced_at_desc';
    case RegistrySort.UNRECOGNIZED:
      break;
  }
  throw new ValidationError(`unknown registry sort ${sort}`);
}

function requireRef(ref: ReplicableRef | undefined): ReplicableRef {
  if (ref === undefined) throw new ValidationError('ref is required');
  if (!Number.isSafeInteger(ref.modelRecordId) || ref.modelRecordId <= 0) {
    throw new ValidationError(`model_record_id must be a positive integer, got ${ref.modelRecordId}`);
  }
  return ref;
}

/** The filter fields shared by `ListRegistries` and the bulk requests ("unspecified fields do not filter"). */
function toFilter(ids: readonly number[], state: Registry['state'], verificationState: Registry['verificationState']): RegistryFilter {
  const sync = fromProtoSyncState(state);
  const verification = fromProtoVerificationState(verificationState);
  return {
    ...(ids.length === 0 ? {} : { registryIds: ids }),
    ...(sync === undefined ? {} : { state: sync }),
    ...(verification === undefined ? {} : { verificationState: verification }),
  };
}

function requireBulkFilter(filter: RegistryBulkFilter | undefined): { replicableName: string; filter: RegistryFilter } {
  if (filter === undefined || filter.replicableName === '') throw new ValidationError('filter.replicable_name is required');
  return { replicableName: filter.replicableName, filter: toFilter(filter.ids, filter.state, filter.verificationState) };
}

/**
 * Answers for the RPCs a registry app does not serve: sync workers record results with
 * `PgRegistryRepository` directly (ADR 0004 §4), and the scheduler starts rows itself.
 */
function unimplemented<Req, Res>(method: string, why: string): handleUnaryCall<Req, Res> {
  return (_call, callback) => callback({ code: GrpcStatus.UNIMPLEMENTED, details: `${method} is not implemented by this registry service: ${why}` }, null);
}

/**
 * `geo.v1.RegistryService` on a secondary: thin handlers over `RegistryAdmin` (resync, reverify,
 * listing). Called by the site's own gateway (GraphQL), inside the site's network.
 */
export function secondaryRegistryService(admin: RegistryAdmin, logger: LoggerPort): GrpcServiceRegistration {
  const workerPath = 'sync workers record results through the shared registry repository (ADR 0004 §4)';
  const implementation: RegistryServiceServer = {
    claimRegistry: unimplemented('ClaimRegistry', 'the sync scheduler starts rows and queues their jobs (ADR 0004 §5)'),
    markSynced: unimplemented('MarkSynced', workerPath),
    markFailed: unimplemented('MarkFailed', workerPath),
    listRegistries: wrapUnary(async (request) => {
      if (request.replicableName === '') throw new ValidationError('replicable_name is required');
      const sort = fromProtoSort(request.sort);
      const pageSize = request.pageSize === 0 ? DEFAULT_REGISTRY_PAGE_SIZE : request.pageSize;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_REGISTRY_PAGE_SIZE) {
        throw new ValidationError(`page_size must be 0..${MAX_REGISTRY_PAGE_SIZE}, got ${request.pageSize}`);
      }
      // A row's position is the same token both ways: forward pages continue after it, backward pages before it.
      const position = decodePageToken(request.pageToken, sort);
      const page = await admin.list(request.replicableName, {
        ...toFilter(request.ids, request.state, request.verificationState),
        ...(request.keyword === '' ? {} : { keyword: request.keyword }),
        ...(position === undefined ? {} : request.backward ? { before: position } : { after: position }),
        ...(request.backward ? { backward: true } : {}),
        ...(request.includeTotalCount ? { withTotalCount: true } : {}),
        sort,
        pageSize,
      });
      return {
        registries: page.rows.map((row) => toProtoRegistry(request.replicableName, row)),
        nextPageToken: page.next === undefined ? '' : encodePageToken(sort, page.next),
        rowTokens: page.cursors.map((cursor) => encodePageToken(sort, cursor)),
        ...(page.totalCount === undefined ? {} : { totalCount: page.totalCount }),
      };
    }, { logger }),
    resyncRegistry: wrapUnary(async (request) => {
      const ref = requireRef(request.ref);
      return { registry: toProtoRegistry(ref.replicableName, await admin.resync(ref.replicableName, ref.modelRecordId)) };
    }, { logger }),
    resyncRegistries: wrapUnary(async (request) => {
      const { replicableName, filter } = requireBulkFilter(request.filter);
      return { affectedCount: await admin.resyncAll(replicableName, filter) };
    }, { logger }),
    reverifyRegistry: wrapUnary(async (request) => {
      const ref = requireRef(request.ref);
      return { registry: toProtoRegistry(ref.replicableName, await admin.reverify(ref.replicableName, ref.modelRecordId)) };
    }, { logger }),
    reverifyRegistries: wrapUnary(async (request) => {
      const { replicableName, filter } = requireBulkFilter(request.filter);
      return { affectedCount: await admin.reverifyAll(replicableName, filter) };
    }, { logger }),
  };
  return { definition: RegistryServiceService, implementation };
}
