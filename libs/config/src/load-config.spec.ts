import { ConfigError, ErrorCodes } from '@geo/domain';
import { APP_NAMES, DEFAULT_GRPC_PORTS, loadConfig } from './index';

const PRIMARY_ENV = {
  GEO_ROLE: 'primary',
  GEO_SITE_NAME: 'eu-primary',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/geo',
  NATS_URL: 'nats://127.0.0.1:4222',
  BLOB_STORE_ROOT: '/var/lib/geo/blobs',
  GEO_ADMIN_TOKEN: 'admin-token-0123456789abcdef',
} as const;

const SECONDARY_ENV = {
  ...PRIMARY_ENV,
  GEO_ROLE: 'secondary',
  GEO_SITE_NAME: 'us-secondary',
  GEO_PRIMARY_GRPC_URL: 'http://primary.example:50054',
  GEO_ACCESS_KEY: 'access-key',
  GEO_SECRET_ACCESS_KEY: 's3cr3t-value',
  GEO_PRIMARY_HTTP_URL: 'https://primary.example',
} as const;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: the gateway', () => {
  it('reads its HTTP server, admin token, sibling targets and the package size limit', () => {
    const config = loadConfig('gateway', { ...PRIMARY_ENV, GEO_GATEWAY_HTTP_PORT: '0', GEO_NUGET_GRPC_TARGET: 'nuget.internal:7000', NUGET_MAX_PACKAGE_BYTES: '1024' });
    expect(config.gateway).toEqual({ http: { host: '127.0.0.1', port: 0 }, adminToken: PRIMARY_ENV.GEO_ADMIN_TOKEN, nonAdminTokens: [] });
    expect(loadConfig('gateway', { ...PRIMARY_ENV, GEO_NON_ADMIN_TOKENS: ' reader-token-0123456789 , other-reader-token-01234 ' }).gateway?.nonAdminTokens).toEqual([
      'reader-token-0123456789',
      'other-reader-token-01234',
    ]);
    expect(config.siblings).toEqual({
      nuget: 'nuget.internal:7000',
      'event-log': '127.0.0.1:50053',
      registry: '127.0.0.1:50054',
      'blob-transfer': '127.0.0.1:50055',
      checksum: '127.0.0.1:50056',
      status: '127.0.0.1:50057',
    });
    expect(config.nugetLimits?.maxPackageBytes).toBe(1024);
    expect(loadConfig('nuget', PRIMARY_ENV).siblings).toBeUndefined();
  });

  it('refuses to start without an admin token, or with a short one, without echoing it', () => {
    const { GEO_ADMIN_TOKEN: _omitted, ...withoutToken } = PRIMARY_ENV;
    expect(configError(() => loadConfig('gateway', withoutToken)).message).toContain('GEO_ADMIN_TOKEN: missing (required)');
    const short = configError(() => loadConfig('gateway', { ...PRIMARY_ENV, GEO_ADMIN_TOKEN: 'short-secret' })).message;
    expect(short).toContain('GEO_ADMIN_TOKEN: must be at least 20 characters');
    expect(short).not.toContain('short-secret');
  });

  it('gives the nuget app every NuGet limit', () => {
    expect(loadConfig('nuget', { ...PRIMARY_ENV, NUGET_MAX_SYMBOL_FILES: '7' }).nugetLimits).toEqual({
      maxPackageBytes: 500 * 1024 * 1024,
      maxUncompressedBytes: 1024 * 1024 * 1024,
      maxCompressionRatio: 100,
      maxZipEntries: 1000,
      maxSymbolFiles: 7,
    });
  });
});

