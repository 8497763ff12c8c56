import { ConfigError } from '@geo/domain';
import { DEFAULT_PACKAGE_LIMITS } from '@geo/nuget-format';
import { REPLICABLES, type ReplicableName } from '@geo/replicables';
import type { AppConfig, BlobStoreConfig, BlobStoreKind, LogLevel, SiteRole } from './app-config';
import {
  APP_NAMES,
  APPS_CALLING_PRIMARY,
  APPS_CALLING_SIBLINGS,
  APPS_READING_NUGET_LIMITS,
  APPS_USING_BLOB_STORE,
  APPS_USING_NATS,
  grpcPortVar,
  grpcTargetVar,
  isAppName,
  PRIMARY_APPS_CALLED,
  primaryGrpcUrlVar,
  type PrimaryAppCalled,
  type AppName,
} from './apps';
import { ENV_VARS, NUGET_LIMIT_VARS, replicationFlagVar, type EnvVarSpec } from './env-vars';

type Env = Readonly<Record<string, string | undefined>>;

const REQUIREMENT_TEXT = {
  yes: 'required',
  'on-secondary': 'required when GEO_ROLE=secondary',
  'if-fs': 'required when BLOB_STORE_KIND=fs',
  'if-s3': 'required when BLOB_STORE_KIND=s3',
} as const;

