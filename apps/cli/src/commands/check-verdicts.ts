import type { GatewayFacts, ProbeReply } from './gateway-probe';
import type { SiteJson, SiteStatusJson } from './sites-api';

/**
 * `geo check`'s judgement, pure: the gateway's answers in, one verdict per check out, as GitLab's
 * `gitlab-rake gitlab:geo:check` prints them (`<check> ... yes|no`). A check whose input is missing
 * because an earlier check failed is `skipped`, naming that check, so one root cause fails one line.
 */

export type CheckOutcome = 'yes' | 'no' | 'skipped';

export interface CheckResult {
  readonly check: string;
  readonly outcome: CheckOutcome;
  /** Why (for `no`: the reason and what to do), shown in parentheses. */
  readonly detail?: string;
  /** Further lines shown under the check (every health issue of an unhealthy site). */
  readonly notes?: readonly string[];
}

export interface CheckLimits {
  /** A status older than this is stale (default: the status app's `GEO_STATUS_MAX_AGE_SECONDS`, 300). */
  readonly maxStatusAgeSeconds: number;
  /** Secondaries: the event lag allowed (default: `GEO_STATUS_MAX_EVENT_LAG_SECONDS`, 300). */
  readonly maxEventLagSeconds: number;
  /** Allowed difference between this machine's clock and the gateway's (default: the Geo JWT leeway, 60). */
  readonly maxClockSkewSeconds: number;
}

type Answered = Extract<ProbeReply, { reached: true }>;

interface HealthIssueJson {
  readonly code: string;
  readonly message: string;
}

const CHECK = {
  reachable: 'Gateway is reachable',
  ready: 'Gateway is ready',
  token: 'Admin token is accepted',
  known: 'This site is a known Geo site',
  status: 'Site status is available and fresh',
  healthy: 'Site is healthy',
  events: 'Secondary consumes the event log',
  clock: 'Machine clock is synchronized',
} as const;

function skipped(check: string, because: string): CheckResult {
  return { check, outcome: 'skipped', detail: because };
}

/** The gateway's `{"message"}` error, or the start of whatever else it sent. */
function answerText(reply: Answered): string {
  const message = typeof reply.json === 'object' && reply.json !== null ? (reply.json as { message?: unknown }).message : undefined;
  return `HTTP ${reply.status}: ${typeof message === 'string' ? message : reply.text.slice(0, 200)}`;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Math.abs(s) < 10 ? s.toFixed(1) : Math.round(s)} s`;
}

/** The gateway's clock at the moment of an answer: its `Date` header (plus half a second, the header's truncation), else ours. */
function gatewayNow(reply: Answered): number {
  return reply.date === null ? reply.receivedAt : reply.date + 500;
}

function reachableCheck(facts: GatewayFacts): CheckResult {
  const { health } = facts;
  if (!health.reached) return { check: CHECK.reachable, outcome: 'no', detail: `${health.reason}; check --url (or GEO_GATEWAY_URL) and that the gateway runs` };
  if (health.status === 200) return { check: CHECK.reachable, outcome: 'yes', detail: `${facts.baseUrl}/-/health: ${health.text}` };
  return { check: CHECK.reachable, outcome: 'no', detail: `${facts.baseUrl}/-/health answered ${answerText(health)}` };
}

/** `/-/readiness` is GitLab's `{status, <name>_check: [{status, message}]}`: every failed dependency is named. */
function readyCheck(reply: Answered): CheckResult {
  if (reply.status === 200) return { check: CHECK.ready, outcome: 'yes' };
  const body = typeof reply.json === 'object' && reply.json !== null ? (reply.json as Record<string, unknown>) : {};
  const failed = Object.entries(body)
    .filter(([name, entries]) => name.endsWith('_check') && Array.isArray(entries))
    .flatMap(([name, entries]) =>
      (entries as Array<{ status?: unknown; message?: unknown }>)
        .filter((e) => e.status !== 'ok')
        .map((e) => `${name}: ${typeof e.message === 'string' ? e.message : 'failed'}`),
    );
  return { check: CHECK.ready, outcome: 'no', detail: failed.length > 0 ? failed.join('; ') : answerText(reply) };
}

function tokenCheck(reply: Answered): CheckResult {
  // The admin hook answers 401/403 before any route runs: every other answer got past it.
  if (reply.status === 401) return { check: CHECK.token, outcome: 'no', detail: `${answerText(reply)}; give this gateway's GEO_ADMIN_TOKEN with --token (or GEO_ADMIN_TOKEN)` };
  if (reply.status === 403) return { check: CHECK.token, outcome: 'no', detail: `${answerText(reply)}; the token is a non-admin one (GEO_NON_ADMIN_TOKENS): use GEO_ADMIN_TOKEN` };
  return { check: CHECK.token, outcome: 'yes' };
}

