import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Project NuGet API keys. The key is shown once when the project is created; the database keeps
 * only its SHA-256 (hex), so a leaked database does not leak push rights.
 */

/** Recognisable prefix (secret scanners and humans can tell what leaked) + 256 random bits. */
export const NUGET_API_KEY_PREFIX = 'geonuget_';
const NUGET_API_KEY_RANDOM_BYTES = 32;

export function generateNugetApiKey(): string {
  return NUGET_API_KEY_PREFIX + randomBytes(NUGET_API_KEY_RANDOM_BYTES).toString('base64url');
}

/** Lower-case hex SHA-256 of the key's UTF-8 bytes: the `projects.nuget_api_key_digest` value. */
export function nugetApiKeyDigest(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Whether `presented` is the key whose digest is stored. Compares the two digests in constant time
 * (equal lengths by construction), so response timing reveals nothing about the stored digest.
 * A project without a key (`storedDigest` null or malformed) matches nothing.
 */
export function nugetApiKeyMatches(presented: string, storedDigest: string | null): boolean {
  if (presented.length === 0 || storedDigest === null || !SHA256_HEX.test(storedDigest)) return false;
  const expected = Buffer.from(storedDigest, 'hex');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(actual, expected);
}
