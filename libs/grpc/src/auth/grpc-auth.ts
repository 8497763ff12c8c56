import { Metadata } from '@grpc/grpc-js';
import { signGeoJwt, verifyGeoAuthorization, type GeoRequestData, type GeoSiteCredentials, type SignGeoJwtInput } from './geo-jwt';

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
}

/** The part of a grpc-js server call the authenticator reads. */
export interface AuthenticatableCall<Req> {
  readonly request: Req;
  readonly metadata: Metadata;
}

/**
 * Server side: builds a function that authenticates a call from its `authorization` metadata, for use
 * as the first line of a `wrapUnary`/`wrapServerStream` handler. It throws `UnauthenticatedError`,
 * which the wrapper maps to UNAUTHENTICATED and logs.
 */
export function createGeoCallAuthenticator<Req, Site extends GeoSiteCredentials>(
  options: GeoCallAuthOptions<Req, Site>,
): (call: AuthenticatableCall<Req>) => Promise<Site> {
  return (call) => {
    const [header] = call.metadata.get(AUTHORIZATION_METADATA_KEY);
    return verifyGeoAuthorization(typeof header === 'string' ? header : undefined, {
      lookupSite: options.lookupSite,
      expected: options.expected?.(call.request) ?? {},
      now: options.clock?.() ?? new Date(),
    });
  };
}