/**
 * Where the gateway stands, as far as its answers tell. Every site's gateway serves `geo_sites` (a
 * secondary reads the primary's): the `current` site's `primary` flag says which this is. An older
 * secondary's gateway answered 404 there (`current` unknown). A primary's gateway lists every site's
 * status, a secondary's only its own, which tells a primary's gateway named like a secondary site.
 */
type Role =
  | { readonly role: 'primary'; readonly sites: readonly SiteJson[]; readonly current: SiteJson }
  | { readonly role: 'secondary'; readonly current: SiteJson | undefined }
  | { readonly role: 'unknown'; readonly why: string; readonly ownId: number | null };

function roleOf(sites: ProbeReply, statuses: readonly SiteStatusJson[] | undefined): Role {
  if (!sites.reached) return { role: 'unknown', why: sites.reason, ownId: null };
  if (sites.status === 404) return { role: 'secondary', current: undefined };
  // This gateway took the token (the status API answered) but geo_sites refused it: a secondary
  // reads geo_sites from the primary's gateway with the caller's token, which the primary refused.
  if ((sites.status === 401 || sites.status === 403) && statuses !== undefined) {
    return {
      role: 'unknown',
      ownId: statuses.length === 1 ? statuses[0]!.geo_node_id : null,
      why: `GET /api/v4/geo_sites answered ${answerText(sites)}: a secondary reads geo_sites from the primary with the caller's token, so use an admin token the primary accepts too (GitLab's sites share their users)`,
    };
  }
  if (sites.status !== 200 || !Array.isArray(sites.json)) return { role: 'unknown', why: `GET /api/v4/geo_sites answered ${answerText(sites)}`, ownId: null };
  const list = sites.json as SiteJson[];
  const current = list.find((s) => s.current);
  if (current === undefined) {
    return {
      role: 'unknown',
      ownId: null,
      why: "no site in geo_sites is named like this gateway's GEO_SITE_NAME; add it with `geo sites add --primary` (the primary site) or `geo sites add` on the primary (a secondary)",
    };
  }
  if (current.primary) return { role: 'primary', sites: list, current };
  if (statuses?.some((s) => s.geo_node_id !== null && s.geo_node_id !== current.id) === true) {
    return { role: 'unknown', ownId: current.id, why: `this gateway runs as the primary (it lists every site's status) but site ${siteLabel(current)} is a secondary there` };
  }
  return { role: 'secondary', current };
}

function siteLabel(site: Pick<SiteJson, 'name' | 'id'>): string {
  return `"${site.name}" (#${site.id})`;
}

function knownCheck(role: Role, statuses: readonly SiteStatusJson[] | undefined): { result: CheckResult; ownId: number | null } {
  switch (role.role) {
    case 'primary':
      return { ownId: role.current.id, result: { check: CHECK.known, outcome: 'yes', detail: `primary site ${siteLabel(role.current)}` } };
    case 'secondary': {
      if (role.current !== undefined) return { ownId: role.current.id, result: { check: CHECK.known, outcome: 'yes', detail: `secondary site ${siteLabel(role.current)}` } };
      // An older secondary's gateway does not serve geo_sites: its status app's site id tells.
      if (statuses === undefined) return { ownId: null, result: skipped(CHECK.known, `needs the site status (see "${CHECK.status}")`) };
      const id = statuses[0]?.geo_node_id ?? null;
      if (id === null) {
        return {
          ownId: null,
          result: {
            check: CHECK.known,
            outcome: 'no',
            detail: "this secondary's status app has not found its site in the primary's geo_sites: add it on the primary with `geo sites add`, named as this site's GEO_SITE_NAME",
          },
        };
      }
      return { ownId: id, result: { check: CHECK.known, outcome: 'yes', detail: `secondary site #${id}` } };
    }
    case 'unknown':
      return { ownId: role.ownId, result: { check: CHECK.known, outcome: 'no', detail: role.why } };
  }
}

