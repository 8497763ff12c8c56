import type { z } from 'zod';
import type { ReplicableDefinition } from '@geo/domain';
import { DEFAULT_PACKAGE_LIMITS } from '@geo/nuget-format';
import { REPLICABLES } from '@geo/replicables';
import {
  APP_NAMES,
  APPS_CALLING_PRIMARY,
  APPS_CALLING_SIBLINGS,
  APPS_READING_NUGET_LIMITS,
  grpcTargetVar,
  APPS_USING_BLOB_STORE,
  APPS_USING_NATS,
  DEFAULT_GRPC_PORTS,
  grpcPortVar,
  PRIMARY_APPS_CALLED,
  primaryGrpcUrlVar,
  type AppName,
} from './apps';
import { bool, grpcTarget, host, nonEmpty, oneOf, port, positiveInt, token, tokenList, urlWith } from './value-schemas';

/**
 * When a variable must be set:
 * - `yes`: always (no default);
 * - `no`: never (it has a default or the feature is off without it);
 * - `on-secondary`: when `GEO_ROLE=secondary`;
 * - `if-fs` / `if-s3`: when `BLOB_STORE_KIND` is `fs` / `s3`.
 */
export type Requirement = 'yes' | 'no' | 'on-secondary' | 'if-fs' | 'if-s3';

