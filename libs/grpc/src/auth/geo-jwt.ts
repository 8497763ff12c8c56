import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { UnauthenticatedError } from '@geo/domain';

/** Token type of GitLab's site-to-site Authorization header: `GL-Geo <access_key>:<JWT>`. */
export const GEO_AUTH_TOKEN_TYPE = 'GL-Geo';
/** GitLab `SignedData::VALIDITY_PERIOD`: a token expires 60 s after it was signed. */
export const GEO_JWT_VALIDITY_SECONDS = 60;
/** GitLab signs `nbf` 5 s in the past to absorb small clock differences. */
export const GEO_JWT_NOT_BEFORE_SKEW_SECONDS = 5;
/** GitLab `IAT_LEEWAY`: clock tolerance applied to exp, nbf and iat when verifying. */
export const GEO_JWT_LEEWAY_SECONDS = 60;
/** GitLab's message for expired or not-yet-valid tokens (the one error it reports verbatim). */
export const GEO_JWT_LEEWAY_MESSAGE = `Signature not within leeway of ${GEO_JWT_LEEWAY_SECONDS} seconds. Check your system clocks!`;

/** Request data bound into a token; every value must match the request exactly (spec §5.2). */
export type GeoRequestData = Readonly<Record<string, string | number>>;

/** A site's credentials as the verifying side stores them. */
export interface GeoSiteCredentials {
  /** The calling site's `secret_access_key` (HS256 key). */
  readonly secret: string;
  /** Disabled sites are refused, as GitLab's `GeoNode.find_by(access_key:, enabled: true)`. */
  readonly enabled: boolean;
}

export interface SignGeoJwtInput {
  readonly accessKey: string;
  readonly secret: string;
  readonly data: GeoRequestData;
  readonly now?: Date;
}

const toUnixSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * The HMAC key of a secret as a `KeyObject`. Given a string, jsonwebtoken first tries to parse it as
 * a PEM public/private key and fails (an exception per call), which made signing and verifying the
 * costliest step of a blob transfer; a secret KeyObject goes straight to HMAC. Keys are memoised per
 * secret (a site has one; the map is bounded).
 */
const hmacKeys = new Map<string, KeyObject>();
function hmacKey(secret: string): KeyObject {
  let key = hmacKeys.get(secret);
  if (key === undefined) {
    if (hmacKeys.size >= 1000) hmacKeys.clear();
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    hmacKeys.set(secret, key);
  }
  return key;
}

/**
 * Signs request data the way a GitLab secondary does and returns the full header value
 * `GL-Geo <access_key>:<JWT>`. Claims: `data` (JSON string), `jti`, `iat`, `nbf` = iat − 5 s,
 * `exp` = iat + 60 s; HS256 with header typ JWT.
 */
export function signGeoJwt({ accessKey, secret, data, now = new Date() }: SignGeoJwtInput): string {
  const iat = toUnixSeconds(now);
  const token = jwt.sign(
    {
      data: JSON.stringify(data),
      jti: randomUUID(),
      iat,
      nbf: iat - GEO_JWT_NOT_BEFORE_SKEW_SECONDS,
      exp: iat + GEO_JWT_VALIDITY_SECONDS,
    },
    hmacKey(secret),
    { algorithm: 'HS256', header: { alg: 'HS256', typ: 'JWT' } },
  );
  return `${GEO_AUTH_TOKEN_TYPE} ${accessKey}:${token}`;
}

export interface VerifyGeoAuthorizationOptions<Site extends GeoSiteCredentials> {
  /** Finds the calling site by access key; undefined when unknown. */
  readonly lookupSite: (accessKey: string) => Site | undefined | Promise<Site | undefined>;
  /** The request parameters the token must be bound to, e.g. `{ replicable_name, replicable_id }`. */
  readonly expected: GeoRequestData;
  readonly now?: Date;
}