function statusAge(status: SiteStatusJson, now: number): number | null {
  const at = typeof status['updated_at'] === 'string' ? Date.parse(status['updated_at']) : NaN;
  return Number.isNaN(at) ? null : now - at;
}

function freshness(status: SiteStatusJson, now: number, limits: CheckLimits): { fresh: boolean; text: string } {
  const age = statusAge(status, now);
  if (age === null) return { fresh: false, text: 'the status has no updated_at' };
  const text = `updated ${seconds(Math.max(0, age))} ago`;
  return age > limits.maxStatusAgeSeconds * 1000 ? { fresh: false, text: `${text}, more than ${limits.maxStatusAgeSeconds} s` } : { fresh: true, text };
}

function healthIssues(status: SiteStatusJson): HealthIssueJson[] {
  const issues = status['health_issues'];
  return Array.isArray(issues) ? (issues as HealthIssueJson[]) : [];
}

function healthyCheck(status: SiteStatusJson): CheckResult {
  if (status.healthy) return { check: CHECK.healthy, outcome: 'yes', detail: status.health_status };
  const issues = healthIssues(status);
  const notes = issues.length > 0 ? issues.map((i) => `- ${i.code}: ${i.message}`) : [`- ${status.health}`];
  return { check: CHECK.healthy, outcome: 'no', detail: `${status.health_status}: ${issues.length || 1} issue(s), run \`geo status\` for the counts`, notes };
}

function shown(value: unknown): string {
  return typeof value === 'number' ? `#${value}` : 'none';
}

/** A secondary's event-log consumption: the lag is the oldest unapplied primary event's age (ADR 0007); null means unknown. */
function eventsCheck(status: SiteStatusJson, limits: CheckLimits): CheckResult {
  const lag = status['event_lag_seconds'];
  const where = `cursor at ${shown(status['cursor_last_event_id'])}, last event ${shown(status['last_event_id'])}`;
  if (typeof lag !== 'number') {
    return {
      check: CHECK.events,
      outcome: 'no',
      detail: `${where}, event lag unknown: is the event-log app running and subscribed to the primary's event stream (GEO_PRIMARY_NATS_URL)?`,
    };
  }
  if (lag > limits.maxEventLagSeconds) return { check: CHECK.events, outcome: 'no', detail: `${where}, event lag ${lag} s is above ${limits.maxEventLagSeconds} s` };
  return { check: CHECK.events, outcome: 'yes', detail: `${where}, event lag ${lag} s` };
}

/** On the primary: every enabled secondary's status reached it, recently (GitLab's status push every minute). */
function secondaryReportChecks(sites: readonly SiteJson[], statuses: readonly SiteStatusJson[], now: number, limits: CheckLimits): CheckResult[] {
  const secondaries = sites.filter((s) => !s.primary);
  if (secondaries.length === 0) return [skipped('Secondary sites report to the primary', 'no secondary site added')];
  return secondaries.map((site) => {
    const check = `Secondary site ${siteLabel(site)} reports to the primary`;
    if (!site.enabled) return skipped(check, 'the site is disabled');
    const status = statuses.find((s) => s.geo_node_id === site.id);
    if (status === undefined) {
      return { check, outcome: 'no', detail: "no status received: is that site's status app running, with GEO_PRIMARY_STATUS_GRPC_URL and the site's access key?" };
    }
    const fresh = freshness(status, now, limits);
    const health = status.healthy ? status.health_status : `${status.health_status}: ${status.health}`;
    return { check, outcome: fresh.fresh ? 'yes' : 'no', detail: `${fresh.text}, ${health}` };
  });
}

