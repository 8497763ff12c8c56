export { startGrpcServer, serviceNameOf, type GrpcServerHandle, type GrpcServiceRegistration, type StartGrpcServerOptions } from './server';
export { HealthRegistry, OVERALL_HEALTH_SERVICE, type HealthStatus } from './health';
export {
  toGrpcStatus,
  fromGrpcError,
  GRPC_STATUS_BY_ERROR_CODE,
  GEO_ERROR_CODE_METADATA_KEY,
  GEO_CODE_METADATA_KEY,
  GEO_CODE_FILE_NOT_FOUND,
  INTERNAL_ERROR_DETAILS,
  type GrpcErrorStatus,
} from './status-mapping';
export { wrapUnary, wrapServerStream, type HandlerOptions, type UnaryHandler, type ServerStreamHandler } from './handlers';
export {
  signGeoJwt,
  verifyGeoAuthorization,
  parseGeoAuthorization,
  GEO_AUTH_TOKEN_TYPE,
  GEO_JWT_LEEWAY_MESSAGE,
  GEO_JWT_LEEWAY_SECONDS,
  GEO_JWT_VALIDITY_SECONDS,
  GEO_JWT_NOT_BEFORE_SKEW_SECONDS,
  type GeoRequestData,
  type GeoSiteCredentials,
  type SignGeoJwtInput,
  type VerifyGeoAuthorizationOptions,
  type ParsedGeoAuthorization,
} from './auth/geo-jwt';
export {
  geoAuthMetadata,
  createGeoAuthenticator,
  createGeoCallAuthenticator,
  AUTHORIZATION_METADATA_KEY,
  type GeoCallAuthOptions,
  type AuthenticatableCall,
  type GeoCallRefusal,
} from './auth/grpc-auth';
export { wrapClientStream, CLIENT_CANCELLED_MESSAGE, type ClientStreamHandler } from './handlers';
export {
  unary,
  serverStream,
  clientStream,
  createChannelClient,
  parseGrpcTarget,
  DEFAULT_CHANNEL_OPTIONS,
  type CallSettings,
  type UnaryMethod,
  type ServerStreamMethod,
  type ClientStreamMethod,
  type GrpcClientConstructor,
  type ChannelClientOptions,
} from './client';
export { fromProtoVerificationState, toProtoVerificationState } from './codecs/verification-state-codec';
export {
  toProtoReplicable,
  fromProtoReplicable,
  toProtoSelectiveSync,
  fromProtoSelectiveSync,
  toProtoSiteSettings,
  fromProtoSiteSettings,
} from './codecs/replicable-codec';
export { PrimaryCatalogClient, type PrimaryCatalogClientOptions, type CatalogDescription } from './primary-catalog-client';
export { cachedSiteLookup, DEFAULT_SITE_LOOKUP_TTL_MS, type CachedSiteLookupOptions } from './auth/cached-site-lookup';
export {
  metricsService,
  scrapeMetrics,
  toProtoMetricFamily,
  fromProtoMetricFamily,
  type MetricFamilySnapshot,
  type MetricSampleSnapshot,
} from './metrics-service';
