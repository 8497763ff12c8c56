/**
 * `geo resync|reverify` against a real secondary: its registry app (tracking database with rows the
 * consistency sweep backfilled from the primary's catalogue), status app and gateway run as real
 * processes, the primary's registry app serves the catalogue. The commands go through the gateway's
 * GraphQL mutations; the tests read the registry rows in PostgreSQL to see them change. No
 * blob-transfer or checksum app runs, so rows the commands make pending stay so; where a bulk wait
 * has to finish, the test plays the checksum worker by writing the verification result.
 */
import type { Pool } from 'pg';
import { ErrorCodes } from '@geo/domain';
import { createPool, migrate } from '@geo/pg';
import { appProcess, type AppProcess, createSitePair, freePort, seedPrimarySymbols, type SitePair, waitFor } from '@geo/testing';
import { runCli } from '../cli';
import { ExitCodes } from '../command';
import { createRegistryActionCommands } from './resync';

jest.setTimeout(240_000);

const ADMIN_TOKEN = 'cli-resync-admin-token-0123456789';
const SYMBOLS = 3;
const REGISTRY = 'packages_nuget_symbol_registry';
const GID = (id: number) => `gid://gitlab/Geo::PackagesNugetSymbolRegistry/${id}`;

let sites: SitePair;
let pgSecondary: Pool;
let gatewayUrl: string;
let apps: AppProcess[] = [];

interface Row {
  readonly id: number;
  readonly state: number;
  readonly verification_state: number;
}

async function rows(): Promise<Row[]> {
  const { rows: found } = await pgSecondary.query<{ id: string; state: number; verification_state: number }>(`SELECT id, state, verification_state FROM ${REGISTRY} ORDER BY id`);
  return found.map((r) => ({ id: Number(r.id), state: r.state, verification_state: r.verification_state }));
}

/** What a finished sync and verification leave behind (the blob-transfer and checksum apps do not run here). */
async function markSyncedAndVerified(): Promise<void> {
  await pgSecondary.query(`UPDATE ${REGISTRY} SET state = 2, last_synced_at = now(), verification_state = 2, verified_at = now(), verification_checksum = '\\x00'::bytea`);
}