function clockCheck(reply: Answered, limits: CheckLimits): CheckResult {
  if (reply.date === null) return skipped(CHECK.clock, 'the gateway sent no Date header');
  // Our clock halfway through the request, against the gateway's (its Date header truncates to the second).
  const skew = (reply.sentAt + reply.receivedAt) / 2 - gatewayNow(reply);
  const direction = skew >= 0 ? 'ahead of' : 'behind';
  const text = `this machine is ${seconds(Math.abs(skew))} ${direction} the gateway's clock`;
  if (Math.abs(skew) <= limits.maxClockSkewSeconds * 1000) return { check: CHECK.clock, outcome: 'yes', detail: text };
  return { check: CHECK.clock, outcome: 'no', detail: `${text}, more than ${limits.maxClockSkewSeconds} s: enable an NTP service on both machines` };
}

function skippedAfter(failed: string): CheckResult[] {
  return [CHECK.known, CHECK.status, CHECK.healthy].map((check) => skipped(check, `needs "${failed}"`));
}

/** Every check, in order, for one gateway's answers. */
export function geoChecks(facts: GatewayFacts, limits: CheckLimits): CheckResult[] {
  const results: CheckResult[] = [reachableCheck(facts)];
  const { health, readiness, statuses, sites } = facts;
  if (!health.reached) {
    const rest = [CHECK.ready, CHECK.token, CHECK.known, CHECK.status, CHECK.healthy, CHECK.clock];
    return [...results, ...rest.map((check) => skipped(check, `needs "${CHECK.reachable}"`))];
  }
  results.push(readiness.reached ? readyCheck(readiness) : { check: CHECK.ready, outcome: 'no', detail: readiness.reason });

  if (!statuses.reached) {
    results.push({ check: CHECK.token, outcome: 'no', detail: statuses.reason });
    return [...results, ...skippedAfter(CHECK.token), clockCheck(health, limits)];
  }
  const tokenResult = tokenCheck(statuses);
  results.push(tokenResult);
  if (tokenResult.outcome !== 'yes') return [...results, ...skippedAfter(CHECK.token), clockCheck(health, limits)];

  const statusList = statuses.reached && statuses.status === 200 && Array.isArray(statuses.json) ? (statuses.json as SiteStatusJson[]) : undefined;
  const role = roleOf(sites, statusList);
  const known = knownCheck(role, statusList);
  results.push(known.result);

  // This site's own status: by id when known; a secondary's gateway lists only its own.
  const own =
    statusList === undefined
      ? undefined
      : role.role === 'secondary'
        ? statusList[0]
        : statusList.find((s) => s.geo_node_id === known.ownId);
  const now = gatewayNow(statuses);
  if (own === undefined) {
    const detail =
      statusList === undefined
        ? `GET /api/v4/geo_sites/status answered ${answerText(statuses)}; is the status app running (GEO_STATUS_GRPC_TARGET)?`
        : known.ownId === null
          ? 'no status names this site'
          : `no status for site #${known.ownId} yet; the status app computes one every GEO_STATUS_INTERVAL_SECONDS`;
    results.push({ check: CHECK.status, outcome: 'no', detail }, skipped(CHECK.healthy, `needs "${CHECK.status}"`));
    if (role.role === 'secondary') results.push(skipped(CHECK.events, `needs "${CHECK.status}"`));
  } else {
    const fresh = freshness(own, now, limits);
    results.push({ check: CHECK.status, outcome: fresh.fresh ? 'yes' : 'no', detail: fresh.text }, healthyCheck(own));
    if (role.role === 'secondary') results.push(eventsCheck(own, limits));
  }
  if (role.role === 'primary' && statusList !== undefined) results.push(...secondaryReportChecks(role.sites, statusList, now, limits));
  results.push(clockCheck(health, limits));
  return results;
}

/** GitLab's look: `Checking Geo ...`, one `<check> ... yes|no (detail)` line each (notes indented), `Checking Geo ... Finished`. */
export function checkLines(results: readonly CheckResult[]): string[] {
  const lines = ['Checking Geo ...', ''];
  for (const r of results) {
    lines.push(`${r.check} ... ${r.outcome}${r.detail === undefined ? '' : ` (${r.detail})`}`);
    for (const note of r.notes ?? []) lines.push(`  ${note}`);
  }
  lines.push('', 'Checking Geo ... Finished');
  return lines;
}

/** Exit 1 when any check said no; skipped checks follow from a failed one, which already counts. */
export function allPassed(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.outcome !== 'no');
}
