import type { Readable } from 'node:stream';
import {
  ErrorCodes,
  isGeoError,
  MicroBatcher,
  NotFoundError,
  ValidationError,
  type LoggerPort,
  type ReplicableDefinition,
  type ReplicableRecord,
} from '@geo/domain';
import { createGeoAuthenticator, type GeoSiteCredentials } from '@geo/grpc';
import type { ReplicableCatalog } from '@geo/pg';
import type { BlobStore } from '@geo/storage';

/** What a retrieval reads from the catalogue (`PgReplicableCatalogRepository` on the primary). */
export type RetrieveCatalogPort = Pick<ReplicableCatalog, 'findSiteByAccessKey' | 'getByIds'>;

export interface BlobRetrievalOptions {
  readonly catalog: RetrieveCatalogPort;
  /** The replicable types the primary serves; any other name is INVALID_ARGUMENT. */
  readonly replicables: readonly ReplicableDefinition[];
  /** The primary's blob store (the one the records' blob keys point into). */
  readonly blobStore: Pick<BlobStore, 'get'>;
  /** Receives one warn line per refused caller (access key and reason, never a secret or token). */
  readonly logger: LoggerPort;
  /** Clock the JWTs are checked against; defaults to the system clock. */
  readonly clock?: () => Date;
  /** Reuse a caller's site lookup for this long (one query less per call); 0 (default): none. */
  readonly siteCacheTtlMs?: number;
}

/** One record's retrieval, as the caller asked for it. */
export interface RetrieveRequestParams {
  readonly replicableName: string;
  readonly modelRecordId: number;
}

/** An authorised, open retrieval: what to announce, and the bytes (destroy them if unused). */
export interface OpenedBlob {
  readonly record: ReplicableRecord;
  readonly blob: Readable;
}

/** Record lookups merged while one runs: a secondary fetching many small blobs costs one query per batch. */
const LOOKUP_BATCH = { maxInputs: 500, maxInFlight: 2 };

/**
 * The primary's side of GitLab's `GET /api/v4/geo/retrieve/:replicable_name/:replicable_id`
 * (spec §5.2, §5.3), whatever the transport: the caller's `GL-Geo` JWT must bind
 * `{ replicable_name, replicable_id }`, so a token for record 1 cannot fetch record 2. Selective
 * sync is not applied (as in GitLab): scope decides what a secondary asks for, not what it may read.
 * Failures, as typed errors the transports map:
 * - unknown or disabled site, bad signature, expired or mismatched token: UNAUTHENTICATED (logged);
 * - unknown replicable name: INVALID_ARGUMENT;
 * - no such record: NOT_FOUND `<replicable_name> not found`;
 * - record without its blob: FILE_NOT_FOUND `<ModelClass> #<id> file not found` (GitLab's
 *   `geo_code`), so the secondary applies the 4-hour backoff cap.
 */
export class BlobRetrieval {
  private readonly byName: ReadonlyMap<string, ReplicableDefinition>;
  private readonly lookups = new Map<string, MicroBatcher<number, ReplicableRecord | undefined>>();
  private readonly authenticate: (header: string | undefined, request: RetrieveRequestParams & { readonly transport: string }) => Promise<GeoSiteCredentials>;

  constructor(private readonly options: BlobRetrievalOptions) {
    this.byName = new Map(options.replicables.map((def) => [def.name, def]));
    const { catalog, logger } = options;
    this.authenticate = createGeoAuthenticator({
      lookupSite: (accessKey) => catalog.findSiteByAccessKey(accessKey),
      expected: (request) => ({ replicable_name: request.replicableName, replicable_id: request.modelRecordId }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.siteCacheTtlMs === undefined ? {} : { siteCacheTtlMs: options.siteCacheTtlMs }),
      onRefused: ({ request, accessKey, reason }) =>
        logger.warn(
          { transport: request.transport, method: 'Retrieve', accessKey, replicableName: request.replicableName, modelRecordId: request.modelRecordId, reason },
          'Geo site refused',
        ),
    });
  }

  /**
   * Authenticates `authorization` (the `GL-Geo …` header value) for `request`, finds the record and
   * opens its blob. `transport` only labels the refusal log line.
   */
  async open(authorization: string | undefined, request: RetrieveRequestParams, transport: string): Promise<OpenedBlob> {
    await this.authenticate(authorization, { ...request, transport });
    const def = this.replicable(request.replicableName);
    const record = await this.lookup(def, request.modelRecordId);
    if (record === undefined) {
      throw new NotFoundError(`${request.replicableName} not found`, { details: { replicableName: def.name, modelRecordId: request.modelRecordId } });
    }
    return { record, blob: await this.openBlob(def, record) };
  }

  private replicable(name: string): ReplicableDefinition {
    const def = this.byName.get(name);
    if (def === undefined) throw new ValidationError(`unknown replicable ${JSON.stringify(name)}`, { details: { replicableName: name } });
    return def;
  }

  private lookup(def: ReplicableDefinition, id: number): Promise<ReplicableRecord | undefined> {
    let batcher = this.lookups.get(def.name);
    if (batcher === undefined) {
      batcher = new MicroBatcher(async (ids) => {
        const found = new Map((await this.options.catalog.getByIds(def, null, [...new Set(ids)])).map((r) => [r.modelRecordId, r]));
        return ids.map((i) => found.get(i));
      }, LOOKUP_BATCH);
      this.lookups.set(def.name, batcher);
    }
    return batcher.submit(id);
  }

  /** Opens the record's blob; a missing blob becomes GitLab's FILE_NOT_FOUND answer. */
  private async openBlob(def: ReplicableDefinition, record: ReplicableRecord): Promise<Readable> {
    try {
      return await this.options.blobStore.get(record.blobKey);
    } catch (err: unknown) {
      if (isGeoError(err) && err.code === ErrorCodes.FILE_NOT_FOUND) {
        throw new NotFoundError(
          `${def.gitlab.modelClass} #${record.modelRecordId} file not found`,
          { cause: err, details: { replicableName: def.name, modelRecordId: record.modelRecordId, blobKey: record.blobKey } },
          ErrorCodes.FILE_NOT_FOUND,
        );
      }
      throw err;
    }
  }
}