describe('loadConfig: valid environments', () => {
  it('builds the nested config of a primary with defaults', () => {
    const config = loadConfig('registry', PRIMARY_ENV);
    expect(config).toEqual({
      app: 'registry',
      site: { name: 'eu-primary', role: 'primary' },
      grpc: { host: '127.0.0.1', port: 50054 },
      database: { url: 'postgres://postgres@127.0.0.1:5432/geo' },
      nats: { url: 'nats://127.0.0.1:4222' },
      blobStore: { kind: 'fs', root: '/var/lib/geo/blobs' },
      primary: undefined,
      registry: { sweepIntervalSeconds: 60 },
      syncWorker: undefined,
      retrieveHttp: undefined,
      replication: { packages_nuget_symbol: { enabled: true } },
      otel: { serviceName: 'geo-registry', exporterEndpoint: undefined },
      log: { level: 'info' },
    });
  });

  it('gives each app its own distinct default port', () => {
    const ports = APP_NAMES.map((app) => loadConfig(app, PRIMARY_ENV).grpc.port);
    expect(ports).toEqual(APP_NAMES.map((app) => DEFAULT_GRPC_PORTS[app]));
    expect(new Set(ports).size).toBe(APP_NAMES.length);
    expect(ports).toEqual([50051, 50052, 50053, 50054, 50055, 50056, 50057]);
  });

  it('reads explicit values, s3 settings and flags', () => {
    const config = loadConfig('checksum', {
      ...PRIMARY_ENV,
      GEO_GRPC_HOST: '0.0.0.0',
      GEO_CHECKSUM_GRPC_PORT: '0',
      BLOB_STORE_KIND: 's3',
      BLOB_STORE_ROOT: '',
      S3_ENDPOINT: 'http://127.0.0.1:4568',
      S3_BUCKET: 'symbols',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'false',
      GEO_PACKAGES_NUGET_SYMBOL_REPLICATION: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317',
      OTEL_SERVICE_NAME: 'checksum-eu',
      LOG_LEVEL: 'debug',
    });
    expect(config.grpc).toEqual({ host: '0.0.0.0', port: 0 });
    expect(config.blobStore).toEqual({
      kind: 's3',
      bucket: 'symbols',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:4568',
      forcePathStyle: false,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    expect(config.replication.packages_nuget_symbol.enabled).toBe(false);
    expect(config.otel).toEqual({ serviceName: 'checksum-eu', exporterEndpoint: 'http://127.0.0.1:4317' });
    expect(config.log.level).toBe('debug');
  });

  it('gives secondaries that call the primary their credentials, and no one else', () => {
    const blobTransfer = loadConfig('blob-transfer', { ...SECONDARY_ENV, GEO_PRIMARY_BLOB_TRANSFER_HTTP_URL: 'http://primary.example:8090' });
    expect(blobTransfer.primary).toEqual({
      grpcUrl: 'http://primary.example:50054',
      grpcUrls: { registry: 'http://primary.example:50054', 'blob-transfer': 'http://primary.example:50054', status: 'http://primary.example:50054' },
      accessKey: 'access-key',
      secretAccessKey: 's3cr3t-value',
      natsUrl: undefined,
      blobTransferHttpUrl: 'http://primary.example:8090',
    });
    // The download workers need the primary's retrieve endpoint: a secondary blob-transfer without it does not start.
    expect(() => loadConfig('blob-transfer', SECONDARY_ENV)).toThrow(/GEO_PRIMARY_BLOB_TRANSFER_HTTP_URL: missing/);
    expect(loadConfig('blob-transfer', PRIMARY_ENV).retrieveHttp).toEqual({ host: '127.0.0.1', port: 8090 });
    // Per-app overrides win over the shared address (ADR 0004 §3); only event-log reads the primary's NATS.
    const overridden = loadConfig('event-log', {
      ...SECONDARY_ENV,
      GEO_PRIMARY_BLOB_TRANSFER_GRPC_URL: 'http://bt.primary.example:50055',
      GEO_PRIMARY_NATS_URL: 'nats://primary.example:4222',
    }).primary;
    expect(overridden?.grpcUrls).toEqual({ registry: 'http://primary.example:50054', 'blob-transfer': 'http://bt.primary.example:50055', status: 'http://primary.example:50054' });
    expect(overridden?.natsUrl).toBe('nats://primary.example:4222');
    expect(loadConfig('gateway', SECONDARY_ENV).primary).toBeUndefined();
    expect(loadConfig('blob-transfer', PRIMARY_ENV).primary).toBeUndefined();
  });

  it('gives the status app its interval, revision and health limits, and the NATS it probes', () => {
    const primary = loadConfig('status', PRIMARY_ENV);
    expect(primary.status).toEqual({
      intervalSeconds: 60,
      revision: 'unknown',
      health: { statusMaxAgeSeconds: 300, eventConsumerMaxSilenceSeconds: 120, primaryMaxUnreachableSeconds: 120, maxEventLagSeconds: 300, syncMaxStallSeconds: 300 },
    });
    expect(primary.nats).toEqual({ url: 'nats://127.0.0.1:4222' });
    expect(primary.primary).toBeUndefined();
    const secondary = loadConfig('status', {
      ...SECONDARY_ENV,
      GEO_PRIMARY_NATS_URL: 'nats://primary.example:4222',
      GEO_STATUS_INTERVAL_SECONDS: '5',
      GEO_STATUS_MAX_AGE_SECONDS: '30',
      GEO_STATUS_EVENT_CONSUMER_MAX_SILENCE_SECONDS: '6',
      GEO_STATUS_PRIMARY_MAX_UNREACHABLE_SECONDS: '7',
      GEO_STATUS_MAX_EVENT_LAG_SECONDS: '8',
      GEO_STATUS_SYNC_MAX_STALL_SECONDS: '9',
      GEO_REVISION: '0123abc',
    });
    expect(secondary.status).toEqual({
      intervalSeconds: 5,
      revision: '0123abc',
      health: { statusMaxAgeSeconds: 30, eventConsumerMaxSilenceSeconds: 6, primaryMaxUnreachableSeconds: 7, maxEventLagSeconds: 8, syncMaxStallSeconds: 9 },
    });
    // A secondary's status reads the event lag from the primary's stream: it does not start without it.
    expect(secondary.primary?.natsUrl).toBe('nats://primary.example:4222');
    expect(() => loadConfig('status', SECONDARY_ENV)).toThrow(/GEO_PRIMARY_NATS_URL: missing \(required when GEO_ROLE=secondary\)/);
    expect(() => loadConfig('status', { ...PRIMARY_ENV, GEO_STATUS_INTERVAL_SECONDS: '0' })).toThrow(/GEO_STATUS_INTERVAL_SECONDS: must be a positive integer/);
    expect(loadConfig('registry', PRIMARY_ENV).status).toBeUndefined();
  });

  it('gives the event-log app its heartbeat interval', () => {
    expect(loadConfig('event-log', PRIMARY_ENV).eventLog).toEqual({ heartbeatIntervalSeconds: 15 });
    expect(loadConfig('event-log', { ...PRIMARY_ENV, GEO_EVENT_LOG_HEARTBEAT_INTERVAL_SECONDS: '2' }).eventLog).toEqual({ heartbeatIntervalSeconds: 2 });
    expect(loadConfig('status', PRIMARY_ENV).eventLog).toBeUndefined();
  });

  it('omits sections an app does not use and ignores their variables', () => {
    const config = loadConfig('gateway', { ...PRIMARY_ENV, NATS_URL: 'not a url', BLOB_STORE_KIND: 'nope' });
    expect(config.nats).toBeUndefined();
    expect(config.blobStore).toBeUndefined();
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig('registry', PRIMARY_ENV);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.grpc)).toBe(true);
    expect(Object.isFrozen(config.replication.packages_nuget_symbol)).toBe(true);
  });
});

