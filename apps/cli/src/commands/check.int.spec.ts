/**
 * `geo check` against real sites: the primary's status, registry and nuget apps and its gateway run
 * as real processes on a migrated primary database and a private nats-server; a secondary's status
 * app (pushing to the primary) and gateway on their own. The primary passes every check once the
 * secondary's status reached it; the secondary fails (no event-log consumer runs, no nuget app),
 * as does the primary once a site that never reports is added, or with a refused token.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Pool } from 'pg';
import { geoEventsStream } from '@geo/nats';
import { createPool, migrate } from '@geo/pg';
import { appProcess, type AppProcess, createSitePair, freePort, type SitePair, uniqueName, waitFor } from '@geo/testing';
import { runCli } from '../cli';
import { ExitCodes } from '../command';
import { createCheckCommand } from './check';
import type { CheckResult } from './check-verdicts';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '..', '..', '..', '..');
const ADMIN_TOKEN = 'cli-check-admin-token-0123456789';
const SECRET = 'c'.repeat(40);

let sites: SitePair;
let pgPrimary: Pool;
let primaryName: string;
let primaryId: number;
let secondaryId: number;
let primaryUrl: string;
let secondaryUrl: string;
let apps: AppProcess[] = [];

beforeAll(async () => {
  const [primaryStatusPort, registryPort, nugetPort, primaryHttpPort, secondaryStatusPort, secondaryHttpPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  sites = await createSitePair('cli_check', {
    pg: { migrate, createPool },
    primaryStreams: [geoEventsStream()],
    primaryGrpcUrl: `http://127.0.0.1:${registryPort}`,
    primaryStatusGrpcUrl: `http://127.0.0.1:${primaryStatusPort}`,
  });
  const { primary, secondary } = sites;
  [pgPrimary, primaryName, primaryId, secondaryId] = [primary.pool, primary.name, primary.id, secondary.id];
  primaryUrl = `http://127.0.0.1:${primaryHttpPort}`;
  secondaryUrl = `http://127.0.0.1:${secondaryHttpPort}`;
  const gatewayEnv = (statusPort: number, httpPort: number) => ({
    GEO_ADMIN_TOKEN: ADMIN_TOKEN,
    GEO_GATEWAY_HTTP_PORT: String(httpPort),
    GEO_GATEWAY_GRPC_PORT: '0',
    GEO_STATUS_GRPC_TARGET: `127.0.0.1:${statusPort}`,
  });
  const primaryApps = [
    appProcess('status', { ...primary.env, GEO_STATUS_INTERVAL_SECONDS: '1', GEO_STATUS_GRPC_PORT: String(primaryStatusPort) }),
    appProcess('registry', { ...primary.env, GEO_REGISTRY_GRPC_PORT: String(registryPort) }),
    appProcess('nuget', { ...primary.env, GEO_NUGET_GRPC_PORT: String(nugetPort) }),
    appProcess('gateway', { ...primary.env, ...gatewayEnv(primaryStatusPort, primaryHttpPort), GEO_NUGET_GRPC_TARGET: `127.0.0.1:${nugetPort}` }),
  ];
  const secondaryApps = [
    appProcess('status', { ...secondary.env, GEO_STATUS_INTERVAL_SECONDS: '1', GEO_STATUS_GRPC_PORT: String(secondaryStatusPort) }),
    // No nuget app on this site: its readiness fails, one of the secondary's failures below.
    appProcess('gateway', { ...secondary.env, ...gatewayEnv(secondaryStatusPort, secondaryHttpPort), GEO_NUGET_GRPC_TARGET: '127.0.0.1:1', GEO_PRIMARY_HTTP_URL: primaryUrl }),
  ];
  apps = [...primaryApps, ...secondaryApps];
  await Promise.all(primaryApps.map((app) => app.start()));
  await Promise.all(secondaryApps.map((app) => app.start()));
});

afterAll(async () => {
  for (const app of [...apps].reverse()) await app.stop();
  await sites?.dispose();
});

async function geoCheck(url: string, token = ADMIN_TOKEN) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['check', '--json'], [createCheckCommand({ env: { GEO_GATEWAY_URL: url, GEO_ADMIN_TOKEN: token } })], { out: (l) => out.push(l), err: (l) => err.push(l) });
  expect(err).toEqual([]);
  const json = JSON.parse(out.join('\n')) as { ok: boolean; checks: CheckResult[] };
  const outcome = (check: string) => json.checks.find((c) => c.check === check)?.outcome;
  return { code, json, outcome, failed: json.checks.filter((c) => c.outcome === 'no').map((c) => c.check) };
}

/** The secondary pushes its status every second; until it reached the primary that check fails. */
async function secondaryReported(): Promise<void> {
  await waitFor(
    async () => {
      const response = await fetch(`${primaryUrl}/api/v4/geo_sites/status`, { headers: { 'private-token': ADMIN_TOKEN } });
      const list = (await response.json()) as Array<{ geo_node_id: number | null }>;
      if (list.some((s) => s.geo_node_id === secondaryId)) return true;
      await new Promise((resolve) => setTimeout(resolve, 250));
      return false;
    },
    "the secondary's status on the primary",
    60_000,
  );
}

