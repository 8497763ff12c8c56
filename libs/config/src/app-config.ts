import type { PackageLimits } from '@geo/nuget-format';
import type { ReplicableName } from '@geo/replicables';
import type { AppName, PrimaryAppCalled } from './apps';
import type { BLOB_STORE_KINDS, LOG_LEVELS, SITE_ROLES } from './env-vars';

export type SiteRole = (typeof SITE_ROLES)[number];
export type BlobStoreKind = (typeof BLOB_STORE_KINDS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface FsBlobStoreConfig {
  readonly kind: 'fs';
  readonly root: string;
}

export interface S3BlobStoreConfig {
  readonly kind: 's3';
  readonly bucket: string;
  readonly region: string;
  readonly endpoint: string | undefined;
  readonly forcePathStyle: boolean;
  /** Both set, or undefined (then the AWS SDK's default credential chain applies). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}

export type BlobStoreConfig = FsBlobStoreConfig | S3BlobStoreConfig;

/** How a secondary reaches and authenticates to its primary. */
export interface PrimarySiteConfig {
  /** `GEO_PRIMARY_GRPC_URL` (one gRPC ingress routing by service), the base of `grpcUrls`. */
  readonly grpcUrl: string;
  /** Address of each primary app this site calls: its `GEO_PRIMARY_<APP>_GRPC_URL`, else `grpcUrl`. */
  readonly grpcUrls: Readonly<Record<PrimaryAppCalled, string>>;
  readonly accessKey: string;
  readonly secretAccessKey: string;
  /** The primary's NATS (its `GEO_EVENTS` stream); only the event-log app reads it. */
  readonly natsUrl: string | undefined;
  /** The primary blob-transfer app's HTTP address (`GEO_PRIMARY_BLOB_TRANSFER_HTTP_URL`); only blob-transfer reads it. */
  readonly blobTransferHttpUrl: string | undefined;
}

/** Limits applied to uploaded NuGet packages (`NUGET_*` variables): the format library's own shape. */
export type NugetLimits = PackageLimits;

/** The gateway's own settings. */
export interface GatewayConfig {
  readonly http: { readonly host: string; readonly port: number };
  readonly adminToken: string;
  /** Valid tokens without admin rights (`GEO_NON_ADMIN_TOKENS`): admin-only APIs answer them 403. */
  readonly nonAdminTokens: readonly string[];
  /** Secondaries: the primary's public HTTP address, where symbol requests not served locally are proxied. */
  readonly primaryHttpUrl: string | undefined;
}

/** The status app's settings (`GEO_STATUS_*`); health limits in seconds (ADR 0007). */
export interface StatusConfig {
  readonly intervalSeconds: number;
  /** GeoNodeStatus `revision` (`GEO_REVISION`). */
  readonly revision: string;
  readonly health: {
    readonly statusMaxAgeSeconds: number;
    readonly eventConsumerMaxSilenceSeconds: number;
    readonly primaryMaxUnreachableSeconds: number;
    readonly maxEventLagSeconds: number;
    readonly syncMaxStallSeconds: number;
  };
}

/**
 * One app's validated configuration, deeply frozen. Optional sections are present exactly when
 * the app uses them (see `APPS_USING_NATS`, `APPS_USING_BLOB_STORE`, `APPS_CALLING_PRIMARY`);
 * `primary` additionally only on secondaries.
 */
export interface AppConfig {
  readonly app: AppName;
  readonly site: { readonly name: string; readonly role: SiteRole };
  readonly grpc: { readonly host: string; readonly port: number };
  readonly database: { readonly url: string };
  readonly nats: { readonly url: string } | undefined;
  readonly blobStore: BlobStoreConfig | undefined;
  readonly primary: PrimarySiteConfig | undefined;
  /** gRPC targets (`host:port`) of the site's other apps; only for apps in `APPS_CALLING_SIBLINGS`. */
  readonly siblings: Readonly<Partial<Record<AppName, string>>> | undefined;
  /** Only the gateway. */
  readonly gateway: GatewayConfig | undefined;
  /** Only apps in `APPS_READING_NUGET_LIMITS`; the gateway reads just `maxPackageBytes` (others are defaults there). */
  readonly nugetLimits: NugetLimits | undefined;
  /** Only the blob-transfer app. */
  readonly syncWorker: { readonly concurrency: number } | undefined;
  /** Only the blob-transfer app: where its retrieve HTTP server listens (started on the primary). */
  readonly retrieveHttp: { readonly host: string; readonly port: number } | undefined;
  /** Only the registry app. */
  readonly registry: { readonly sweepIntervalSeconds: number } | undefined;
  /** Only the event-log app. */
  readonly eventLog: { readonly heartbeatIntervalSeconds: number } | undefined;
  /** Only the status app. */
  readonly status: StatusConfig | undefined;
  /** Per replicable type: GitLab's `geo_<name>_replication` flag. */
  readonly replication: Readonly<Record<ReplicableName, { readonly enabled: boolean }>>;
  readonly otel: { readonly serviceName: string; readonly exporterEndpoint: string | undefined };
  readonly log: { readonly level: LogLevel };
}
