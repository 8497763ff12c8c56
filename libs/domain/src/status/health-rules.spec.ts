import {
  DEFAULT_HEALTH_THRESHOLDS,
  durationText,
  evaluateHealth,
  HEALTH_ISSUE_CODES,
  siteHealth,
  withStatusAge,
  type HealthIssueCode,
  type HealthSignals,
  type HealthThresholds,
} from './health-rules';

const NOW = new Date('2026-11-25T12:00:00.000Z');
const ago = (seconds: number): Date => new Date(NOW.getTime() - seconds * 1000);
const UP = { reachable: true } as const;

/** A secondary whose every signal is fine. */
const HEALTHY_SECONDARY: HealthSignals = {
  now: NOW,
  database: UP,
  nats: UP,
  eventConsumer: { lastSeenAt: ago(5), watchingSince: ago(3600) },
  primary: { lastSeenAt: ago(30), watchingSince: ago(3600) },
  eventLagSeconds: 0,
  sync: { hasWork: true, lastProgressAt: ago(10) },
};

const T = DEFAULT_HEALTH_THRESHOLDS;

describe('evaluateHealth: each rule alone', () => {
  it.each<[string, Partial<HealthSignals>, HealthIssueCode | undefined, RegExp | undefined]>([
    ['everything fine', {}, undefined, undefined],
    ['a primary (no secondary signals)', { eventConsumer: undefined, primary: undefined, eventLagSeconds: undefined, sync: undefined }, undefined, undefined],
    ['database down', { database: { reachable: false, reason: 'connect ECONNREFUSED 127.0.0.1:5432' } }, 'database_unreachable', /^Database unreachable: connect ECONNREFUSED 127\.0\.0\.1:5432$/],
    ['NATS down', { nats: { reachable: false, reason: 'not connected to nats://127.0.0.1:4222' } }, 'nats_unreachable', /^NATS unreachable: not connected to nats:\/\/127\.0\.0\.1:4222$/],
    [
      'event consumer silent 121 s',
      { eventConsumer: { lastSeenAt: ago(121), watchingSince: ago(3600) } },
      'event_consumer_silent',
      /^Event consumer has not read the primary's event stream for 2 minutes \(last at 2026-11-25T11:57:59\.000Z\) \(limit 2 minutes\)$/,
    ],
    ['event consumer silent exactly at the limit', { eventConsumer: { lastSeenAt: ago(120), watchingSince: ago(3600) } }, undefined, undefined],
    [
      'event consumer never heard of, watched for 3 minutes',
      { eventConsumer: { lastSeenAt: null, watchingSince: ago(180) } },
      'event_consumer_silent',
      /for 3 minutes \(never since 2026-11-25T11:57:00\.000Z\)/,
    ],
    ['event consumer never heard of, watched for 1 minute only', { eventConsumer: { lastSeenAt: null, watchingSince: ago(60) } }, undefined, undefined],
    ['event consumer last seen long ago, but watched for 1 minute only (grace after a start)', { eventConsumer: { lastSeenAt: ago(3600), watchingSince: ago(60) } }, undefined, undefined],
    [
      'event consumer last seen long ago, watched for longer than the limit: the silence runs from the last beat',
      { eventConsumer: { lastSeenAt: ago(3600), watchingSince: ago(121) } },
      'event_consumer_silent',
      /for 1 hour \(last at 2026-11-25T11:00:00\.000Z\)/,
    ],
    [
      'primary unreachable with the last error',
      { primary: { lastSeenAt: ago(200), watchingSince: ago(3600), lastError: 'UNAVAILABLE: connect ECONNREFUSED' } },
      'primary_unreachable',
      /^Primary unreachable for 3 minutes: no status push succeeded \(last at .*\) \(limit 2 minutes\): UNAVAILABLE: connect ECONNREFUSED$/,
    ],
    ['lag above the limit', { eventLagSeconds: 301 }, 'event_lag_high', /^Event lag is 5 minutes: the oldest event not applied yet is older than 5 minutes$/],
    ['lag at the limit', { eventLagSeconds: 300 }, undefined, undefined],
    ['lag unknown', { eventLagSeconds: null }, undefined, undefined],
    ['sync stalled with work', { sync: { hasWork: true, lastProgressAt: ago(301) } }, 'sync_stalled', /^Sync stalled: the scheduler has work but nothing was synced for 5 minutes/],
    ['no progress but no work', { sync: { hasWork: false, lastProgressAt: ago(3600) } }, undefined, undefined],
  ])('%s', (_label, change, code, message) => {
    const health = evaluateHealth({ ...HEALTHY_SECONDARY, ...change }, T);
    if (code === undefined) {
      expect(health).toEqual({ healthy: true, health: 'Healthy', healthStatus: 'Healthy', issues: [] });
    } else {
      expect(health.healthy).toBe(false);
      expect(health.healthStatus).toBe('Unhealthy');
      expect(health.issues.map((i) => i.code)).toEqual([code]);
      expect(health.health).toMatch(message!);
      expect(health.health).toBe(health.issues[0]!.message);
    }
  });
});

