import { ErrorCodes } from '@geo/domain';
import { runCli } from '../cli';
import type { SiteStatusJson } from './sites-api';
import { createStatusCommand } from './status';
import { progressBar, statusLines } from './status-output';

const PRIMARY: SiteStatusJson = {
  geo_node_id: 1,
  healthy: true,
  health: 'Healthy',
  health_status: 'Healthy',
  last_event_id: 42,
  last_event_timestamp: 1795600800,
  cursor_last_event_id: null,
  event_lag_seconds: null,
  version: '0.1.0',
  revision: '0123456789abcdef',
  updated_at: '2026-11-25T10:00:00.000Z',
  packages_nuget_symbols_count: 10,
  packages_nuget_symbols_checksum_total_count: 10,
  packages_nuget_symbols_checksummed_count: 9,
  packages_nuget_symbols_checksum_failed_count: 1,
  packages_nuget_symbols_registry_count: null,
  packages_nuget_symbols_synced_in_percentage: '0.00%',
  packages_nuget_symbols_verified_in_percentage: '0.00%',
};

const SECONDARY: SiteStatusJson = {
  geo_node_id: 2,
  healthy: false,
  health: 'event lag 400 s is above 300 s',
  health_status: 'Unhealthy',
  last_event_id: 42,
  last_event_timestamp: 1795600800,
  cursor_last_event_id: 40,
  event_lag_seconds: 400,
  version: '0.1.0',
  revision: '0123456789abcdef',
  updated_at: '2026-11-25T10:00:01.000Z',
  packages_nuget_symbols_count: 10,
  packages_nuget_symbols_checksum_total_count: null,
  packages_nuget_symbols_registry_count: 10,
  packages_nuget_symbols_synced_count: 5,
  packages_nuget_symbols_failed_count: 1,
  packages_nuget_symbols_verified_count: 4,
  packages_nuget_symbols_verification_failed_count: 0,
  packages_nuget_symbols_verification_total_count: 5,
  packages_nuget_symbols_synced_in_percentage: '50.00%',
  packages_nuget_symbols_verified_in_percentage: '40.00%',
};

const REPLICABLES = [{ pluralName: 'packages_nuget_symbols' }];

describe('progressBar', () => {
  it.each([
    [0, '[--------------------]   0.00%'],
    [45, '[#########-----------]  45.00%'],
    [100, '[####################] 100.00%'],
    [250, '[####################] 250.00%'],
  ])('%d%%', (pct, bar) => {
    expect(progressBar(pct)).toBe(bar);
  });
});

describe('statusLines', () => {
  it('prints per site its health, events and lag, and per type its counts and progress bars', () => {
    expect(statusLines([PRIMARY, SECONDARY], REPLICABLES)).toEqual([
      'site 1: Healthy',
      '  last event #42 at 2026-11-25T10:00:00.000Z, cursor at #-, event lag - s',
      '  version 0.1.0 (0123456789ab), updated 2026-11-25T10:00:00.000Z',
      '  packages_nuget_symbols: 10 records, 9/10 checksummed, 1 checksum failed',
      '',
      'site 2: Unhealthy — event lag 400 s is above 300 s',
      '  last event #42 at 2026-11-25T10:00:00.000Z, cursor at #40, event lag 400 s',
      '  version 0.1.0 (0123456789ab), updated 2026-11-25T10:00:01.000Z',
      '  packages_nuget_symbols: 10 registries, 5 synced, 1 failed, 4/5 verified, 0 verification failed',
      '    synced   [##########----------]  50.00%',
      '    verified [########------------]  40.00%',
    ]);
  });

  it('says so for a type without counts, and for no status at all', () => {
    expect(statusLines([{ ...PRIMARY, packages_nuget_symbols_checksum_total_count: null }], REPLICABLES)).toContain('  packages_nuget_symbols: not replicated (no counts)');
    expect(statusLines([], REPLICABLES)).toEqual(['no site status yet']);
  });
});

describe('geo status', () => {
  function fakeGateway(answer: { status: number; body: unknown }) {
    const requests: Array<{ url: string; headers: Record<string, string> }> = [];
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
      requests.push({ url: input instanceof Request ? input.url : input.toString(), headers: (init?.headers ?? {}) as Record<string, string> });
      return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    return { fetchImpl, requests };
  }

  async function run(argv: string[], answer: { status: number; body: unknown }) {
    const gateway = fakeGateway(answer);
    const out: string[] = [];
    const err: string[] = [];
    const command = createStatusCommand({ env: { GEO_GATEWAY_URL: 'http://gw.example:8080/', GEO_ADMIN_TOKEN: 'admin-token' }, fetch: gateway.fetchImpl });
    const code = await runCli(argv, [command], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err, requests: gateway.requests };
  }

  it('asks the gateway for every status with the admin token and prints them', async () => {
    const result = await run(['status'], { status: 200, body: [PRIMARY, SECONDARY] });
    expect(result.code).toBe(0);
    expect(result.requests).toEqual([{ url: 'http://gw.example:8080/api/v4/geo_sites/status?per_page=100&page=1', headers: { 'private-token': 'admin-token' } }]);
    expect(result.out).toContain('site 2: Unhealthy — event lag 400 s is above 300 s');
    expect(result.out).toContain('    synced   [##########----------]  50.00%');
  });

  it('--json prints the raw JSON; --url and --token override the environment', async () => {
    const result = await run(['status', '--json', '--url', 'http://other:1', '--token', 'other-token'], { status: 200, body: [SECONDARY] });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out.join('\n'))).toEqual([SECONDARY]);
    expect(result.requests[0]).toEqual({ url: 'http://other:1/api/v4/geo_sites/status?per_page=100&page=1', headers: { 'private-token': 'other-token' } });
  });

  it('reads every page until a short one', async () => {
    const full = Array.from({ length: 100 }, (_, i) => ({ ...SECONDARY, geo_node_id: i + 1 }));
    let calls = 0;
    const fetchImpl = (async () => {
      calls += 1;
      return new Response(JSON.stringify(calls === 1 ? full : [PRIMARY]), { status: 200 });
    }) as typeof fetch;
    const out: string[] = [];
    const code = await runCli(['status', '--json'], [createStatusCommand({ env: { GEO_GATEWAY_URL: 'http://gw:1', GEO_ADMIN_TOKEN: 't' }, fetch: fetchImpl })], { out: (l) => out.push(l), err: () => undefined });
    expect(code).toBe(0);
    expect(calls).toBe(2);
    expect((JSON.parse(out.join('\n')) as unknown[]).length).toBe(101);
  });

  it('a refused token fails with the gateway\'s message and code', async () => {
    const result = await run(['status'], { status: 403, body: { message: '403 Forbidden', code: ErrorCodes.PERMISSION_DENIED } });
    expect(result.code).toBe(1);
    expect(result.err).toEqual([`geo: 403 Forbidden [${ErrorCodes.PERMISSION_DENIED}]`]);
  });
});
