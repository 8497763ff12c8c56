import { ErrorCodes } from '@geo/domain';
import { parseArgs } from '../argv';
import { runCli } from '../cli';
import { ExitCodes } from '../command';
import { bulkProgress, finishedLine, progressLine } from './bulk-progress';
import { createProgressSink, type ProgressSink } from './progress-sink';
import { BULK_MUTATION, CURRENT_NODE_QUERY, registryGlobalId, UPDATE_MUTATION } from './registry-actions';
import { createRegistryActionCommands, parseRegistryActionArgs } from './resync';
import type { SiteStatusJson } from './sites-api';

const DEF = { pluralName: 'packages_nuget_symbols' };
const GID = (id: number) => `gid://gitlab/Geo::PackagesNugetSymbolRegistry/${id}`;

describe('registryGlobalId', () => {
  it.each([
    ['5', GID(5)],
    [GID(12), GID(12)],
  ])('%s → %s', (operand, gid) => {
    expect(registryGlobalId(operand)).toBe(gid);
  });

  it.each(['0', '-1', '1.5', 'abc', '05', 'gid://gitlab/Geo::OtherRegistry/5', 'gid://gitlab/Geo::PackagesNugetSymbolRegistry/0', '99999999999999999999'])('rejects %j', (operand) => {
    expect(() => registryGlobalId(operand)).toThrow('registry id must be a positive whole number or gid://gitlab/Geo::PackagesNugetSymbolRegistry/N');
  });
});

describe('parseRegistryActionArgs', () => {
  const parse = (...argv: string[]) => parseRegistryActionArgs(parseArgs(['resync', ...argv]), ['resync']);

  it.each<[string[], unknown]>([
    [['7'], { kind: 'one', registryId: GID(7) }],
    [['--all'], { kind: 'all', wait: true, timeoutSeconds: 600 }],
    [['--all', '--timeout', '30'], { kind: 'all', wait: true, timeoutSeconds: 30 }],
    [['--all', '--no-wait'], { kind: 'all', wait: false }],
  ])('%j', (argv, request) => {
    expect(parse(...argv)).toEqual(request);
  });

  it.each<[string[], string]>([
    [[], 'missing registry id (or --all)'],
    [['1', '2'], 'one registry id at a time, got 2'],
    [['x'], 'registry id must be a positive whole number'],
    [['5', '--all'], 'give a registry id or --all, not both'],
    [['--all', '5'], '--all takes no value, got "5"'],
    [['5', '--no-wait'], '--no-wait and --timeout apply to --all only'],
    [['--all', '--no-wait', '--timeout', '5'], '--timeout makes no sense with --no-wait'],
    [['--all', '--timeout', '0'], '--timeout must be a positive whole number of seconds'],
    [['--all', '--timeout'], '--timeout must be a positive whole number of seconds'],
  ])('rejects %j', (argv, message) => {
    expect(() => parse(...argv)).toThrow(message);
  });
});

function registryStatus(fields: Record<string, number | null>, updatedAt = '2026-12-08T01:00:10.000Z'): SiteStatusJson {
  return {
    geo_node_id: 2,
    healthy: true,
    health: 'Healthy',
    health_status: 'Healthy',
    updated_at: updatedAt,
    ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [`packages_nuget_symbols_${k}`, v])),
  };
}

describe('bulk progress', () => {
  it.each<[string, 'resync' | 'reverify', Record<string, number | null>, { done: number; total: number; finished: boolean } | null, string]>([
    ['resync under way', 'resync', { synced_count: 9, failed_count: 1, registry_count: 20 }, { done: 10, total: 20, finished: false }, 'resync   [##########----------]  50.00%  9 of 20 synced, 1 failed'],
    ['resync done', 'resync', { synced_count: 20, failed_count: 0, registry_count: 20 }, { done: 20, total: 20, finished: true }, 'resync   [####################] 100.00%  20 of 20 synced, 0 failed'],
    ['reverify under way', 'reverify', { verified_count: 1, verification_failed_count: 0, verification_total_count: 4 }, { done: 1, total: 4, finished: false }, 'reverify [#####---------------]  25.00%  1 of 4 verified, 0 verification failed'],
    ['nothing to do', 'reverify', { verified_count: 0, verification_failed_count: 0, verification_total_count: 0 }, { done: 0, total: 0, finished: true }, 'reverify [####################] 100.00%  0 of 0 verified, 0 verification failed'],
  ])('%s', (_what, action, fields, expected, line) => {
    const progress = bulkProgress(action, registryStatus(fields), DEF)!;
    expect(progress).toMatchObject(expected!);
    expect(progressLine(progress)).toBe(line);
  });

  it('is null for a status without registry counts (a primary)', () => {
    expect(bulkProgress('resync', registryStatus({ synced_count: null, failed_count: null, registry_count: null }), DEF)).toBeNull();
  });

  it('ends with a summary naming failures', () => {
    expect(finishedLine({ action: 'resync', done: 3, succeeded: 2, failed: 1, total: 3, finished: true })).toBe(
      'resync finished: 2 of 3 synced, 1 failed (`geo status` and the admin page show the failures)',
    );
    expect(finishedLine({ action: 'reverify', done: 0, succeeded: 0, failed: 0, total: 0, finished: true })).toBe('reverify: no registry to reverify');
  });
});

