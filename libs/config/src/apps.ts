/**
 * The seven services (DESIGN §2). Everything per-app in the configuration is keyed by these names;
 * `GEO_<APP>_GRPC_PORT` derives from them (`blob-transfer` → `GEO_BLOB_TRANSFER_GRPC_PORT`).
 */
export const APP_NAMES = ['gateway', 'nuget', 'event-log', 'registry', 'blob-transfer', 'checksum', 'status'] as const;

export type AppName = (typeof APP_NAMES)[number];

export function isAppName(value: string): value is AppName {
  return (APP_NAMES as readonly string[]).includes(value);
}

/** Distinct default gRPC ports so all seven apps of one site can run on one host unconfigured. */
export const DEFAULT_GRPC_PORTS: Readonly<Record<AppName, number>> = {
  gateway: 50051,
  nuget: 50052,
  'event-log': 50053,
  registry: 50054,
  'blob-transfer': 50055,
  checksum: 50056,
  status: 50057,
};

/** `GEO_<APP>_GRPC_PORT` for an app. */
export function grpcPortVar(app: AppName): string {
  return `GEO_${app.toUpperCase().replace(/-/g, '_')}_GRPC_PORT`;
}

/**
 * Apps that consume or publish JetStream messages (event stream, sync and verify jobs), and the
 * status app, which probes the site's NATS for its health (ADR 0007).
 */
export const APPS_USING_NATS: readonly AppName[] = ['event-log', 'registry', 'blob-transfer', 'checksum', 'status'];

/** Apps that read or write blobs (ingest, transfer, checksum, orphan removal). */
export const APPS_USING_BLOB_STORE: readonly AppName[] = ['nuget', 'event-log', 'registry', 'blob-transfer', 'checksum'];

/**
 * Apps that call the primary's gRPC services when running on a secondary (DESIGN §2 "Cross-site
 * traffic"); only they need the site-to-site credentials.
 */
export const APPS_CALLING_PRIMARY: readonly AppName[] = ['event-log', 'registry', 'blob-transfer', 'checksum', 'status'];

/** The primary's apps that secondaries call (each reachable through `GEO_PRIMARY_GRPC_URL` or its own override). */
export const PRIMARY_APPS_CALLED: readonly AppName[] = ['registry', 'blob-transfer', 'status'];
export type PrimaryAppCalled = 'registry' | 'blob-transfer' | 'status';

/** `GEO_PRIMARY_<APP>_GRPC_URL`: per-app override of the primary's gRPC address. */
export function primaryGrpcUrlVar(app: AppName): string {
  return `GEO_PRIMARY_${app.toUpperCase().replace(/-/g, '_')}_GRPC_URL`;
}

/** Apps that call the other apps of their own site over gRPC (the gateway fronts them all). */
export const APPS_CALLING_SIBLINGS: readonly AppName[] = ['gateway'];

/** `GEO_<APP>_GRPC_TARGET`: where the site's other apps reach `app` (`host:port`). */
export function grpcTargetVar(app: AppName): string {
  return `GEO_${app.toUpperCase().replace(/-/g, '_')}_GRPC_TARGET`;
}

/** Apps that read NuGet package limits: the gateway rejects oversized bodies early, `nuget` validates. */
export const APPS_READING_NUGET_LIMITS: readonly AppName[] = ['gateway', 'nuget'];
