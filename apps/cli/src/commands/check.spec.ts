import { parseArgs } from '../argv';
import { runCli } from '../cli';
import { ExitCodes } from '../command';
import { checkLimits, createCheckCommand, DEFAULT_CHECK_LIMITS } from './check';
import { allPassed, checkLines, geoChecks, type CheckResult } from './check-verdicts';
import type { GatewayFacts, ProbeReply } from './gateway-probe';

const T0 = Date.parse('2026-12-08T01:00:00.000Z');
const BASE = 'http://gw:8080';

function answer(status: number, json: unknown, at = T0): ProbeReply {
  const text = typeof json === 'string' ? json : JSON.stringify(json);
  return { reached: true, status, text, json: typeof json === 'string' ? undefined : json, date: at, sentAt: at + 400, receivedAt: at + 600 };
}

const PRIMARY_SITE = { id: 1, name: 'eu', url: 'https://eu/', internal_url: 'https://eu/', primary: true, enabled: true, current: true, selective_sync_type: null, selective_sync_namespace_ids: [], selective_sync_shards: [] };
const US = { ...PRIMARY_SITE, id: 2, name: 'us', primary: false, current: false };
const AP = { ...PRIMARY_SITE, id: 3, name: 'ap', primary: false, current: false };

function status(id: number | null, fields: Record<string, unknown> = {}) {
  return { geo_node_id: id, healthy: true, health: 'Healthy', health_status: 'Healthy', health_issues: [], updated_at: new Date(T0 - 2_000).toISOString(), event_lag_seconds: null, ...fields };
}

const READY = { status: 'ok', db_check: [{ status: 'ok' }], nuget_check: [{ status: 'ok' }] };

function primaryFacts(over: Partial<GatewayFacts> = {}): GatewayFacts {
  return {
    baseUrl: BASE,
    health: answer(200, 'GitLab OK'),
    readiness: answer(200, READY),
    statuses: answer(200, [status(1), status(2)]),
    sites: answer(200, [PRIMARY_SITE, US]),
    ...over,
  };
}

/** A secondary's gateway: it reads geo_sites from the primary, `current` is its own site (#2). */
function secondaryFacts(own: Record<string, unknown>, sites: ProbeReply = answer(200, [{ ...PRIMARY_SITE, current: false }, { ...US, current: true }])): GatewayFacts {
  return {
    baseUrl: BASE,
    health: answer(200, 'GitLab OK'),
    readiness: answer(200, READY),
    statuses: answer(200, [status(2, own)]),
    sites,
  };
}

/** An older secondary's gateway, which answered 404 for geo_sites. */
const OLDER_SECONDARY_SITES = answer(404, { message: '404 Not Found', code: 'GEO_N0001' });

const lines = (facts: GatewayFacts) => checkLines(geoChecks(facts, DEFAULT_CHECK_LIMITS));

