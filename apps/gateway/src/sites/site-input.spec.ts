import { ValidationError } from '@geo/domain';
import { normaliseSiteUrl, parseCreateSite, parseUpdateSite } from './site-input';

function rejection(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error: unknown) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('normaliseSiteUrl', () => {
  it.each([
    ['https://geo.example.com', 'https://geo.example.com/'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/'],
    ['https://example.com/gitlab', 'https://example.com/gitlab/'],
    ['https://example.com/gitlab/', 'https://example.com/gitlab/'],
    ['HTTPS://EXAMPLE.com', 'https://example.com/'],
  ])('%s → %s', (raw, expected) => {
    expect(normaliseSiteUrl(raw)).toBe(expected);
  });

  it.each(['example.com', 'ftp://example.com', 'javascript:alert(1)', 'https://user:pw@example.com', 'https://example.com/?a=1', 'https://example.com/#x', 'http://', ''])(
    'rejects %s',
    (raw) => {
      expect(normaliseSiteUrl(raw)).toBeUndefined();
    },
  );
});

describe('parseCreateSite', () => {
  it("fills GitLab's defaults", () => {
    expect(parseCreateSite({ name: 'london', url: 'https://london.example.com' })).toEqual({
      name: 'london',
      url: 'https://london.example.com/',
      internalUrl: null,
      primary: false,
      enabled: true,
      filesMaxCapacity: 10,
      reposMaxCapacity: 25,
      verificationMaxCapacity: 100,
      containerRepositoriesMaxCapacity: 10,
      minimumReverificationInterval: 7,
      syncObjectStorage: false,
      selectiveSyncType: null,
      selectiveSyncShards: [],
      selectiveSyncNamespaceIds: [],
    });
  });

  it('takes every setting given, normalising URLs and id lists', () => {
    const settings = parseCreateSite({
      name: 'tokyo',
      url: 'https://tokyo.example.com',
      internal_url: 'http://10.0.0.5:8080',
      primary: false,
      enabled: false,
      files_max_capacity: 0,
      repos_max_capacity: 1,
      verification_max_capacity: 2,
      container_repositories_max_capacity: 3,
      minimum_reverification_interval: 1,
      sync_object_storage: true,
      selective_sync_type: 'namespaces',
      selective_sync_shards: ['b', 'a', 'b'],
      selective_sync_namespace_ids: [5, 3, 5],
    });
    expect(settings).toMatchObject({
      internalUrl: 'http://10.0.0.5:8080/',
      enabled: false,
      filesMaxCapacity: 0,
      minimumReverificationInterval: 1,
      syncObjectStorage: true,
      selectiveSyncType: 'namespaces',
      selectiveSyncShards: ['a', 'b'],
      selectiveSyncNamespaceIds: [3, 5],
    });
  });

  it('treats a blank selective_sync_type as none', () => {
    expect(parseCreateSite({ name: 'a', url: 'https://a.example.com', selective_sync_type: '' }).selectiveSyncType).toBeNull();
  });

  it.each([
    [{ url: 'https://a.example.com' }, { name: ['is missing'] }],
    [{ name: 'a' }, { url: ['is missing'] }],
    [{ name: '', url: 'https://a.example.com' }, { name: ["can't be blank"] }],
    [{ name: 'a', url: 'ftp://a.example.com' }, { url: ['is blocked: Only allowed schemes are http, https and the URL needs a host'] }],
    [{ name: 'a', url: `https://a.example.com/${'x'.repeat(250)}` }, { url: ['is too long (maximum is 255 characters)'] }],
    [{ name: 'a', url: 'https://a.example.com', internal_url: 'nope' }, { internal_url: ['is blocked: Only allowed schemes are http, https and the URL needs a host'] }],
    [{ name: 'a', url: 'https://a.example.com', files_max_capacity: -1 }, { files_max_capacity: ['must be greater than or equal to 0'] }],
    [{ name: 'a', url: 'https://a.example.com', minimum_reverification_interval: 0 }, { minimum_reverification_interval: ['must be greater than or equal to 1'] }],
    [{ name: 'a', url: 'https://a.example.com', verification_max_capacity: '10' }, { verification_max_capacity: ['is invalid'] }],
    [{ name: 'a', url: 'https://a.example.com', enabled: 'yes' }, { enabled: ['is invalid'] }],
    [{ name: 'a', url: 'https://a.example.com', selective_sync_type: 'organizations' }, { selective_sync_type: ['does not have a valid value (namespaces, shards or blank)'] }],
    [{ name: 'a', url: 'https://a.example.com', selective_sync_namespace_ids: [1, 0] }, { 'selective_sync_namespace_ids.1': ['is invalid'] }],
    [{ name: 'a', url: 'https://a.example.com', selective_sync_namespace_ids: 1 }, { selective_sync_namespace_ids: ['is invalid'] }],
    [{ name: 'a', url: 'https://a.example.com', access_key: 'mine' }, { access_key: ['is not a known parameter'] }],
  ])('rejects %j', (body, fieldErrors) => {
    expect(rejection(() => parseCreateSite(body)).details).toEqual({ fieldErrors });
  });
});

describe('parseUpdateSite', () => {
  it('returns only the fields sent', () => {
    expect(parseUpdateSite({ enabled: false, files_max_capacity: 20 })).toEqual({ enabled: false, filesMaxCapacity: 20 });
    expect(parseUpdateSite({})).toEqual({});
  });

  it('can clear internal_url and selective sync', () => {
    expect(parseUpdateSite({ internal_url: null, selective_sync_type: null, selective_sync_namespace_ids: [] })).toEqual({
      internalUrl: null,
      selectiveSyncType: null,
      selectiveSyncNamespaceIds: [],
    });
  });

  it('normalises a new url and name', () => {
    expect(parseUpdateSite({ name: ' paris ', url: 'https://paris.example.com' })).toEqual({ name: 'paris', url: 'https://paris.example.com/' });
  });

  it('refuses to change primary', () => {
    expect(rejection(() => parseUpdateSite({ primary: true })).details).toEqual({ fieldErrors: { primary: ['is not a known parameter'] } });
  });
});