/** The access key and JWT of a well-formed header. */
export interface ParsedGeoAuthorization {
  readonly accessKey: string;
  readonly token: string;
}

const MALFORMED_HEADER = 'Invalid GL-Geo authorization header';

/**
 * Splits `GL-Geo <access_key>:<JWT>` like GitLab: exactly two whitespace-separated tokens, the first
 * `GL-Geo`, the second split on its first colon into two non-empty parts.
 * @throws UnauthenticatedError when the header is missing or malformed.
 */
export function parseGeoAuthorization(headerValue: string | undefined): ParsedGeoAuthorization {
  if (headerValue === undefined || headerValue.trim() === '') throw new UnauthenticatedError('Missing GL-Geo authorization header');
  const parts = headerValue.trim().split(/\s+/);
  if (parts.length !== 2 || parts[0] !== GEO_AUTH_TOKEN_TYPE) throw new UnauthenticatedError(MALFORMED_HEADER);
  const credentials = parts[1] ?? '';
  const colon = credentials.indexOf(':');
  const accessKey = credentials.slice(0, colon);
  const token = credentials.slice(colon + 1);
  if (colon < 0 || accessKey === '' || token === '') throw new UnauthenticatedError(MALFORMED_HEADER);
  return { accessKey, token };
}

function decodeToken(token: string, secret: string, nowSeconds: number): jwt.JwtPayload {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, hmacKey(secret), {
      algorithms: ['HS256'],
      clockTolerance: GEO_JWT_LEEWAY_SECONDS,
      clockTimestamp: nowSeconds,
    });
  } catch (err: unknown) {
    if (err instanceof jwt.TokenExpiredError || err instanceof jwt.NotBeforeError) {
      throw new UnauthenticatedError(GEO_JWT_LEEWAY_MESSAGE, { cause: err });
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new UnauthenticatedError(`Error decoding Geo request: ${reason}`, { cause: err });
  }
  if (typeof payload === 'string') throw new UnauthenticatedError('Error decoding Geo request: payload is not an object');
  // ruby-jwt `verify_iat`: iat must be numeric and not in the future (we allow the same leeway as nbf).
  if (typeof payload.iat !== 'number' || payload.iat > nowSeconds + GEO_JWT_LEEWAY_SECONDS) {
    throw new UnauthenticatedError('Error decoding Geo request: Invalid iat');
  }
  return payload;
}

function parseData(payload: jwt.JwtPayload): Record<string, unknown> {
  const raw: unknown = payload['data'];
  if (typeof raw !== 'string') throw new UnauthenticatedError('Error decoding Geo request: data claim is not a JSON string');
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err: unknown) {
    throw new UnauthenticatedError('Error decoding Geo request: data claim is not valid JSON', { cause: err });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UnauthenticatedError('Error decoding Geo request: data claim is not a JSON object');
  }
  return data as Record<string, unknown>;
}

/**
 * Verifies a `GL-Geo` Authorization header as GitLab's primary does (spec §5.2) and returns the
 * calling site. Every failure is an `UnauthenticatedError`; its message never contains the secret.
 */
export async function verifyGeoAuthorization<Site extends GeoSiteCredentials>(
  headerValue: string | undefined,
  { lookupSite, expected, now = new Date() }: VerifyGeoAuthorizationOptions<Site>,
): Promise<Site> {
  const { accessKey, token } = parseGeoAuthorization(headerValue);
  const site = await lookupSite(accessKey);
  if (site === undefined || !site.enabled) {
    throw new UnauthenticatedError('Unknown or disabled Geo site access key', { details: { accessKey } });
  }
  const data = parseData(decodeToken(token, site.secret, toUnixSeconds(now)));
  for (const [key, value] of Object.entries(expected)) {
    if (data[key] !== value) {
      throw new UnauthenticatedError(`Geo request data does not match the request (${key})`, { details: { accessKey, key } });
    }
  }
  return site;
}