describe('geoChecks on a primary', () => {
  it('passes every check of a healthy primary whose secondaries report', () => {
    const results = geoChecks(primaryFacts(), DEFAULT_CHECK_LIMITS);
    expect(checkLines(results)).toEqual([
      'Checking Geo ...',
      '',
      'Gateway is reachable ... yes (http://gw:8080/-/health: GitLab OK)',
      'Gateway is ready ... yes',
      'Admin token is accepted ... yes',
      'This site is a known Geo site ... yes (primary site "eu" (#1))',
      'Site status is available and fresh ... yes (updated 2.5 s ago)',
      'Site is healthy ... yes (Healthy)',
      'Secondary site "us" (#2) reports to the primary ... yes (updated 2.5 s ago, Healthy)',
      'Machine clock is synchronized ... yes (this machine is 0.0 s ahead of the gateway\'s clock)',
      '',
      'Checking Geo ... Finished',
    ]);
    expect(allPassed(results)).toBe(true);
  });

  it.each<[string, Partial<GatewayFacts>, string[]]>([
    [
      'a secondary that never reported, one disabled, one stale',
      {
        sites: answer(200, [PRIMARY_SITE, US, AP, { ...AP, id: 4, name: 'off', enabled: false }]),
        statuses: answer(200, [status(1), status(2, { updated_at: new Date(T0 - 400_000).toISOString(), healthy: false, health: 'status is stale', health_status: 'Unhealthy' })]),
      },
      [
        'Secondary site "us" (#2) reports to the primary ... no (updated 401 s ago, more than 300 s, Unhealthy: status is stale)',
        'Secondary site "ap" (#3) reports to the primary ... no (no status received: is that site\'s status app running, with GEO_PRIMARY_STATUS_GRPC_URL and the site\'s access key?)',
        'Secondary site "off" (#4) reports to the primary ... skipped (the site is disabled)',
      ],
    ],
    [
      'no secondary at all',
      { sites: answer(200, [PRIMARY_SITE]), statuses: answer(200, [status(1)]) },
      ['Secondary sites report to the primary ... skipped (no secondary site added)'],
    ],
    [
      'no site named like the gateway',
      { sites: answer(200, [{ ...PRIMARY_SITE, current: false }]), statuses: answer(200, [status(null)]) },
      ["This site is a known Geo site ... no (no site in geo_sites is named like this gateway's GEO_SITE_NAME; add it with `geo sites add --primary` (the primary site) or `geo sites add` on the primary (a secondary))"],
    ],
    [
      'the current site recorded as a secondary',
      { sites: answer(200, [{ ...PRIMARY_SITE, current: false }, { ...US, current: true }]), statuses: answer(200, [status(1), status(2)]) },
      ['This site is a known Geo site ... no (this gateway runs as the primary (it lists every site\'s status) but site "us" (#2) is a secondary there)'],
    ],
    [
      'an unready nuget app',
      { readiness: answer(503, { status: 'failed', db_check: [{ status: 'ok' }], nuget_check: [{ status: 'failed', message: 'nuget app did not answer within 2000 ms' }] }) },
      ['Gateway is ready ... no (nuget_check: nuget app did not answer within 2000 ms)'],
    ],
    [
      'a status app that is down',
      { statuses: answer(503, { message: 'status app unreachable', code: 'GEO_I0001' }) },
      [
        'Site status is available and fresh ... no (GET /api/v4/geo_sites/status answered HTTP 503: status app unreachable; is the status app running (GEO_STATUS_GRPC_TARGET)?)',
        'Site is healthy ... skipped (needs "Site status is available and fresh")',
      ],
    ],
    [
      'an unhealthy primary: every cause is printed',
      {
        statuses: answer(200, [
          status(1, {
            healthy: false,
            health_status: 'Unhealthy',
            health: 'a; b',
            health_issues: [
              { code: 'database_unreachable', message: 'PostgreSQL is unreachable' },
              { code: 'nats_unreachable', message: 'NATS is unreachable' },
            ],
          }),
          status(2),
        ]),
      },
      ['Site is healthy ... no (Unhealthy: 2 issue(s), run `geo status` for the counts)', '  - database_unreachable: PostgreSQL is unreachable', '  - nats_unreachable: NATS is unreachable'],
    ],
    [
      "a clock 90 s behind the gateway's",
      { health: { ...(answer(200, 'GitLab OK') as Extract<ProbeReply, { reached: true }>), sentAt: T0 - 90_000, receivedAt: T0 - 89_000 } },
      ["Machine clock is synchronized ... no (this machine is 90 s behind the gateway's clock, more than 60 s: enable an NTP service on both machines)"],
    ],
    [
      'a gateway without a Date header',
      { health: { ...(answer(200, 'GitLab OK') as Extract<ProbeReply, { reached: true }>), date: null } },
      ['Machine clock is synchronized ... skipped (the gateway sent no Date header)'],
    ],
  ])('%s', (_what, over, expected) => {
    const output = lines(primaryFacts(over));
    for (const line of expected) expect(output).toContain(line);
    const failed = expected.some((l) => l.includes(' ... no'));
    expect(allPassed(geoChecks(primaryFacts(over), DEFAULT_CHECK_LIMITS))).toBe(!failed);
  });
});