export const SITE_ROLES = ['primary', 'secondary'] as const;
export const BLOB_STORE_KINDS = ['fs', 's3'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One environment variable. `ENV_VARS` is the single source of truth for validation and docs. */
export interface EnvVarSpec {
  readonly name: string;
  readonly required: Requirement;
  /** Raw default, parsed by `schema` like a set value; `{app}` is replaced by the app name. */
  readonly default: string | undefined;
  readonly description: string;
  /** Apps that read it; other apps ignore it. */
  readonly apps: readonly AppName[];
  /** Parses the raw string (after trimming; an empty value counts as unset). */
  readonly schema: z.ZodType;
  /** Never echo the value in error messages. */
  readonly secret?: boolean;
}

const ALL = APP_NAMES;

const primaryOverrideVars: EnvVarSpec[] = PRIMARY_APPS_CALLED.map((app) => ({
  name: primaryGrpcUrlVar(app),
  required: 'no',
  default: undefined,
  description: `Secondaries: address of the primary's \`${app}\` app when it is not reachable through \`GEO_PRIMARY_GRPC_URL\`.`,
  apps: APPS_CALLING_PRIMARY,
  schema: urlWith('http', 'https', 'grpc', 'grpcs'),
}));

/** `GEO_<REPLICABLE>_REPLICATION`: the definition's GitLab flag (`geo_<replicable>_replication`) as an env var. */
export function replicationFlagVar(def: Pick<ReplicableDefinition, 'replicationFlag'>): string {
  return def.replicationFlag.toUpperCase();
}

const portVars: EnvVarSpec[] = APP_NAMES.map((app) => ({
  name: grpcPortVar(app),
  required: 'no',
  default: String(DEFAULT_GRPC_PORTS[app]),
  description: `gRPC listen port of \`${app}\`. \`0\` picks a free port (the "started" log line reports it).`,
  apps: [app],
  schema: port,
}));

const targetVars: EnvVarSpec[] = APP_NAMES.filter((app) => !APPS_CALLING_SIBLINGS.includes(app)).map((app) => ({
  name: grpcTargetVar(app),
  required: 'no',
  default: `127.0.0.1:${DEFAULT_GRPC_PORTS[app]}`,
  description: `Where the gateway reaches this site's \`${app}\` app (\`host:port\`).`,
  apps: APPS_CALLING_SIBLINGS,
  schema: grpcTarget,
}));

/** NuGet package limits; defaults are `DEFAULT_PACKAGE_LIMITS` of `@geo/nuget-format` (one source). */
export const NUGET_LIMIT_VARS = {
  maxPackageBytes: 'NUGET_MAX_PACKAGE_BYTES',
  maxUncompressedBytes: 'NUGET_MAX_UNCOMPRESSED_BYTES',
  maxCompressionRatio: 'NUGET_MAX_COMPRESSION_RATIO',
  maxZipEntries: 'NUGET_MAX_ZIP_ENTRIES',
  maxSymbolFiles: 'NUGET_MAX_SYMBOL_FILES',
} as const;

const nugetLimitVars: EnvVarSpec[] = [
  {
    name: NUGET_LIMIT_VARS.maxPackageBytes,
    required: 'no',
    default: String(DEFAULT_PACKAGE_LIMITS.maxPackageBytes),
    description: 'Largest accepted `.nupkg`/`.snupkg` upload in bytes (GitLab `nuget_max_file_size`); larger bodies get 413.',
    apps: APPS_READING_NUGET_LIMITS,
    schema: positiveInt,
  },
  {
    name: NUGET_LIMIT_VARS.maxUncompressedBytes,
    required: 'no',
    default: String(DEFAULT_PACKAGE_LIMITS.maxUncompressedBytes),
    description: 'Largest total uncompressed size of a package\'s entries in bytes (zip-bomb guard).',
    apps: ['nuget'],
    schema: positiveInt,
  },
  {
    name: NUGET_LIMIT_VARS.maxCompressionRatio,
    required: 'no',
    default: String(DEFAULT_PACKAGE_LIMITS.maxCompressionRatio),
    description: 'Largest uncompressed/compressed size ratio of a package entry (zip-bomb guard).',
    apps: ['nuget'],
    schema: positiveInt,
  },
  {
    name: NUGET_LIMIT_VARS.maxZipEntries,
    required: 'no',
    default: String(DEFAULT_PACKAGE_LIMITS.maxZipEntries),
    description: 'Largest number of entries in a package archive.',
    apps: ['nuget'],
    schema: positiveInt,
  },
  {
    name: NUGET_LIMIT_VARS.maxSymbolFiles,
    required: 'no',
    default: String(DEFAULT_PACKAGE_LIMITS.maxSymbolFiles),
    description: 'Largest number of PDB files in one `.snupkg` (GitLab: 100).',
    apps: ['nuget'],
    schema: positiveInt,
  },
];

const replicationFlagVars: EnvVarSpec[] = REPLICABLES.map((r) => ({
  name: replicationFlagVar(r),
  required: 'no',
  default: 'true',
  description: `Replicate ${r.title.many} (GitLab feature flag \`${r.replicationFlag}\`). \`false\` pauses syncing and verifying this type.`,
  apps: ALL,
  schema: bool,
}));

export const ENV_VARS: readonly EnvVarSpec[] = [
  {
    name: 'GEO_ROLE',
    required: 'yes',
    default: undefined,
    description: 'Role of this site: `primary` (the source of truth) or `secondary` (a replica).',
    apps: ALL,
    schema: oneOf(SITE_ROLES),
  },
  {
    name: 'GEO_SITE_NAME',
    required: 'yes',
    default: undefined,
    description: 'Unique name of this site (GitLab `geo_sites.name`); secondaries identify themselves with it.',
    apps: ALL,
    schema: nonEmpty,
  },
  {
    name: 'GEO_GRPC_HOST',
    required: 'no',
    default: '127.0.0.1',
    description: 'Address the gRPC server binds to (`0.0.0.0` to listen on all interfaces).',
    apps: ALL,
    schema: host,
  },
  ...portVars,
  {
    name: 'DATABASE_URL',
    required: 'yes',
    default: undefined,
    description: "This site's PostgreSQL database (`postgres://user:pass@host:5432/db`).",
    apps: ALL,
    schema: urlWith('postgres', 'postgresql'),
    secret: true,
  },
  {
    name: 'NATS_URL',
    required: 'yes',
    default: undefined,
    description: "This site's NATS server with JetStream enabled (`nats://host:4222`).",
    apps: APPS_USING_NATS,
    schema: urlWith('nats', 'tls', 'ws', 'wss'),
  },
  {
    name: 'BLOB_STORE_KIND',
    required: 'no',
    default: 'fs',
    description: 'Blob store driver: `fs` (local directory) or `s3` (S3-compatible object storage).',
    apps: APPS_USING_BLOB_STORE,
    schema: oneOf(BLOB_STORE_KINDS),
  },
  {
    name: 'BLOB_STORE_ROOT',
    required: 'if-fs',
    default: undefined,
    description: 'Root directory of the `fs` blob store; blob keys are relative to it.',
    apps: APPS_USING_BLOB_STORE,
    schema: nonEmpty,
  },
  {
    name: 'S3_ENDPOINT',
    required: 'no',
    default: undefined,
    description: 'S3 endpoint URL for S3-compatible servers (MinIO, s3rver); unset means AWS.',
    apps: APPS_USING_BLOB_STORE,
    schema: urlWith('http', 'https'),
  },
  {
    name: 'S3_BUCKET',
    required: 'if-s3',
    default: undefined,
    description: 'Bucket holding the blobs.',
    apps: APPS_USING_BLOB_STORE,
    schema: nonEmpty,
  },
  {
    name: 'S3_REGION',
    required: 'no',
    default: 'us-east-1',
    description: 'S3 region.',
    apps: APPS_USING_BLOB_STORE,
    schema: nonEmpty,
  },
  {
    name: 'S3_ACCESS_KEY_ID',
    required: 'no',
    default: undefined,
    description: "S3 access key; unset uses the AWS SDK's default credential chain.",
    apps: APPS_USING_BLOB_STORE,
    schema: nonEmpty,
  },
  {
    name: 'S3_SECRET_ACCESS_KEY',
    required: 'no',
    default: undefined,
    description: 'S3 secret key (with `S3_ACCESS_KEY_ID`).',
    apps: APPS_USING_BLOB_STORE,
    schema: nonEmpty,
    secret: true,
  },
  {
    name: 'S3_FORCE_PATH_STYLE',
    required: 'no',
    default: 'true',
    description: 'Path-style addressing (`endpoint/bucket/key`), needed by most S3-compatible servers.',
    apps: APPS_USING_BLOB_STORE,
    schema: bool,
  },
  {
    name: 'GEO_PRIMARY_GRPC_URL',
    required: 'on-secondary',
    default: undefined,
    description: "Secondaries: address of the primary site's gRPC endpoint (`http://host:port`, or `https://` for TLS).",
    apps: APPS_CALLING_PRIMARY,
    schema: urlWith('http', 'https', 'grpc', 'grpcs'),
  },
  {
    name: 'GEO_ACCESS_KEY',
    required: 'on-secondary',
    default: undefined,
    description: "Secondaries: this site's access key, sent as `GL-Geo <access_key>:<JWT>` on site-to-site calls.",
    apps: APPS_CALLING_PRIMARY,
    schema: nonEmpty,
  },
  {
    name: 'GEO_SECRET_ACCESS_KEY',
    required: 'on-secondary',
    default: undefined,
    description: "Secondaries: this site's secret, signing the HS256 JWT of site-to-site calls.",
    apps: APPS_CALLING_PRIMARY,
    schema: nonEmpty,
    secret: true,
  },
  ...primaryOverrideVars,
  {
    name: 'GEO_PRIMARY_NATS_URL',
    required: 'on-secondary',
    default: undefined,
    description: "Secondaries: the primary's NATS server, whose `GEO_EVENTS` stream the event-log app consumes and the status app reads the event lag from.",
    apps: ['event-log', 'status'],
    schema: urlWith('nats', 'tls', 'ws', 'wss'),
  },
  {
    name: 'GEO_PRIMARY_BLOB_TRANSFER_HTTP_URL',
    required: 'on-secondary',
    default: undefined,
    description: "Secondaries: the primary blob-transfer app's HTTP address (its `GEO_BLOB_TRANSFER_HTTP_PORT`), where the download workers fetch blobs (`GET /api/v4/geo/retrieve/<name>/<id>`).",
    apps: ['blob-transfer'],
    schema: urlWith('http', 'https'),
  },
  {
    name: 'GEO_PRIMARY_HTTP_URL',
    required: 'on-secondary',
    default: undefined,
    description: "Secondaries: the primary gateway's HTTP address; symbol downloads not served locally are proxied there.",
    apps: ['gateway'],
    schema: urlWith('http', 'https'),
  },
  ...replicationFlagVars,
  ...targetVars,
  {
    name: 'GEO_GATEWAY_HTTP_HOST',
    required: 'no',
    default: '127.0.0.1',
    description: 'Address the gateway\'s HTTP server binds to (`0.0.0.0` for all interfaces).',
    apps: ['gateway'],
    schema: host,
  },
  {
    name: 'GEO_GATEWAY_HTTP_PORT',
    required: 'no',
    default: '8080',
    description: 'Port of the gateway\'s HTTP server (NuGet API, Geo REST, health). `0` picks a free port.',
    apps: ['gateway'],
    schema: port,
  },
  {
    name: 'GEO_ADMIN_TOKEN',
    required: 'yes',
    default: undefined,
    description: 'Admin token for the admin HTTP APIs (`PRIVATE-TOKEN` header or `Authorization: Bearer`); ≥ 20 characters.',
    apps: ['gateway'],
    schema: token,
    secret: true,
  },
  {
    name: 'GEO_NON_ADMIN_TOKENS',
    required: 'no',
    default: undefined,
    description:
      'Comma-separated tokens of non-admin users (each ≥ 20 characters): the admin-only APIs (sites, status, namespaces/projects, GraphQL) answer them 403 instead of 401, as GitLab does for a valid token without admin rights.',
    apps: ['gateway'],
    schema: tokenList,
    secret: true,
  },
  ...nugetLimitVars,
  {
    name: 'GEO_BLOB_TRANSFER_HTTP_HOST',
    required: 'no',
    default: '127.0.0.1',
    description: "Primary: address the blob-transfer app's retrieve HTTP server binds to (`0.0.0.0` for all interfaces).",
    apps: ['blob-transfer'],
    schema: host,
  },
  {
    name: 'GEO_BLOB_TRANSFER_HTTP_PORT',
    required: 'no',
    default: '8090',
    description: "Primary: port of the blob-transfer app's retrieve HTTP server (`GET /api/v4/geo/retrieve/<name>/<id>` for secondaries). `0` picks a free port.",
    apps: ['blob-transfer'],
    schema: port,
  },
  {
    name: 'GEO_SYNC_WORKER_CONCURRENCY',
    required: 'no',
    default: '32',
    description: 'Secondaries: downloads one blob-transfer process runs at once. The site-wide limit is `files_max_capacity`; set this so the workers together can reach it.',
    apps: ['blob-transfer'],
    schema: positiveInt,
  },
  {
    name: 'GEO_REGISTRY_SWEEP_INTERVAL_SECONDS',
    required: 'no',
    default: '60',
    description: 'Secondaries: pause between consistency-sweep passes once a pass found nothing to change (GitLab runs it every minute).',
    apps: ['registry'],
    schema: positiveInt,
  },
  {
    name: 'GEO_EVENT_LOG_HEARTBEAT_INTERVAL_SECONDS',
    required: 'no',
    default: '15',
    description: "Secondaries: how often the event-log consumer records in the tracking database that it is reading the primary's stream (the status app's `event_consumer_silent` rule); keep it well below `GEO_STATUS_EVENT_CONSUMER_MAX_SILENCE_SECONDS`.",
    apps: ['event-log'],
    schema: positiveInt,
  },
  {
    name: 'GEO_STATUS_INTERVAL_SECONDS',
    required: 'no',
    default: '60',
    description: "How often the status app computes this site's GeoNodeStatus and, on a secondary, pushes it to the primary (GitLab: every minute).",
    apps: ['status'],
    schema: positiveInt,
  },
  {
    name: 'GEO_STATUS_MAX_AGE_SECONDS',
    required: 'no',
    default: '300',
    description: 'A stored site status older than this is unhealthy (`status_stale`; GitLab: 60 minutes).',
    apps: ['status'],
    schema: positiveInt,
  },
  {
    name: 'GEO_STATUS_EVENT_CONSUMER_MAX_SILENCE_SECONDS',
    required: 'no',
    default: '120',
    description: "Secondaries: unhealthy (`event_consumer_silent`) when the event-log consumer has not read the primary's stream for longer.",
    apps: ['status'],
    schema: positiveInt,
  },
  {
    name: 'GEO_STATUS_PRIMARY_MAX_UNREACHABLE_SECONDS',
    required: 'no',
    default: '120',
    description: 'Secondaries: unhealthy (`primary_unreachable`) when no status push to the primary succeeded for longer.',
    apps: ['status'],
    schema: positiveInt,
  },
  {
    name: 'GEO_STATUS_MAX_EVENT_LAG_SECONDS',
    required: 'no',
    default: '300',
    description: 'Secondaries: unhealthy (`event_lag_high`) when the oldest primary event not applied yet is older.',
    apps: ['status'],
    schema: positiveInt,
  },
  {
    name: 'GEO_STATUS_SYNC_MAX_STALL_SECONDS',
    required: 'no',
    default: '300',
    description: 'Secondaries: unhealthy (`sync_stalled`) when the scheduler has work but nothing was synced for longer.',
    apps: ['status'],
    schema: positiveInt,
  },
  {
    name: 'GEO_REVISION',
    required: 'no',
    default: 'unknown',
    description: 'Source revision (git commit) reported as the GeoNodeStatus `revision`; set at image build time (the dev sites read it from `.git`).',
    apps: ['status'],
    schema: nonEmpty,
  },
  {
    name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    required: 'no',
    default: undefined,
    description: 'OTLP/gRPC collector (e.g. Jaeger at `http://127.0.0.1:4317`). Unset: spans are not exported.',
    apps: ALL,
    schema: urlWith('http', 'https'),
  },
  {
    name: 'OTEL_SERVICE_NAME',
    required: 'no',
    default: 'geo-{app}',
    description: 'Trace `service.name` and the `service` field of log lines.',
    apps: ALL,
    schema: nonEmpty,
  },
  {
    name: 'LOG_LEVEL',
    required: 'no',
    default: 'info',
    description: `Minimum log level: ${LOG_LEVELS.map((l) => `\`${l}\``).join(', ')}.`,
    apps: ALL,
    schema: oneOf(LOG_LEVELS),
  },
];