beforeAll(async () => {
  const [primaryRegistryPort, registryPort, statusPort, httpPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  sites = await createSitePair('cli_resync', {
    pg: { migrate, createPool },
    primaryGrpcUrl: `http://127.0.0.1:${primaryRegistryPort}`,
    // No primary status app: the secondary's pushes fail, which its health reports; resync does not care.
    primaryStatusGrpcUrl: 'http://127.0.0.1:1',
  });
  const { primary, secondary } = sites;
  pgSecondary = secondary.pool;
  await seedPrimarySymbols(primary.pool, SYMBOLS);

  gatewayUrl = `http://127.0.0.1:${httpPort}`;
  const primaryRegistry = appProcess('registry', { ...primary.env, GEO_REGISTRY_GRPC_PORT: String(primaryRegistryPort) });
  const secondaryApps = [
    appProcess('registry', { ...secondary.env, GEO_REGISTRY_GRPC_PORT: String(registryPort) }),
    appProcess('status', { ...secondary.env, GEO_STATUS_INTERVAL_SECONDS: '1', GEO_STATUS_GRPC_PORT: String(statusPort) }),
    appProcess('gateway', {
      ...secondary.env,
      GEO_ADMIN_TOKEN: ADMIN_TOKEN,
      GEO_GATEWAY_HTTP_PORT: String(httpPort),
      GEO_GATEWAY_GRPC_PORT: '0',
      GEO_STATUS_GRPC_TARGET: `127.0.0.1:${statusPort}`,
      GEO_REGISTRY_GRPC_TARGET: `127.0.0.1:${registryPort}`,
      GEO_NUGET_GRPC_TARGET: '127.0.0.1:1',
      GEO_PRIMARY_HTTP_URL: 'http://127.0.0.1:1',
    }),
  ];
  apps = [primaryRegistry, ...secondaryApps];
  await primaryRegistry.start();
  await Promise.all(secondaryApps.map((app) => app.start()));
  // The consistency sweep backfills one registry row per primary symbol (and the scheduler starts them).
  await waitFor(async () => (await rows()).length === SYMBOLS || (await new Promise((r) => setTimeout(r, 200)), false), 'the registry backfill', 60_000);
});

afterAll(async () => {
  for (const app of [...apps].reverse()) await app.stop();
  await sites?.dispose();
});

async function geo(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  const commands = createRegistryActionCommands({
    env: { GEO_GATEWAY_URL: gatewayUrl, GEO_ADMIN_TOKEN: ADMIN_TOKEN },
    progress: { update: (l) => progress.push(l), end: () => progress.push('<end>') },
    pollMs: 250,
  });
  const code = await runCli(argv, commands, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err, progress };
}

describe('geo resync / reverify <registry id>', () => {
  beforeEach(markSyncedAndVerified);

  it('resync starts that synced row again (and no other)', async () => {
    const [first, ...others] = await rows();
    const result = await geo(['resync', String(first!.id)]);
    expect(result.err).toEqual([]);
    expect(result.code).toBe(ExitCodes.OK);
    expect(result.out[0]).toBe(`Registry entry ${GID(first!.id)} enqueued to be resynced`);
    expect(result.out[1]).toMatch(/^ {2}state STARTED, last synced \S+; verification SUCCEEDED, verified \S+$/);
    const after = await rows();
    expect(after.find((r) => r.id === first!.id)?.state).toBe(1);
    expect(after.filter((r) => r.id !== first!.id).map((r) => r.state)).toEqual(others.map(() => 2));
  });

  it('reverify makes that row\'s verification pending', async () => {
    const target = (await rows())[1]!;
    const result = await geo(['reverify', GID(target.id), '--json']);
    expect(result.code).toBe(ExitCodes.OK);
    expect(JSON.parse(result.out.join('\n'))).toMatchObject({ errors: [], registry: { id: GID(target.id), state: 'SYNCED', verificationState: 'PENDING' } });
    expect((await rows()).map((r) => r.verification_state)).toEqual((await rows()).map((r) => (r.id === target.id ? 0 : 2)));
  });

  it('an unknown registry id fails with exit 1; a malformed one is a usage error', async () => {
    const unknown = await geo(['resync', '999999']);
    expect(unknown.code).toBe(ExitCodes.FAILURE);
    expect(unknown.err.join('\n')).toContain("The resource that you are attempting to access does not exist or you don't have permission to perform this action");
    expect(unknown.err.join('\n')).toContain(ErrorCodes.NOT_FOUND);
    expect((await geo(['resync', 'gid://gitlab/Geo::Other/1'])).code).toBe(ExitCodes.USAGE);
    expect((await rows()).every((r) => r.state === 2)).toBe(true);
  });
});

describe('geo resync / reverify --all', () => {
  beforeEach(markSyncedAndVerified);

  it('resync --all --no-wait returns at once with every row marked for resync', async () => {
    const result = await geo(['resync', '--all', '--no-wait']);
    expect(result).toMatchObject({ code: ExitCodes.OK, out: ['Every PACKAGES_NUGET_SYMBOL_REGISTRY registry was marked for resync'], progress: [] });
    // Pending now, or already started again by the scheduler; none is synced any more.
    expect((await rows()).map((r) => r.state).every((s) => s === 0 || s === 1)).toBe(true);
  });

  it('resync --all waits for the status and gives up after --timeout when nothing syncs', async () => {
    const result = await geo(['resync', '--all', '--timeout', '6']);
    expect(result.code).toBe(ExitCodes.FAILURE);
    expect(result.err.join('\n')).toMatch(new RegExp(`resync not finished after 6 s \\(resync \\[-+\\] 0\\.00% 0 of ${SYMBOLS} synced, 0 failed\\).*\\[${ErrorCodes.TIMEOUT}\\]`));
    expect(result.progress).toContain(`resync   [--------------------]   0.00%  0 of ${SYMBOLS} synced, 0 failed`);
    expect(result.progress.at(-1)).toBe('<end>');
  });

  it('reverify --all draws progress from the status until every row is verified again', async () => {
    const running = geo(['reverify', '--all']);
    // Play the checksum worker: once the mutation made the rows pending, verify one, then the rest.
    await waitFor(async () => (await rows()).every((r) => r.verification_state === 0) || (await new Promise((r) => setTimeout(r, 100)), false), 'verification pending', 30_000);
    const [first] = await rows();
    await pgSecondary.query(`UPDATE ${REGISTRY} SET verification_state = 2, verified_at = now() WHERE id = $1`, [first!.id]);
    await new Promise((r) => setTimeout(r, 4_000));
    await pgSecondary.query(`UPDATE ${REGISTRY} SET verification_state = 2, verified_at = now()`);
    const result = await running;
    expect(result.err).toEqual([]);
    expect(result.code).toBe(ExitCodes.OK);
    expect(result.out).toEqual(['Every synced PACKAGES_NUGET_SYMBOL_REGISTRY registry was marked for reverification', `reverify finished: ${SYMBOLS} of ${SYMBOLS} verified, 0 verification failed`]);
    expect(result.progress).toContain(`reverify [#######-------------]  33.33%  1 of ${SYMBOLS} verified, 0 verification failed`);
    expect(result.progress.slice(-2)).toEqual([`reverify [####################] 100.00%  ${SYMBOLS} of ${SYMBOLS} verified, 0 verification failed`, '<end>']);
  });
});
