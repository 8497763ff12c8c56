import { createHash } from 'node:crypto';
import { generateNugetApiKey, NUGET_API_KEY_PREFIX, nugetApiKeyDigest, nugetApiKeyMatches } from './api-key';

describe('NuGet API keys', () => {
  it('generates distinct prefixed keys with 256 random bits', () => {
    const keys = new Set(Array.from({ length: 50 }, () => generateNugetApiKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(new RegExp(`^${NUGET_API_KEY_PREFIX}[A-Za-z0-9_-]{43}$`));
  });

  it('stores the SHA-256 hex of the key', () => {
    // Known vector: SHA-256("abc").
    expect(nugetApiKeyDigest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  const key = 'geonuget_secret';
  const digest = createHash('sha256').update(key).digest('hex');
  it.each([
    ['the right key', key, digest, true],
    ['a different key', 'geonuget_other', digest, false],
    ['the key with different case', key.toUpperCase(), digest, false],
    ['an empty key', '', digest, false],
    ['a project without a key', key, null, false],
    ['a malformed stored digest', key, 'not-hex', false],
    ['an upper-case stored digest (never written by us)', key, digest.toUpperCase(), false],
  ])('%s → %s', (_name, presented, stored, expected) => {
    expect(nugetApiKeyMatches(presented, stored)).toBe(expected);
  });
});