describe('createProgressSink', () => {
  function stream(isTTY: boolean) {
    const chunks: string[] = [];
    return { chunks, stream: { isTTY, write: (c: string) => chunks.push(c) } };
  }

  it('redraws one line on a TTY and ends it with a newline', () => {
    const s = stream(true);
    const sink = createProgressSink(s.stream);
    sink.update('a');
    sink.update('b');
    sink.end();
    expect(s.chunks).toEqual(['\r\x1b[2Ka', '\r\x1b[2Kb', '\n']);
  });

  it('writes plain lines elsewhere, only when they change', () => {
    const s = stream(false);
    const sink = createProgressSink(s.stream);
    for (const line of ['a', 'a', 'b']) sink.update(line);
    sink.end();
    expect(s.chunks).toEqual(['a\n', 'b\n']);
  });
});

describe('geo resync / geo reverify (commands)', () => {
  interface Sent {
    readonly path: string;
    readonly body: { query?: string; variables?: Record<string, unknown> } | undefined;
    readonly token: string | undefined;
  }

  /** A fake gateway: GraphQL answers by operation, statuses from a queue (the last one repeats). */
  function gateway(graphql: (query: string) => unknown, statuses: SiteStatusJson[][] = []) {
    const sent: Sent[] = [];
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Sent['body']) : undefined;
      sent.push({ path: url.pathname, body, token: (init?.headers as Record<string, string> | undefined)?.['private-token'] });
      const headers = { 'content-type': 'application/json', date: 'Tue, 08 Dec 2026 01:00:00 GMT' };
      if (url.pathname === '/api/graphql') return new Response(JSON.stringify(graphql(body?.query ?? '')), { status: 200, headers });
      const next = statuses.length > 1 ? statuses.shift()! : (statuses[0] ?? []);
      return new Response(JSON.stringify(next), { status: 200, headers });
    }) as typeof fetch;
    return { fetchImpl, sent };
  }

  async function run(argv: string[], gw: ReturnType<typeof gateway>, clockStep = 1_000) {
    const out: string[] = [];
    const err: string[] = [];
    const progress: string[] = [];
    const sink: ProgressSink = { update: (l) => progress.push(l), end: () => progress.push('<end>') };
    let now = Date.parse('2026-12-08T01:00:00.000Z');
    const commands = createRegistryActionCommands({
      env: { GEO_GATEWAY_URL: 'http://gw:1', GEO_ADMIN_TOKEN: 'admin-token' },
      fetch: gw.fetchImpl,
      progress: sink,
      clock: () => now,
      sleep: async (ms) => {
        now += Math.max(ms, clockStep);
      },
    });
    const code = await runCli(argv, commands, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err, progress };
  }

  const registry = { id: GID(5), state: 'STARTED', verificationState: 'SUCCEEDED', lastSyncedAt: '2026-12-08T01:00:00Z', verifiedAt: null, lastSyncFailure: null, verificationFailure: null };

  it('resyncs one registry with geoRegistriesUpdate and prints GitLab\'s message', async () => {
    const gw = gateway(() => ({ data: { geoRegistriesUpdate: { errors: [], registry } } }));
    const result = await run(['resync', '5'], gw);
    expect(result.code).toBe(ExitCodes.OK);
    expect(gw.sent).toEqual([{ path: '/api/graphql', token: 'admin-token', body: { query: UPDATE_MUTATION, variables: { registryId: GID(5), action: 'RESYNC' } } }]);
    expect(result.out).toEqual([
      `Registry entry ${GID(5)} enqueued to be resynced`,
      '  state STARTED, last synced 2026-12-08T01:00:00Z; verification SUCCEEDED, verified never',
    ]);
  });

  it('reverify sends REVERIFY; mutation errors exit 1, top-level errors exit 1 with their code', async () => {
    const failing = gateway(() => ({ data: { geoRegistriesUpdate: { errors: ['Registry entry not found'], registry: null } } }));
    const failed = await run(['reverify', GID(9)], failing);
    expect(failing.sent[0]!.body?.variables).toEqual({ registryId: GID(9), action: 'REVERIFY' });
    expect(failed).toMatchObject({ code: ExitCodes.FAILURE, err: ['geo: Registry entry not found'] });

    const refused = await run(['reverify', '9'], gateway(() => ({ data: null, errors: [{ message: '401 Unauthorized', extensions: { code: ErrorCodes.UNAUTHENTICATED } }] })));
    expect(refused).toMatchObject({ code: ExitCodes.FAILURE, err: [`geo: 401 Unauthorized [${ErrorCodes.UNAUTHENTICATED}]`] });
  });

  it('--all --no-wait returns right after geoRegistriesBulkUpdate', async () => {
    const gw = gateway(() => ({ data: { geoRegistriesBulkUpdate: { errors: [], registryClass: 'PACKAGES_NUGET_SYMBOL_REGISTRY' } } }));
    const result = await run(['resync', '--all', '--no-wait'], gw);
    expect(result.code).toBe(ExitCodes.OK);
    expect(gw.sent.map((s) => s.body)).toEqual([{ query: BULK_MUTATION, variables: { registryClass: 'PACKAGES_NUGET_SYMBOL_REGISTRY', action: 'RESYNC_ALL' } }]);
    expect(result.out).toEqual(['Every PACKAGES_NUGET_SYMBOL_REGISTRY registry was marked for resync']);
    expect(result.progress).toEqual([]);
  });

  const bulkGraphql = (query: string) =>
    query === CURRENT_NODE_QUERY
      ? { data: { geoNode: { id: 'gid://gitlab/GeoNode/2', name: 'us', primary: false } } }
      : { data: { geoRegistriesBulkUpdate: { errors: [], registryClass: 'PACKAGES_NUGET_SYMBOL_REGISTRY' } } };

  it('--all follows this site\'s status, ignoring one computed before the mutation, until every row is done', async () => {
    const before = registryStatus({ synced_count: 4, failed_count: 0, registry_count: 4 }, '2026-12-08T01:00:00.500Z');
    const other = { ...registryStatus({ synced_count: 0, failed_count: 0, registry_count: 9 }), geo_node_id: 3 };
    const gw = gateway(bulkGraphql, [
      [before, other],
      [registryStatus({ synced_count: 1, failed_count: 0, registry_count: 4 }), other],
      [registryStatus({ synced_count: 3, failed_count: 1, registry_count: 4 }), other],
    ]);
    const result = await run(['resync', '--all'], gw);
    expect(result.progress).toEqual([
      'resync: waiting for a site status computed after the request',
      'resync   [#####---------------]  25.00%  1 of 4 synced, 0 failed',
      'resync   [####################] 100.00%  3 of 4 synced, 1 failed',
      '<end>',
    ]);
    expect(result.out).toEqual([
      'Every PACKAGES_NUGET_SYMBOL_REGISTRY registry was marked for resync',
      'resync finished: 3 of 4 synced, 1 failed (`geo status` and the admin page show the failures)',
    ]);
    expect(result.code).toBe(ExitCodes.FAILURE);
    expect(gw.sent.filter((s) => s.path === '/api/v4/geo_sites/status')).toHaveLength(3);
  });

  it('--all --json prints the payload with the final progress; exit 0 when nothing failed', async () => {
    const gw = gateway(bulkGraphql, [[registryStatus({ verified_count: 2, verification_failed_count: 0, verification_total_count: 2 })]]);
    const result = await run(['reverify', '--all', '--json'], gw);
    expect(result.code).toBe(ExitCodes.OK);
    expect(JSON.parse(result.out.join('\n'))).toEqual({
      errors: [],
      registryClass: 'PACKAGES_NUGET_SYMBOL_REGISTRY',
      progress: { action: 'reverify', done: 2, succeeded: 2, failed: 0, total: 2, finished: true },
    });
  });

  it('--all gives up after --timeout with TIMEOUT, saying where it got', async () => {
    const gw = gateway(bulkGraphql, [[registryStatus({ synced_count: 1, failed_count: 0, registry_count: 4 })]]);
    const result = await run(['resync', '--all', '--timeout', '5'], gw);
    expect(result.code).toBe(ExitCodes.FAILURE);
    expect(result.err).toEqual([
      `geo: resync not finished after 5 s (resync [#####---------------] 25.00% 1 of 4 synced, 0 failed); it goes on in the background: \`geo status\` shows the progress [${ErrorCodes.TIMEOUT}]`,
    ]);
    expect(result.progress.at(-1)).toBe('<end>');
  });

  it.each([[['resync']], [['resync', 'five']], [['reverify', '1', '--timeout', '3']], [['resync', '--all', '--wait']]])('exits 2 on %j without calling the gateway', async (argv) => {
    const gw = gateway(() => {
      throw new Error('must not be called');
    });
    const result = await run(argv, gw);
    expect(result.code).toBe(ExitCodes.USAGE);
    expect(result.err.join('\n')).toContain(`usage: geo ${argv[0]} <registry id> | --all`);
    expect(gw.sent).toEqual([]);
  });
});
