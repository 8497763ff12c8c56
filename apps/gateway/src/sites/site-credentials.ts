import { randomBytes } from 'node:crypto';
import type { SiteCredentials } from './geo-site';

/** Random bytes behind each credential: 256 bits, far beyond guessing. */
export const CREDENTIAL_BYTES = 32;

/**
 * A new secondary's access key (identifies the site in `GL-Geo <access_key>:<jwt>`) and secret
 * (signs the JWT). URL-safe base64 so both travel in headers and env files unquoted.
 */
export function generateSiteCredentials(): SiteCredentials {
  return {
    accessKey: randomBytes(CREDENTIAL_BYTES).toString('base64url'),
    secretAccessKey: randomBytes(CREDENTIAL_BYTES).toString('base64url'),
  };
}