describe('evaluateHealth: thresholds are configurable', () => {
  const short: HealthThresholds = { statusMaxAgeSeconds: 3, eventConsumerMaxSilenceSeconds: 2, primaryMaxUnreachableSeconds: 2, maxEventLagSeconds: 1, syncMaxStallSeconds: 4 };
  it('applies the shortened limits', () => {
    const health = evaluateHealth(
      {
        ...HEALTHY_SECONDARY,
        eventConsumer: { lastSeenAt: ago(3), watchingSince: ago(60) },
        primary: { lastSeenAt: ago(3), watchingSince: ago(60) },
        eventLagSeconds: 2,
        sync: { hasWork: true, lastProgressAt: ago(5) },
      },
      short,
    );
    expect(health.issues.map((i) => i.code)).toEqual(['event_consumer_silent', 'primary_unreachable', 'event_lag_high', 'sync_stalled']);
    expect(health.health.split('; ')).toHaveLength(4);
  });
});

describe('every cause at once', () => {
  it('lists every issue in code order, joined with "; "', () => {
    const health = withStatusAge(
      evaluateHealth(
        {
          now: NOW,
          database: { reachable: false, reason: 'db' },
          nats: { reachable: false, reason: 'nats' },
          eventConsumer: { lastSeenAt: null, watchingSince: ago(1000) },
          primary: { lastSeenAt: null, watchingSince: ago(1000) },
          eventLagSeconds: 10_000,
          sync: { hasWork: true, lastProgressAt: ago(1000) },
        },
        T,
      ),
      ago(600),
      NOW,
      T,
    );
    expect(health.issues.map((i) => i.code)).toEqual([...HEALTH_ISSUE_CODES]);
    expect(health.health).toBe(health.issues.map((i) => i.message).join('; '));
  });
});

describe('withStatusAge (judged when a stored status is read)', () => {
  const healthy = siteHealth([]);
  it.each([
    [299, true],
    [300, true],
    [301, false],
  ])('status %i s old → healthy %p', (age, expected) => {
    const health = withStatusAge(healthy, ago(age), NOW, T);
    expect(health.healthy).toBe(expected);
    if (!expected) expect(health.health).toBe('Status is 5 minutes old (last updated at 2026-11-25T11:54:59.000Z, limit 5 minutes)');
  });

  it('keeps the issues the site reported, after the staleness', () => {
    const reported = siteHealth([{ code: 'sync_stalled', message: 'Sync stalled: x' }]);
    const health = withStatusAge(reported, ago(3600), NOW, T);
    expect(health.issues.map((i) => i.code)).toEqual(['status_stale', 'sync_stalled']);
  });
});

describe('siteHealth', () => {
  it('keeps the first issue of a code', () => {
    const health = siteHealth([
      { code: 'nats_unreachable', message: 'first' },
      { code: 'nats_unreachable', message: 'second' },
    ]);
    expect(health.issues).toEqual([{ code: 'nats_unreachable', message: 'first' }]);
    expect(health.health).toBe('first');
  });
});

describe('durationText', () => {
  it.each([
    [0, '0 seconds'],
    [1, '1 second'],
    [59.9, '59 seconds'],
    [60, '1 minute'],
    [121, '2 minutes'],
    [3600, '1 hour'],
    [7199, '1 hour'],
    [86_400 * 3, '3 days'],
    [-5, '0 seconds'],
  ])('%p s → %s', (seconds, text) => {
    expect(durationText(seconds)).toBe(text);
  });
});
