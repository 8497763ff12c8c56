import { ValidationError, type LoggerPort, type ReplicableDefinition } from '@geo/domain';
import {
  cachedSiteLookup,
  createGeoCallAuthenticator,
  toProtoReplicable,
  toProtoSiteSettings,
  wrapServerStream,
  wrapUnary,
  type GrpcServiceRegistration,
} from '@geo/grpc';
import type { CatalogSite, ReplicableCatalog } from '@geo/pg';
import { RegistryCatalogServiceService, type RegistryCatalogServiceServer } from '@geo/proto';

/** Widest id range one `ListReplicables` call may ask for (`id_to - id_from` stays below it). */
export const MAX_LIST_REPLICABLES_RANGE = 100_000;
/** Most ids one `GetReplicables` call may ask for. */
export const MAX_GET_REPLICABLES_IDS = 1000;

/** What the service reads: the catalogue repository (`PgReplicableCatalogRepository` on the primary). */
export type CatalogServicePort = Pick<ReplicableCatalog, 'findSiteByAccessKey' | 'listRange' | 'getByIds' | 'maxModelId'>;

export interface RegistryCatalogServiceOptions {
  readonly catalog: CatalogServicePort;
  /** The replicable types the primary serves; any other name is INVALID_ARGUMENT. */
  readonly replicables: readonly ReplicableDefinition[];
  /** Receives one warn line per refused caller (access key and reason, never a secret or token). */
  readonly logger: LoggerPort;
  /** Clock the JWTs are checked against; defaults to the system clock. */
  readonly clock?: () => Date;
  /** Reuse a caller's site lookup for this long (one query less per call); 0 (default): none. */
  readonly siteCacheTtlMs?: number;
}

/** Every request of the service names its replicable type, which the caller's JWT must bind. */
interface CatalogRequest {
  readonly replicableName: string;
}


/**
 * `geo.v1.RegistryCatalogService` on the primary (ADR 0004 §2): secondaries read which records
 * exist, in their own scope. Every call is authenticated by the caller's `GL-Geo` JWT bound to
 * `{ replicable_name }`; the scope (`selective_sync_*`, `sync_object_storage`) comes from the
 * caller's `geo_sites` row, never from the request, so a secondary cannot widen it. Unknown or
 * disabled sites, bad signatures, expired tokens and tokens bound to another type are all
 * UNAUTHENTICATED. An unknown replicable name (after authentication) is INVALID_ARGUMENT, like
 * ChecksumService: the name is an argument of the API, not a record that could be missing.
 */
export function registryCatalogService(options: RegistryCatalogServiceOptions): GrpcServiceRegistration {
  const { catalog, logger } = options;
  const byName = new Map(options.replicables.map((def) => [def.name, def]));
  // One site cache for all methods: a settings change (scope, secret, disabling) reaches every
  // method within the same TTL, not at a different moment per method.
  const lookupSite = cachedSiteLookup((accessKey: string) => catalog.findSiteByAccessKey(accessKey), { ttlMs: options.siteCacheTtlMs ?? 0 });
  /** One authenticator per method, so each refusal is logged with the method it was refused on. */
  const authenticatorFor = (grpcMethod: string) =>
    createGeoCallAuthenticator<CatalogRequest, CatalogSite>({
      lookupSite,
      expected: (request) => ({ replicable_name: request.replicableName }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      onRefused: ({ request, accessKey, reason }) => logger.warn({ grpcMethod, accessKey, replicableName: request.replicableName, reason }, 'Geo site refused'),
    });
  const authenticate = {
    ListReplicables: authenticatorFor('ListReplicables'),
    GetReplicables: authenticatorFor('GetReplicables'),
    DescribeCatalog: authenticatorFor('DescribeCatalog'),
  };

  function replicable(name: string): ReplicableDefinition {
    const def = byName.get(name);
    if (def === undefined) throw new ValidationError(`unknown replicable ${JSON.stringify(name)}`, { details: { replicableName: name } });
    return def;
  }

  const implementation: RegistryCatalogServiceServer = {
    listReplicables: wrapServerStream(async function* (request, call) {
      const site = await authenticate.ListReplicables(call);
      const def = replicable(request.replicableName);
      const { idFrom, idTo } = request;
      if (!Number.isSafeInteger(idFrom) || !Number.isSafeInteger(idTo) || idFrom < 1 || idTo < idFrom || idTo - idFrom >= MAX_LIST_REPLICABLES_RANGE) {
        throw new ValidationError(`invalid id range [${idFrom}, ${idTo}]: need 1 <= id_from <= id_to and fewer than ${MAX_LIST_REPLICABLES_RANGE} ids`, {
          details: { idFrom, idTo },
        });
      }
      // The wrapper writes with back-pressure, and the repository reads one page at a time.
      for await (const record of catalog.listRange(def, site.scope, idFrom, idTo)) yield { replicable: toProtoReplicable(record) };
    }, { logger }),

    getReplicables: wrapUnary(async (request, call) => {
      const site = await authenticate.GetReplicables(call);
      const def = replicable(request.replicableName);
      if (request.modelRecordIds.length > MAX_GET_REPLICABLES_IDS) {
        throw new ValidationError(`at most ${MAX_GET_REPLICABLES_IDS} model_record_ids per call, got ${request.modelRecordIds.length}`);
      }
      const records = await catalog.getByIds(def, site.scope, request.modelRecordIds);
      return { replicables: records.map(toProtoReplicable) };
    }, { logger }),

    describeCatalog: wrapUnary(async (request, call) => {
      const site = await authenticate.DescribeCatalog(call);
      const def = replicable(request.replicableName);
      // toProtoSiteSettings copies the settings fields one by one: the secret never reaches the wire.
      return { site: toProtoSiteSettings(site), maxModelRecordId: await catalog.maxModelId(def) };
    }, { logger }),
  };
  return { definition: RegistryCatalogServiceService, implementation };
}
