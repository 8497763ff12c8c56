import type { ReplicableRecord, SiteSettings } from '@geo/domain';
import { ValidationError } from '@geo/domain';
import { RegistryCatalogServiceClient } from '@geo/proto';
import { geoAuthMetadata } from './auth/grpc-auth';
import { createChannelClient, serverStream, unary } from './client';
import { fromProtoReplicable, fromProtoSiteSettings } from './codecs/replicable-codec';

export interface PrimaryCatalogClientOptions {
  /** The primary registry app's address (`GEO_PRIMARY_REGISTRY_GRPC_URL` or `GEO_PRIMARY_GRPC_URL`). */
  readonly target: string;
  /** This secondary's credentials (`GEO_ACCESS_KEY`, `GEO_SECRET_ACCESS_KEY`). */
  readonly accessKey: string;
  readonly secretAccessKey: string;
  /** Deadline of unary calls; default 30 s. Streams have none (a range may be large). */
  readonly deadlineMs?: number;
}

/** What a secondary learns from `DescribeCatalog`. */
export interface CatalogDescription {
  readonly site: SiteSettings;
  readonly maxModelRecordId: number;
}

/**
 * A secondary's view of the primary's `RegistryCatalogService`: every call carries a fresh
 * `GL-Geo` JWT bound to the replicable name, answers are mapped to domain records, and failures are
 * `GeoError`s (UNAUTHENTICATED, UNAVAILABLE, …) like a local call.
 */
export class PrimaryCatalogClient {
  private readonly client: RegistryCatalogServiceClient;
  private readonly deadlineMs: number;

  constructor(private readonly options: PrimaryCatalogClientOptions) {
    this.client = createChannelClient(RegistryCatalogServiceClient, options.target);
    this.deadlineMs = options.deadlineMs ?? 30_000;
  }

  private metadata(replicableName: string) {
    return geoAuthMetadata({ accessKey: this.options.accessKey, secret: this.options.secretAccessKey, data: { replicable_name: replicableName } });
  }

  /** Records with ids in [idFrom, idTo] that are in this site's scope, in ascending id order. */
  async *listReplicables(replicableName: string, idFrom: number, idTo: number, signal?: AbortSignal): AsyncGenerator<ReplicableRecord> {
    if (!Number.isSafeInteger(idFrom) || !Number.isSafeInteger(idTo) || idFrom < 1 || idTo < idFrom) {
      throw new ValidationError(`invalid id range [${idFrom}, ${idTo}]`);
    }
    const stream = serverStream(this.client.listReplicables.bind(this.client), { replicableName, idFrom, idTo }, {
      metadata: this.metadata(replicableName),
      ...(signal === undefined ? {} : { signal }),
    });
    for await (const message of stream) {
      if (message.replicable !== undefined) yield fromProtoReplicable(message.replicable);
    }
  }

  /** The records of these ids that exist and are in this site's scope (others are absent). */
  async getReplicables(replicableName: string, modelRecordIds: readonly number[], signal?: AbortSignal): Promise<ReplicableRecord[]> {
    if (modelRecordIds.length === 0) return [];
    const response = await unary(this.client.getReplicables.bind(this.client), { replicableName, modelRecordIds: [...modelRecordIds] }, {
      metadata: this.metadata(replicableName),
      deadlineMs: this.deadlineMs,
      ...(signal === undefined ? {} : { signal }),
    });
    return response.replicables.map(fromProtoReplicable);
  }

  /** This site's settings as the primary stores them, and the type's largest model id. */
  async describeCatalog(replicableName: string, signal?: AbortSignal): Promise<CatalogDescription> {
    const response = await unary(this.client.describeCatalog.bind(this.client), { replicableName }, {
      metadata: this.metadata(replicableName),
      deadlineMs: this.deadlineMs,
      ...(signal === undefined ? {} : { signal }),
    });
    if (response.site === undefined) throw new ValidationError('DescribeCatalog answered without the site');
    return { site: fromProtoSiteSettings(response.site), maxModelRecordId: response.maxModelRecordId };
  }

  close(): void {
    this.client.close();
  }
}