describe('geo check on the primary', () => {
  it('passes every check: reachable, ready, token, known site, fresh healthy status, the secondary reports, clock', async () => {
    await secondaryReported();
    const result = await geoCheck(primaryUrl);
    expect(result.failed).toEqual([]);
    expect(result.code).toBe(ExitCodes.OK);
    expect(result.json.checks.map((c) => [c.check, c.outcome])).toEqual([
      ['Gateway is reachable', 'yes'],
      ['Gateway is ready', 'yes'],
      ['Admin token is accepted', 'yes'],
      ['This site is a known Geo site', 'yes'],
      ['Site status is available and fresh', 'yes'],
      ['Site is healthy', 'yes'],
      [expect.stringMatching(/^Secondary site "us-.*" \(#\d+\) reports to the primary$/), 'yes'],
      ['Machine clock is synchronized', 'yes'],
    ]);
    expect(result.json.checks[3]!.detail).toBe(`primary site "${primaryName}" (#${primaryId})`);
  });

  it('fails for a secondary that never reports, and for a refused token', async () => {
    const ap = uniqueName('ap').replace(/_/g, '-');
    const { rows } = await pgPrimary.query<{ id: string }>(`INSERT INTO geo_sites (name, url, access_key, secret_access_key) VALUES ($1, 'https://ap.example/', $2, $3) RETURNING id`, [
      ap,
      uniqueName('AK'),
      SECRET,
    ]);
    try {
      const result = await geoCheck(primaryUrl);
      expect(result.code).toBe(ExitCodes.FAILURE);
      expect(result.failed).toEqual([`Secondary site "${ap}" (#${rows[0]!.id}) reports to the primary`]);
    } finally {
      await pgPrimary.query('DELETE FROM geo_sites WHERE id = $1', [rows[0]!.id]);
    }

    const refused = await geoCheck(primaryUrl, `${ADMIN_TOKEN}-wrong`);
    expect(refused.code).toBe(ExitCodes.FAILURE);
    expect(refused.failed).toEqual(['Admin token is accepted']);
    expect(refused.outcome('Site is healthy')).toBe('skipped');
  });
});

describe('geo check on the secondary', () => {
  it('knows its site (geo_sites read through the primary) but fails readiness (no nuget app) and event-log consumption (no consumer)', async () => {
    const result = await geoCheck(secondaryUrl);
    expect(result.code).toBe(ExitCodes.FAILURE);
    expect(result.outcome('This site is a known Geo site')).toBe('yes');
    expect(result.json.checks.find((c) => c.check === 'This site is a known Geo site')?.detail).toBe(`secondary site "${sites.secondary.name}" (#${secondaryId})`);
    expect(result.failed).toEqual(expect.arrayContaining(['Gateway is ready', 'Secondary consumes the event log']));
    expect(result.json.checks.find((c) => c.check === 'Gateway is ready')?.detail).toMatch(/^nuget_check: /);
    expect(result.json.checks.find((c) => c.check === 'Secondary consumes the event log')?.detail).toContain('event lag unknown');
  });

  it('the geo binary exits 1 and prints the verdict lines', async () => {
    const run = promisify(execFile);
    const failure = await run(join(ROOT, 'tools', 'bin', 'geo'), ['check', '--url', secondaryUrl], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], GEO_ADMIN_TOKEN: ADMIN_TOKEN },
      timeout: 60_000,
    }).then(
      () => undefined,
      (error: { code?: number; stdout?: string }) => error,
    );
    expect(failure?.code).toBe(ExitCodes.FAILURE);
    expect(failure?.stdout).toContain('Checking Geo ...');
    expect(failure?.stdout).toMatch(/\nGateway is reachable \.\.\. yes \(/);
    expect(failure?.stdout).toMatch(/\nSecondary consumes the event log \.\.\. no \(/);
  }, 60_000);
});
