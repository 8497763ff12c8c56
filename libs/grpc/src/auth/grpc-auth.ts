import { Metadata } from '@grpc/grpc-js';
import { ErrorCodes, isGeoError } from '@geo/domain';
import { cachedSiteLookup } from './cached-site-lookup';
import { parseGeoAuthorization, signGeoJwt, verifyGeoAuthorization, type GeoRequestData, type GeoSiteCredentials, type SignGeoJwtInput } from './geo-jwt';

/** Metadata key of the GL-Geo header (gRPC metadata keys are lower-case). */
export const AUTHORIZATION_METADATA_KEY = 'authorization';

/** Client side: call metadata carrying a freshly signed `GL-Geo` header bound to `data`. */
export function geoAuthMetadata(input: SignGeoJwtInput, metadata: Metadata = new Metadata()): Metadata {
  metadata.set(AUTHORIZATION_METADATA_KEY, signGeoJwt(input));
  return metadata;
}

export interface GeoCallAuthOptions<Req, Site extends GeoSiteCredentials> {
  readonly lookupSite: (accessKey: string) => Site | undefined | Promise<Site | undefined>;
  /** The request parameters the token must be bound to; omit for calls that carry no record id. */
  readonly expected?: (request: Req) => GeoRequestData;
  readonly clock?: () => Date;
  /** Reuse site lookups for this long (see `cachedSiteLookup`); 0 or unset: one lookup per call. */
  readonly siteCacheTtlMs?: number;
  /** Called once per refused call (for the service's audit log); never sees the secret or token. */
  readonly onRefused?: (refusal: GeoCallRefusal<Req>) => void;
}

/** What a service learns about a refused call. */
export interface GeoCallRefusal<Req> {
  readonly request: Req;
  /** The caller's access key when the header was well-formed enough to carry one. */
  readonly accessKey: string | undefined;
  readonly reason: string;
}

/** The access key of a `GL-Geo` header, or undefined when it is missing or malformed. */
function accessKeyOf(header: string | undefined): string | undefined {
  try {
    return parseGeoAuthorization(header).accessKey;
  } catch {
    return undefined;
  }
}

/** The part of a grpc-js server call the authenticator reads. */
export interface AuthenticatableCall<Req> {
  readonly request: Req;
  readonly metadata: Metadata;
}

/**
 * Builds a function that authenticates one request from its `GL-Geo` authorization header, whatever
 * the transport (gRPC metadata, an HTTP `Authorization` header). It throws `UnauthenticatedError`;
 * `onRefused` hears about each refusal first.
 */
export function createGeoAuthenticator<Req, Site extends GeoSiteCredentials>(
  options: GeoCallAuthOptions<Req, Site>,
): (header: string | undefined, request: Req) => Promise<Site> {
  const lookupSite = cachedSiteLookup(async (accessKey: string) => options.lookupSite(accessKey), { ttlMs: options.siteCacheTtlMs ?? 0 });
  return async (header, request) => {
    try {
      return await verifyGeoAuthorization(header, {
        lookupSite,
        expected: options.expected?.(request) ?? {},
        now: options.clock?.() ?? new Date(),
      });
    } catch (error: unknown) {
      if (isGeoError(error) && error.code === ErrorCodes.UNAUTHENTICATED) {
        options.onRefused?.({ request, accessKey: accessKeyOf(header), reason: error.message });
      }
      throw error;
    }
  };
}

/**
 * Server side: builds a function that authenticates a call from its `authorization` metadata, for use
 * as the first line of a `wrapUnary`/`wrapServerStream` handler. It throws `UnauthenticatedError`,
 * which the wrapper maps to UNAUTHENTICATED; `onRefused` hears about each refusal first.
 */
export function createGeoCallAuthenticator<Req, Site extends GeoSiteCredentials>(
  options: GeoCallAuthOptions<Req, Site>,
): (call: AuthenticatableCall<Req>) => Promise<Site> {
  const authenticate = createGeoAuthenticator(options);
  return async (call) => {
    const [value] = call.metadata.get(AUTHORIZATION_METADATA_KEY);
    return authenticate(typeof value === 'string' ? value : undefined, call.request);
  };
}
