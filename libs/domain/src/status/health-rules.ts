/**
 * Site health that tells the truth (issue 5, ADR 0007). GitLab calls a site unhealthy only when its
 * status is over 60 minutes old or its health check printed a message; ours names every cause that
 * holds, so an operator sees "replication is broken, and why" instead of a green site:
 *
 * | code                     | holds when                                                              | role      |
 * |--------------------------|-------------------------------------------------------------------------|-----------|
 * | `status_stale`           | the status is older than `statusMaxAgeSeconds` (judged when read)       | any       |
 * | `database_unreachable`   | the site's PostgreSQL did not answer while the status was computed     | any       |
 * | `nats_unreachable`       | the site's NATS JetStream did not answer                                | any       |
 * | `event_consumer_silent`  | the event-log consumer has not read the primary's stream for too long   | secondary |
 * | `primary_unreachable`    | pushing the status to the primary has failed for too long               | secondary |
 * | `event_lag_high`         | the oldest unapplied event is older than `maxEventLagSeconds`           | secondary |
 * | `sync_stalled`           | the scheduler has work but nothing was synced for `syncMaxStallSeconds` | secondary |
 */

export const HEALTHY = 'Healthy';
export const UNHEALTHY = 'Unhealthy';

export const HEALTH_ISSUE_CODES = [
  'status_stale',
  'database_unreachable',
  'nats_unreachable',
  'event_consumer_silent',
  'primary_unreachable',
  'event_lag_high',
  'sync_stalled',
] as const;

export type HealthIssueCode = (typeof HEALTH_ISSUE_CODES)[number];

export function isHealthIssueCode(value: string): value is HealthIssueCode {
  return (HEALTH_ISSUE_CODES as readonly string[]).includes(value);
}

/** One reason a site is unhealthy: a stable code for machines and a sentence naming the cause. */
export interface HealthIssue {
  readonly code: HealthIssueCode;
  readonly message: string;
}

/** GeoNodeStatus `healthy`, `health` and `health_status`, plus the causes behind them. */
export interface SiteHealth {
  readonly healthy: boolean;
  /** "Healthy", or the issues' messages joined with "; " (GitLab: the status message). */
  readonly health: string;
  readonly healthStatus: typeof HEALTHY | typeof UNHEALTHY;
  /** In the order of `HEALTH_ISSUE_CODES`; empty exactly when healthy. */
  readonly issues: readonly HealthIssue[];
}

/** Limits of the rules, in seconds (`GEO_STATUS_*` variables). */
export interface HealthThresholds {
  readonly statusMaxAgeSeconds: number;
  readonly eventConsumerMaxSilenceSeconds: number;
  readonly primaryMaxUnreachableSeconds: number;
  readonly maxEventLagSeconds: number;
  readonly syncMaxStallSeconds: number;
}

/** The issue's limits: 5 minutes stale, 2 minutes unreachable, 5 minutes without a sync; lag 5 minutes. */
export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = Object.freeze({
  statusMaxAgeSeconds: 300,
  eventConsumerMaxSilenceSeconds: 120,
  primaryMaxUnreachableSeconds: 120,
  maxEventLagSeconds: 300,
  syncMaxStallSeconds: 300,
});

/** Whether a dependency answered a probe; `reason` says what failed when it did not. */
export type Reachability = { readonly reachable: true } | { readonly reachable: false; readonly reason: string };

/**
 * A signal that should arrive regularly (a heartbeat, a successful push). It is silent once neither
 * `lastSeenAt` nor `watchingSince` is within the limit: whoever watches gives the signal one full
 * limit from when it started watching (a status service that just started, a stream that just
 * appeared) before calling it silent. The reported silence runs from `lastSeenAt` when known.
 */
export interface Liveness {
  readonly lastSeenAt: Date | null;
  /** Since when the signal is expected. */
  readonly watchingSince: Date;
  /** The last failure, for the message (e.g. why the push failed). */
  readonly lastError?: string;
}

/** Sync progress as `observeSyncProgress` tracks it. */
export interface SyncActivity {
  /** Rows pending, started, or failed with their retry due (what the scheduler would claim now). */
  readonly hasWork: boolean;
  /** When a sync last completed, or the scheduler last had nothing to do. */
  readonly lastProgressAt: Date;
}

/**
 * What a site knows about itself when it computes its status. Secondary-only signals are absent on
 * a primary; an absent or unknown (null) signal raises no issue.
 */
export interface HealthSignals {
  readonly now: Date;
  readonly database: Reachability;
  readonly nats: Reachability;
  readonly eventConsumer?: Liveness;
  readonly primary?: Liveness;
  readonly eventLagSeconds?: number | null;
  readonly sync?: SyncActivity;
}

const UNITS: ReadonlyArray<readonly [seconds: number, one: string, many: string]> = [
  [86_400, 'day', 'days'],
  [3600, 'hour', 'hours'],
  [60, 'minute', 'minutes'],
];