describe('loadConfig: invalid environments name every bad variable', () => {
  it.each([
    ['missing', 'registry', { ...PRIMARY_ENV, DATABASE_URL: undefined }, /DATABASE_URL: missing \(required\)/],
    ['empty counts as missing', 'registry', { ...PRIMARY_ENV, GEO_SITE_NAME: '  ' }, /GEO_SITE_NAME: missing/],
    ['wrong enum', 'registry', { ...PRIMARY_ENV, GEO_ROLE: 'tertiary' }, /GEO_ROLE: must be one of primary, secondary \(got "tertiary"\)/],
    ['wrong log level', 'status', { ...PRIMARY_ENV, LOG_LEVEL: 'loud' }, /LOG_LEVEL: must be one of fatal, /],
    ['port not a number', 'registry', { ...PRIMARY_ENV, GEO_REGISTRY_GRPC_PORT: 'http' }, /GEO_REGISTRY_GRPC_PORT: must be an integer port/],
    ['port out of range', 'status', { ...PRIMARY_ENV, GEO_STATUS_GRPC_PORT: '70000' }, /GEO_STATUS_GRPC_PORT: must be an integer port .*\(got "70000"\)/],
    ['negative port', 'status', { ...PRIMARY_ENV, GEO_STATUS_GRPC_PORT: '-1' }, /GEO_STATUS_GRPC_PORT: must be an integer port/],
    ['short non-admin token', 'gateway', { ...PRIMARY_ENV, GEO_NON_ADMIN_TOKENS: 'reader-token-0123456789,short' }, /GEO_NON_ADMIN_TOKENS: must be comma-separated tokens of at least 20 characters without whitespace$/m],
    ['bad URL', 'event-log', { ...PRIMARY_ENV, NATS_URL: 'localhost 4222' }, /NATS_URL: must be a URL with scheme nats:\/\//],
    ['URL with wrong scheme', 'registry', { ...PRIMARY_ENV, DATABASE_URL: 'mysql://db/geo' }, /DATABASE_URL: must be a URL with scheme postgres:\/\//],
    ['bad boolean', 'registry', { ...PRIMARY_ENV, GEO_PACKAGES_NUGET_SYMBOL_REPLICATION: 'yes' }, /GEO_PACKAGES_NUGET_SYMBOL_REPLICATION: must be true, false, 1 or 0/],
    ['fs store without root', 'nuget', { ...PRIMARY_ENV, BLOB_STORE_ROOT: undefined }, /BLOB_STORE_ROOT: missing \(required when BLOB_STORE_KIND=fs\)/],
    ['s3 store without bucket', 'nuget', { ...PRIMARY_ENV, BLOB_STORE_KIND: 's3' }, /S3_BUCKET: missing \(required when BLOB_STORE_KIND=s3\)/],
    ['secondary without credentials', 'checksum', { ...SECONDARY_ENV, GEO_ACCESS_KEY: undefined }, /GEO_ACCESS_KEY: missing \(required when GEO_ROLE=secondary\)/],
  ])('%s', (_label, app, env, pattern) => {
    const error = configError(() => loadConfig(app, env));
    expect(error.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(error.message).toMatch(pattern);
  });

  it('reports all problems at once, not just the first', () => {
    const error = configError(() =>
      loadConfig('registry', { GEO_ROLE: 'boss', GEO_REGISTRY_GRPC_PORT: '99999', NATS_URL: 'x' }),
    );
    for (const name of ['GEO_ROLE', 'GEO_SITE_NAME', 'GEO_REGISTRY_GRPC_PORT', 'DATABASE_URL', 'NATS_URL', 'BLOB_STORE_ROOT']) {
      expect(error.message).toContain(`${name}:`);
    }
    expect(error.details['variables']).toEqual(
      expect.arrayContaining(['GEO_ROLE', 'GEO_SITE_NAME', 'GEO_REGISTRY_GRPC_PORT', 'DATABASE_URL', 'NATS_URL']),
    );
  });

  it('never echoes secret values', () => {
    const error = configError(() =>
      loadConfig('registry', { ...PRIMARY_ENV, DATABASE_URL: 'mysql://user:hunter2@db/geo' }),
    );
    expect(error.message).toContain('DATABASE_URL:');
    expect(error.message).not.toContain('hunter2');
  });

  it('rejects an unknown app name', () => {
    expect(configError(() => loadConfig('cron', PRIMARY_ENV)).message).toMatch(/unknown app "cron"/);
  });
});
