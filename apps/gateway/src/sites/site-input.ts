import { z } from 'zod';
import { FIELD_MESSAGES, integerAtLeast, missingOrInvalid, parseJsonBody, positiveId, requiredText } from '../http/json-body';
import { SELECTIVE_SYNC_TYPES, SITE_DEFAULTS, type GeoSitePatch, type GeoSiteSettings, type SelectiveSyncType } from './geo-site';

const MAX_URL_LENGTH = 255;

/**
 * GitLab's `addressable_url` rule for site URLs: absolute http(s) with a host, no credentials, no
 * query or fragment. Stored with a trailing slash, as GitLab does, so `<url>api/v4/…` always works.
 */
export function normaliseSiteUrl(raw: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  if (parsed.hostname === '' || parsed.username !== '' || parsed.password !== '' || parsed.search !== '' || parsed.hash !== '') return undefined;
  const text = parsed.toString();
  return text.endsWith('/') ? text : `${text}/`;
}

const siteUrl = z
  .string({ error: missingOrInvalid })
  .trim()
  .min(1, FIELD_MESSAGES.blank)
  .transform((value, ctx) => {
    const url = normaliseSiteUrl(value);
    if (url === undefined) {
      ctx.addIssue({ code: 'custom', message: 'is blocked: Only allowed schemes are http, https and the URL needs a host' });
      return z.NEVER;
    }
    if (url.length > MAX_URL_LENGTH) {
      ctx.addIssue({ code: 'custom', message: `is too long (maximum is ${MAX_URL_LENGTH} characters)` });
      return z.NEVER;
    }
    return url;
  });

const flag = z.boolean({ error: missingOrInvalid });

/** `null` or blank mean "no selective sync" (GitLab treats blank as none). */
const selectiveSyncType = z
  .union([z.null(), z.literal(''), z.enum(SELECTIVE_SYNC_TYPES)], { error: () => 'does not have a valid value (namespaces, shards or blank)' })
  .transform((value): SelectiveSyncType | null => (value === '' ? null : value));

const uniqueSorted = <T extends string | number>(values: readonly T[]): T[] => [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

const shardNames = z.array(requiredText(), { error: missingOrInvalid }).transform(uniqueSorted);
const namespaceIds = z.array(positiveId, { error: missingOrInvalid }).transform(uniqueSorted);

const optionalSettings = {
  internal_url: siteUrl.nullable().optional(),
  enabled: flag.optional(),
  files_max_capacity: integerAtLeast(0).optional(),
  repos_max_capacity: integerAtLeast(0).optional(),
  verification_max_capacity: integerAtLeast(0).optional(),
  container_repositories_max_capacity: integerAtLeast(0).optional(),
  minimum_reverification_interval: integerAtLeast(1).optional(),
  sync_object_storage: flag.optional(),
  selective_sync_type: selectiveSyncType.optional(),
  selective_sync_shards: shardNames.optional(),
  selective_sync_namespace_ids: namespaceIds.optional(),
};

/** POST body: GitLab's `geo_sites` create parameters. */
const createBody = z.strictObject({ name: requiredText(), url: siteUrl, primary: flag.optional(), ...optionalSettings });

/** PUT body: the same minus `primary`, everything optional. */
const updateBody = z.strictObject({ name: requiredText().optional(), url: siteUrl.optional(), ...optionalSettings });

type OptionalSettingsBody = z.infer<z.ZodObject<typeof optionalSettings>>;

function optionalPatch(body: OptionalSettingsBody): GeoSitePatch {
  const patch = {
    internalUrl: body.internal_url,
    enabled: body.enabled,
    filesMaxCapacity: body.files_max_capacity,
    reposMaxCapacity: body.repos_max_capacity,
    verificationMaxCapacity: body.verification_max_capacity,
    containerRepositoriesMaxCapacity: body.container_repositories_max_capacity,
    minimumReverificationInterval: body.minimum_reverification_interval,
    syncObjectStorage: body.sync_object_storage,
    selectiveSyncType: body.selective_sync_type,
    selectiveSyncShards: body.selective_sync_shards,
    selectiveSyncNamespaceIds: body.selective_sync_namespace_ids,
  };
  // Absent fields stay absent (a PATCH-like PUT, as GitLab's API behaves).
  return withoutUndefined(patch);
}

/** The object without its `undefined` entries (`null` stays: it means "clear"). */
function withoutUndefined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  // The filter removes exactly the undefined values, which is what the mapped type states.
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** A POST body as complete settings, GitLab's defaults filling what was not sent. */
export function parseCreateSite(body: unknown): GeoSiteSettings {
  const parsed = parseJsonBody(createBody, body);
  return { ...SITE_DEFAULTS, ...optionalPatch(parsed), name: parsed.name, url: parsed.url, primary: parsed.primary ?? SITE_DEFAULTS.primary };
}

/** A PUT body as the changes it asks for. */
export function parseUpdateSite(body: unknown): GeoSitePatch {
  const parsed = parseJsonBody(updateBody, body);
  return {
    ...optionalPatch(parsed),
    ...(parsed.name === undefined ? {} : { name: parsed.name }),
    ...(parsed.url === undefined ? {} : { url: parsed.url }),
  };
}
