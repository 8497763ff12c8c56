import { ValidationError } from '@geo/domain';
import { parseArgs } from '../argv';
import { gatewayConnection, PRIMARY_FLAG, SETTING_FLAGS, settingsBody, siteId } from './sites-flags';

const args = (...argv: string[]) => parseArgs(argv);

describe('gatewayConnection', () => {
  it('takes --url and --token over the environment', () => {
    expect(gatewayConnection(args('--url', 'http://gw:8080', '--token', 't1'), { GEO_GATEWAY_URL: 'http://env', GEO_ADMIN_TOKEN: 't2' })).toEqual({
      baseUrl: 'http://gw:8080',
      adminToken: 't1',
    });
  });

  it('falls back to GEO_GATEWAY_URL and GEO_ADMIN_TOKEN', () => {
    expect(gatewayConnection(args(), { GEO_GATEWAY_URL: 'https://gw.example.com', GEO_ADMIN_TOKEN: 't2' })).toEqual({ baseUrl: 'https://gw.example.com', adminToken: 't2' });
  });

  it.each([
    [[], {}, 'missing --url (or set GEO_GATEWAY_URL)'],
    [['--url', 'http://gw'], {}, 'missing --token (or set GEO_ADMIN_TOKEN)'],
    [['--url', 'gw:8080', '--token', 't'], {}, '--url must be an http(s) URL, got "gw:8080"'],
    [['--url', '--token', 't'], {}, '--url needs a value'],
  ])('rejects %j with env %j', (argv, env, message) => {
    expect(() => gatewayConnection(args(...argv), env)).toThrow(new ValidationError(message));
  });
});

describe('settingsBody', () => {
  it('maps every setting flag to its GitLab field and type', () => {
    const body = settingsBody(
      args(
        '--name', 'london', '--site-url', 'https://london.example.com', '--internal-url', 'http://10.0.0.2', '--enabled', 'false',
        '--files-max-capacity', '20', '--repos-max-capacity', '1', '--verification-max-capacity', '50',
        '--container-repositories-max-capacity', '2', '--minimum-reverification-interval', '3', '--sync-object-storage', 'true',
        '--selective-sync-type', 'namespaces', '--selective-sync-namespace-ids', '4, 7', '--selective-sync-shards', 'default,fast', '--primary',
      ),
      [...SETTING_FLAGS, PRIMARY_FLAG],
    );
    expect(body).toEqual({
      name: 'london',
      url: 'https://london.example.com',
      internal_url: 'http://10.0.0.2',
      enabled: false,
      files_max_capacity: 20,
      repos_max_capacity: 1,
      verification_max_capacity: 50,
      container_repositories_max_capacity: 2,
      minimum_reverification_interval: 3,
      sync_object_storage: true,
      selective_sync_type: 'namespaces',
      selective_sync_namespace_ids: [4, 7],
      selective_sync_shards: ['default', 'fast'],
      primary: true,
    });
  });

  it('leaves absent flags out and clears with empty values or "none"', () => {
    expect(settingsBody(args('--internal-url=', '--selective-sync-type', 'none', '--selective-sync-namespace-ids='), SETTING_FLAGS)).toEqual({
      internal_url: null,
      selective_sync_type: null,
      selective_sync_namespace_ids: [],
    });
    expect(settingsBody(args(), SETTING_FLAGS)).toEqual({});
  });

  it.each([
    [['--files-max-capacity', '-1'], '--files-max-capacity must be a whole number, got "-1"'],
    [['--files-max-capacity', 'ten'], '--files-max-capacity must be a whole number, got "ten"'],
    [['--enabled', 'yes'], '--enabled must be true or false, got "yes"'],
    [['--selective-sync-type', 'organizations'], '--selective-sync-type must be namespaces, shards or none, got "organizations"'],
    [['--selective-sync-namespace-ids', '1,x'], '--selective-sync-namespace-ids must be a whole number, got "x"'],
    [['--name', '--enabled', 'true'], '--name needs a value'],
  ])('rejects %j', (argv, message) => {
    expect(() => settingsBody(args(...argv), SETTING_FLAGS)).toThrow(new ValidationError(message));
  });
});

describe('siteId', () => {
  it('reads --id', () => {
    expect(siteId(args('--id', '12'))).toBe(12);
  });

  it.each([[[], 'missing --id'], [['--id', '0'], '--id must be a positive whole number'], [['--id', 'x'], '--id must be a whole number, got "x"']])(
    'rejects %j',
    (argv, message) => {
      expect(() => siteId(args(...argv))).toThrow(new ValidationError(message));
    },
  );
});