/** "1 second", "45 seconds", "2 minutes", "3 hours": the largest unit that fits, rounded down. */
export function durationText(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const unit = UNITS.find(([size]) => whole >= size);
  if (unit === undefined) return `${whole} ${whole === 1 ? 'second' : 'seconds'}`;
  const [size, one, many] = unit;
  const n = Math.floor(whole / size);
  return `${n} ${n === 1 ? one : many}`;
}

function secondsBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / 1000;
}

/** The issue for a silent `Liveness`, or undefined while it is within `limitSeconds`. */
function silence(liveness: Liveness, now: Date, limitSeconds: number, describe: (silentFor: string, since: string) => string): string | undefined {
  const { lastSeenAt, watchingSince } = liveness;
  const latest = lastSeenAt !== null && lastSeenAt > watchingSince ? lastSeenAt : watchingSince;
  if (secondsBetween(latest, now) <= limitSeconds) return undefined;
  const since = lastSeenAt ?? watchingSince;
  const silentSeconds = secondsBetween(since, now);
  const sinceText = liveness.lastSeenAt === null ? `never since ${since.toISOString()}` : `last at ${since.toISOString()}`;
  const cause = liveness.lastError === undefined ? '' : `: ${liveness.lastError}`;
  return `${describe(durationText(silentSeconds), sinceText)} (limit ${durationText(limitSeconds)})${cause}`;
}

/** Builds the health from its issues, in `HEALTH_ISSUE_CODES` order, one issue per code. */
export function siteHealth(issues: readonly HealthIssue[]): SiteHealth {
  const byCode = new Map<HealthIssueCode, HealthIssue>();
  for (const issue of issues) if (!byCode.has(issue.code)) byCode.set(issue.code, issue);
  const ordered = HEALTH_ISSUE_CODES.flatMap((code) => {
    const issue = byCode.get(code);
    return issue === undefined ? [] : [issue];
  });
  if (ordered.length === 0) return { healthy: true, health: HEALTHY, healthStatus: HEALTHY, issues: [] };
  return { healthy: false, health: ordered.map((i) => i.message).join('; '), healthStatus: UNHEALTHY, issues: ordered };
}

/**
 * The rules a site evaluates when it computes its own status (every rule but `status_stale`, which
 * is judged by whoever reads the status later: `withStatusAge`).
 */
export function evaluateHealth(signals: HealthSignals, thresholds: HealthThresholds): SiteHealth {
  const { now } = signals;
  const issues: HealthIssue[] = [];
  if (!signals.database.reachable) {
    issues.push({ code: 'database_unreachable', message: `Database unreachable: ${signals.database.reason}` });
  }
  if (!signals.nats.reachable) {
    issues.push({ code: 'nats_unreachable', message: `NATS unreachable: ${signals.nats.reason}` });
  }
  if (signals.eventConsumer !== undefined) {
    const message = silence(
      signals.eventConsumer,
      now,
      thresholds.eventConsumerMaxSilenceSeconds,
      (silentFor, since) => `Event consumer has not read the primary's event stream for ${silentFor} (${since})`,
    );
    if (message !== undefined) issues.push({ code: 'event_consumer_silent', message });
  }
  if (signals.primary !== undefined) {
    const message = silence(
      signals.primary,
      now,
      thresholds.primaryMaxUnreachableSeconds,
      (silentFor, since) => `Primary unreachable for ${silentFor}: no status push succeeded (${since})`,
    );
    if (message !== undefined) issues.push({ code: 'primary_unreachable', message });
  }
  const lag = signals.eventLagSeconds;
  if (lag !== undefined && lag !== null && lag > thresholds.maxEventLagSeconds) {
    issues.push({
      code: 'event_lag_high',
      message: `Event lag is ${durationText(lag)}: the oldest event not applied yet is older than ${durationText(thresholds.maxEventLagSeconds)}`,
    });
  }
  const sync = signals.sync;
  if (sync !== undefined && sync.hasWork) {
    const stalledSeconds = secondsBetween(sync.lastProgressAt, now);
    if (stalledSeconds > thresholds.syncMaxStallSeconds) {
      issues.push({
        code: 'sync_stalled',
        message: `Sync stalled: the scheduler has work but nothing was synced for ${durationText(stalledSeconds)} (since ${sync.lastProgressAt.toISOString()}, limit ${durationText(thresholds.syncMaxStallSeconds)})`,
      });
    }
  }
  return siteHealth(issues);
}

/**
 * Adds `status_stale` when the status was last updated more than `statusMaxAgeSeconds` before `now`.
 * Applied when a stored status is read: a site that stopped reporting cannot say so itself.
 */
export function withStatusAge(health: SiteHealth, updatedAt: Date, now: Date, thresholds: Pick<HealthThresholds, 'statusMaxAgeSeconds'>): SiteHealth {
  const ageSeconds = secondsBetween(updatedAt, now);
  if (ageSeconds <= thresholds.statusMaxAgeSeconds) return health;
  const stale: HealthIssue = {
    code: 'status_stale',
    message: `Status is ${durationText(ageSeconds)} old (last updated at ${updatedAt.toISOString()}, limit ${durationText(thresholds.statusMaxAgeSeconds)})`,
  };
  return siteHealth([stale, ...health.issues]);
}