describe('geoChecks on a secondary', () => {
  it('passes with its current site, a secondary in geo_sites, and a small event lag', () => {
    const output = lines(secondaryFacts({ event_lag_seconds: 3, cursor_last_event_id: 40, last_event_id: 42 }));
    expect(output).toContain('This site is a known Geo site ... yes (secondary site "us" (#2))');
    expect(output).toContain('Secondary consumes the event log ... yes (cursor at #40, last event #42, event lag 3 s)');
    expect(output.filter((l) => l.includes(' ... no'))).toEqual([]);
    expect(output.some((l) => l.startsWith('Secondary site'))).toBe(false);
  });

  it('passes on an older gateway (geo_sites 404) with the status app\'s site id', () => {
    const output = lines(secondaryFacts({ event_lag_seconds: 3, cursor_last_event_id: 40, last_event_id: 42 }, OLDER_SECONDARY_SITES));
    expect(output).toContain('This site is a known Geo site ... yes (secondary site #2)');
    expect(output).toContain('Secondary consumes the event log ... yes (cursor at #40, last event #42, event lag 3 s)');
    expect(output.filter((l) => l.includes(' ... no'))).toEqual([]);
    expect(output.some((l) => l.startsWith('Secondary site'))).toBe(false);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['lag unknown', { event_lag_seconds: null }, "Secondary consumes the event log ... no (cursor at none, last event none, event lag unknown: is the event-log app running and subscribed to the primary's event stream (GEO_PRIMARY_NATS_URL)?)"],
    ['lag too high', { event_lag_seconds: 301, cursor_last_event_id: 1, last_event_id: 9 }, 'Secondary consumes the event log ... no (cursor at #1, last event #9, event lag 301 s is above 300 s)'],
    ['a stale own status', { event_lag_seconds: 0, updated_at: new Date(T0 - 600_000).toISOString() }, 'Site status is available and fresh ... no (updated 601 s ago, more than 300 s)'],
  ])('fails: %s', (_what, own, line) => {
    for (const sites of [undefined, OLDER_SECONDARY_SITES]) {
      const results = geoChecks(secondaryFacts(own, sites), DEFAULT_CHECK_LIMITS);
      expect(checkLines(results)).toContain(line);
      expect(allPassed(results)).toBe(false);
    }
  });

  it.each<[string, ProbeReply, string]>([
    [
      'not in geo_sites yet',
      answer(200, [PRIMARY_SITE, US].map((s) => ({ ...s, current: false }))),
      "This site is a known Geo site ... no (no site in geo_sites is named like this gateway's GEO_SITE_NAME; add it with `geo sites add --primary` (the primary site) or `geo sites add` on the primary (a secondary))",
    ],
    [
      'not registered on the primary (older gateway)',
      OLDER_SECONDARY_SITES,
      "This site is a known Geo site ... no (this secondary's status app has not found its site in the primary's geo_sites: add it on the primary with `geo sites add`, named as this site's GEO_SITE_NAME)",
    ],
    ['the primary unreachable from its gateway', answer(503, { message: 'The Geo primary site is unreachable', code: 'GEO_I0001' }), 'This site is a known Geo site ... no (GET /api/v4/geo_sites answered HTTP 503: The Geo primary site is unreachable)'],
  ])('fails: %s', (_what, sites, line) => {
    const results = geoChecks(secondaryFacts({ geo_node_id: null, event_lag_seconds: 0 }, sites), DEFAULT_CHECK_LIMITS);
    expect(checkLines(results)).toContain(line);
    expect(allPassed(results)).toBe(false);
  });
});

describe('geoChecks on a secondary whose primary refuses the token for geo_sites', () => {
  it.each([
    [401, '401 Unauthorized'],
    [403, '403 Forbidden'],
  ])('%s: the known-site line says why and how to fix it; the status checks still judge its own status', (code, message) => {
    const results = geoChecks(secondaryFacts({ event_lag_seconds: 0, cursor_last_event_id: 5, last_event_id: 5 }, answer(code, { message })), DEFAULT_CHECK_LIMITS);
    const output = checkLines(results);
    expect(output).toContain(
      `This site is a known Geo site ... no (GET /api/v4/geo_sites answered HTTP ${code}: ${message}: a secondary reads geo_sites from the primary with the caller's token, so use an admin token the primary accepts too (GitLab's sites share their users))`,
    );
    expect(output).toContain('Site status is available and fresh ... yes (updated 2.5 s ago)');
    expect(output).toContain('Site is healthy ... yes (Healthy)');
    expect(allPassed(results)).toBe(false);
  });
});

