/**
 * Memoises a site lookup by access key for `ttlMs`, so authenticating every `Retrieve` and catalogue
 * call does not cost a database round trip each (a secondary makes one call per blob). Unknown keys
 * are cached too, so a caller hammering with a bad key cannot turn each attempt into a query.
 * Consequence: disabling a site, rotating its secret or registering a new one takes effect within
 * `ttlMs`. Concurrent misses for one key share a single lookup. A failed lookup is not cached.
 */
export interface CachedSiteLookupOptions {
  /** How long an answer is reused; default 5 s. 0: no cache, `lookup` itself is returned. */
  readonly ttlMs?: number;
  /** Entries kept at most (oldest evicted first); default 1000. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export const DEFAULT_SITE_LOOKUP_TTL_MS = 5000;

export function cachedSiteLookup<Site>(
  lookup: (accessKey: string) => Promise<Site | undefined>,
  options: CachedSiteLookupOptions = {},
): (accessKey: string) => Promise<Site | undefined> {
  const ttlMs = options.ttlMs ?? DEFAULT_SITE_LOOKUP_TTL_MS;
  if (ttlMs <= 0) return lookup;
  const maxEntries = options.maxEntries ?? 1000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { readonly expires: number; readonly value: Promise<Site | undefined> }>();
  return (accessKey) => {
    const hit = entries.get(accessKey);
    if (hit !== undefined && hit.expires > now()) return hit.value;
    entries.delete(accessKey);
    const value = lookup(accessKey);
    entries.set(accessKey, { expires: now() + ttlMs, value });
    // A failure (database down) must be retried by the next call, not remembered.
    value.catch(() => {
      if (entries.get(accessKey)?.value === value) entries.delete(accessKey);
    });
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    return value;
  };
}
