export { loadConfig, envVarsFor } from './load-config';
export {
  ENV_VARS,
  replicationFlagVar,
  NUGET_LIMIT_VARS,
  SITE_ROLES,
  BLOB_STORE_KINDS,
  LOG_LEVELS,
  type EnvVarSpec,
  type Requirement,
} from './env-vars';
export {
  APP_NAMES,
  isAppName,
  grpcPortVar,
  DEFAULT_GRPC_PORTS,
  APPS_USING_NATS,
  APPS_USING_BLOB_STORE,
  APPS_CALLING_PRIMARY,
  APPS_CALLING_SIBLINGS,
  APPS_READING_NUGET_LIMITS,
  grpcTargetVar,
  PRIMARY_APPS_CALLED,
  primaryGrpcUrlVar,
  type AppName,
  type PrimaryAppCalled,
} from './apps';
export { renderEnvTable, withEnvTable, ENV_TABLE_START, ENV_TABLE_END } from './env-table';
export { replicationEnabled } from './replication-flags';
export type {
  AppConfig,
  SiteRole,
  BlobStoreKind,
  LogLevel,
  BlobStoreConfig,
  FsBlobStoreConfig,
  S3BlobStoreConfig,
  PrimarySiteConfig,
  NugetLimits,
  GatewayConfig,
  StatusConfig,
} from './app-config';