describe('geoChecks when the gateway or the token fails', () => {
  it('an unreachable gateway fails one line and skips the rest', () => {
    const down: ProbeReply = { reached: false, reason: 'cannot reach the gateway at http://gw:8080: connect ECONNREFUSED' };
    const results = geoChecks({ baseUrl: BASE, health: down, readiness: down, statuses: down, sites: down }, DEFAULT_CHECK_LIMITS);
    expect(results.filter((r) => r.outcome === 'no').map((r) => r.check)).toEqual(['Gateway is reachable']);
    expect(results[0]!.detail).toContain('check --url (or GEO_GATEWAY_URL)');
    expect(results.slice(1).every((r: CheckResult) => r.outcome === 'skipped' && r.detail === 'needs "Gateway is reachable"')).toBe(true);
  });

  it.each([
    [401, '401 Unauthorized', "give this gateway's GEO_ADMIN_TOKEN"],
    [403, '403 Forbidden', 'the token is a non-admin one'],
  ])('a %d token fails the token check and skips what needs it', (code, message, hint) => {
    const refused = answer(code, { message, code: 'GEO_A0001' });
    const results = geoChecks(primaryFacts({ statuses: refused, sites: refused }), DEFAULT_CHECK_LIMITS);
    const token = results.find((r) => r.check === 'Admin token is accepted')!;
    expect(token.outcome).toBe('no');
    expect(token.detail).toContain(`HTTP ${code}: ${message}`);
    expect(token.detail).toContain(hint);
    expect(results.find((r) => r.check === 'Site is healthy')?.outcome).toBe('skipped');
    expect(results.at(-1)?.check).toBe('Machine clock is synchronized');
  });
});

describe('checkLimits', () => {
  it('defaults to the status app limits and the JWT leeway', () => {
    expect(checkLimits(parseArgs([]))).toEqual({ maxStatusAgeSeconds: 300, maxEventLagSeconds: 300, maxClockSkewSeconds: 60 });
    expect(checkLimits(parseArgs(['--max-event-lag', '30', '--max-clock-skew=5']))).toEqual({ maxStatusAgeSeconds: 300, maxEventLagSeconds: 30, maxClockSkewSeconds: 5 });
  });

  it.each([['--max-event-lag', '0'], ['--max-status-age', 'soon'], ['--max-clock-skew', '-1'], ['--max-event-lag']])('rejects %s %s', (...argv) => {
    expect(() => checkLimits(parseArgs(argv))).toThrow('must be a positive whole number of seconds');
  });
});

describe('geo check (command)', () => {
  function gateway(routes: Record<string, { status: number; body: unknown }>) {
    const asked: string[] = [];
    const fetchImpl = (async (input: string | URL | Request) => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      asked.push(url.pathname);
      const route = routes[url.pathname] ?? { status: 404, body: { message: '404 Not Found' } };
      const body = typeof route.body === 'string' ? route.body : JSON.stringify(route.body);
      return new Response(body, { status: route.status, headers: { date: new Date(T0).toUTCString() } });
    }) as typeof fetch;
    return { fetchImpl, asked };
  }

  async function run(argv: string[], routes: Record<string, { status: number; body: unknown }>) {
    const gw = gateway(routes);
    const out: string[] = [];
    const err: string[] = [];
    const command = createCheckCommand({ env: { GEO_GATEWAY_URL: BASE, GEO_ADMIN_TOKEN: 't' }, fetch: gw.fetchImpl, clock: () => T0 + 500 });
    const code = await runCli(argv, [command], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err, asked: gw.asked };
  }

  const healthy = {
    '/-/health': { status: 200, body: 'GitLab OK' },
    '/-/readiness': { status: 200, body: READY },
    '/api/v4/geo_sites/status': { status: 200, body: [status(1), status(2)] },
    '/api/v4/geo_sites': { status: 200, body: [PRIMARY_SITE, US] },
  };

  it('exits 0 when every check passes, asking each endpoint once', async () => {
    const result = await run(['check'], healthy);
    expect(result.code).toBe(ExitCodes.OK);
    expect(result.out.filter((l) => l.includes(' ... yes'))).toHaveLength(8);
    expect([...result.asked].sort()).toEqual(['/-/health', '/-/readiness', '/api/v4/geo_sites', '/api/v4/geo_sites/status']);
  });

  it('exits 1 when a check fails, and --json carries every verdict', async () => {
    const result = await run(['check', '--json'], { ...healthy, '/api/v4/geo_sites': { status: 200, body: [PRIMARY_SITE, US, AP] } });
    expect(result.code).toBe(ExitCodes.FAILURE);
    const json = JSON.parse(result.out.join('\n')) as { ok: boolean; checks: CheckResult[] };
    expect(json.ok).toBe(false);
    expect(json.checks.filter((c) => c.outcome === 'no').map((c) => c.check)).toEqual(['Secondary site "ap" (#3) reports to the primary']);
  });

  it.each([[['check', '--max-event-lag', 'x']], [['check', '--verbose']], [['check', 'extra']]])('exits 2 on %j', async (argv) => {
    const result = await run(argv, healthy);
    expect(result.code).toBe(ExitCodes.USAGE);
    expect(result.asked).toEqual([]);
  });
});