/** Env vars `app` reads, in `ENV_VARS` order. */
export function envVarsFor(app: AppName): EnvVarSpec[] {
  return ENV_VARS.filter((v) => v.apps.includes(app));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Parses every variable of the app; collects one line per bad or missing variable. */
function parseVars(app: AppName, env: Env): { values: Map<string, unknown>; problems: string[] } {
  const specs = envVarsFor(app);
  const values = new Map<string, unknown>();
  const problems: string[] = [];
  for (const spec of specs) {
    const raw = env[spec.name]?.trim();
    const given = raw !== undefined && raw !== '';
    const input = given ? raw : spec.default?.replace('{app}', app);
    if (input === undefined) continue;
    const parsed = spec.schema.safeParse(input);
    if (parsed.success) {
      values.set(spec.name, parsed.data);
    } else {
      const reason = parsed.error.issues[0]?.message ?? 'is invalid';
      const shown = spec.secret === true ? '' : ` (got ${JSON.stringify(input)})`;
      problems.push(`${spec.name}: ${reason}${shown}`);
    }
  }
  // Conditional requirements depend on other variables; judge them only once those parsed.
  const role = values.get('GEO_ROLE');
  const kind = values.get('BLOB_STORE_KIND');
  const invalid = new Set(problems.map((p) => p.slice(0, p.indexOf(':'))));
  for (const spec of specs) {
    if (values.has(spec.name) || invalid.has(spec.name) || spec.required === 'no') continue;
    const applies =
      spec.required === 'yes' ||
      (spec.required === 'on-secondary' && role === 'secondary') ||
      (spec.required === 'if-fs' && kind === 'fs') ||
      (spec.required === 'if-s3' && kind === 's3');
    if (applies) problems.push(`${spec.name}: missing (${REQUIREMENT_TEXT[spec.required]})`);
  }
  return { values, problems };
}

/** Shapes parsed values into the nested config. Only called once every variable validated. */
function toAppConfig(app: AppName, values: Map<string, unknown>): AppConfig {
  const str = (name: string): string => values.get(name) as string;
  const opt = (name: string): string | undefined => values.get(name) as string | undefined;
  const role = str('GEO_ROLE') as SiteRole;

  let blobStore: BlobStoreConfig | undefined;
  if (APPS_USING_BLOB_STORE.includes(app)) {
    const kind = str('BLOB_STORE_KIND') as BlobStoreKind;
    const accessKeyId = opt('S3_ACCESS_KEY_ID');
    const secretAccessKey = opt('S3_SECRET_ACCESS_KEY');
    blobStore =
      kind === 'fs'
        ? { kind, root: str('BLOB_STORE_ROOT') }
        : {
            kind,
            bucket: str('S3_BUCKET'),
            region: str('S3_REGION'),
            endpoint: opt('S3_ENDPOINT'),
            forcePathStyle: values.get('S3_FORCE_PATH_STYLE') as boolean,
            credentials:
              accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined,
          };
  }

  const replication = Object.fromEntries(
    REPLICABLES.map((r) => [r.name, { enabled: values.get(replicationFlagVar(r)) as boolean }]),
  ) as Record<ReplicableName, { enabled: boolean }>;

  const num = (name: string): number => values.get(name) as number;
  const siblings = APPS_CALLING_SIBLINGS.includes(app)
    ? Object.fromEntries(APP_NAMES.filter((a) => values.has(grpcTargetVar(a))).map((a) => [a, str(grpcTargetVar(a))]))
    : undefined;
  const nugetLimits = APPS_READING_NUGET_LIMITS.includes(app)
    ? {
        // The gateway reads only the body limit; the other fields are the defaults there.
        ...DEFAULT_PACKAGE_LIMITS,
        ...Object.fromEntries(
          Object.entries(NUGET_LIMIT_VARS)
            .filter(([, name]) => values.has(name))
            .map(([field, name]) => [field, num(name)]),
        ),
      }
    : undefined;

  return {
    app,
    site: { name: str('GEO_SITE_NAME'), role },
    grpc: { host: str('GEO_GRPC_HOST'), port: values.get(grpcPortVar(app)) as number },
    database: { url: str('DATABASE_URL') },
    nats: APPS_USING_NATS.includes(app) ? { url: str('NATS_URL') } : undefined,
    blobStore,
    primary:
      APPS_CALLING_PRIMARY.includes(app) && role === 'secondary'
        ? {
            grpcUrl: str('GEO_PRIMARY_GRPC_URL'),
            grpcUrls: Object.fromEntries(
              PRIMARY_APPS_CALLED.map((a) => [a, opt(primaryGrpcUrlVar(a)) ?? str('GEO_PRIMARY_GRPC_URL')]),
            ) as Record<PrimaryAppCalled, string>,
            accessKey: str('GEO_ACCESS_KEY'),
            secretAccessKey: str('GEO_SECRET_ACCESS_KEY'),
            natsUrl: opt('GEO_PRIMARY_NATS_URL'),
            blobTransferHttpUrl: opt('GEO_PRIMARY_BLOB_TRANSFER_HTTP_URL'),
          }
        : undefined,
    siblings,
    gateway:
      app === 'gateway'
        ? {
            http: { host: str('GEO_GATEWAY_HTTP_HOST'), port: num('GEO_GATEWAY_HTTP_PORT') },
            adminToken: str('GEO_ADMIN_TOKEN'),
            nonAdminTokens: (values.get('GEO_NON_ADMIN_TOKENS') as string[] | undefined) ?? [],
            primaryHttpUrl: opt('GEO_PRIMARY_HTTP_URL'),
          }
        : undefined,
    nugetLimits,
    registry: app === 'registry' ? { sweepIntervalSeconds: num('GEO_REGISTRY_SWEEP_INTERVAL_SECONDS') } : undefined,
    eventLog: app === 'event-log' ? { heartbeatIntervalSeconds: num('GEO_EVENT_LOG_HEARTBEAT_INTERVAL_SECONDS') } : undefined,
    status:
      app === 'status'
        ? {
            intervalSeconds: num('GEO_STATUS_INTERVAL_SECONDS'),
            revision: str('GEO_REVISION'),
            health: {
              statusMaxAgeSeconds: num('GEO_STATUS_MAX_AGE_SECONDS'),
              eventConsumerMaxSilenceSeconds: num('GEO_STATUS_EVENT_CONSUMER_MAX_SILENCE_SECONDS'),
              primaryMaxUnreachableSeconds: num('GEO_STATUS_PRIMARY_MAX_UNREACHABLE_SECONDS'),
              maxEventLagSeconds: num('GEO_STATUS_MAX_EVENT_LAG_SECONDS'),
              syncMaxStallSeconds: num('GEO_STATUS_SYNC_MAX_STALL_SECONDS'),
            },
          }
        : undefined,
    syncWorker: app === 'blob-transfer' ? { concurrency: num('GEO_SYNC_WORKER_CONCURRENCY') } : undefined,
    retrieveHttp: app === 'blob-transfer' ? { host: str('GEO_BLOB_TRANSFER_HTTP_HOST'), port: num('GEO_BLOB_TRANSFER_HTTP_PORT') } : undefined,
    replication,
    otel: { serviceName: str('OTEL_SERVICE_NAME'), exporterEndpoint: opt('OTEL_EXPORTER_OTLP_ENDPOINT') },
    log: { level: str('LOG_LEVEL') as LogLevel },
  };
}

/**
 * Validates the environment for `appName` once and returns its typed, deeply frozen config.
 * Throws `ConfigError` listing EVERY bad or missing variable by name with the reason (secret
 * values are never echoed), so one failed start shows all that needs fixing.
 */
export function loadConfig(appName: string, env: Env = process.env): AppConfig {
  if (!isAppName(appName)) {
    throw new ConfigError(`unknown app ${JSON.stringify(appName)}; expected one of ${APP_NAMES.join(', ')}`);
  }
  const { values, problems } = parseVars(appName, env);
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration for ${appName}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      details: { app: appName, variables: problems.map((p) => p.slice(0, p.indexOf(':'))) },
    });
  }
  return deepFreeze(toAppConfig(appName, values));
}
