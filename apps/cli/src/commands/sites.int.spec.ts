/**
 * `geo sites …` against a running gateway: the real gateway process (apps/gateway/src/main.ts) on a
 * migrated primary database, driven through the CLI's command table, plus one run of the `geo`
 * binary itself.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ErrorCodes } from '@geo/domain';
import { migrate } from '@geo/pg';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { Client } from 'pg';
import { runCli } from '../cli';
import { ExitCodes } from '../command';
import { createSitesCommands } from './sites';

const ROOT = join(__dirname, '..', '..', '..', '..');
const ADMIN_TOKEN = 'cli-test-admin-token-0123456789';
const SITE_NAME = 'cli-test-primary';
const run = promisify(execFile);

interface RunningGateway {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | null>;
}

/** Starts the gateway as operators do, and resolves with its URL once it logs the HTTP port. */
function startGateway(databaseUrl: string): Promise<RunningGateway> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(ROOT, 'apps', 'gateway', 'src', 'main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'],
      GEO_ROLE: 'primary',
      GEO_SITE_NAME: SITE_NAME,
      DATABASE_URL: databaseUrl,
      GEO_ADMIN_TOKEN: ADMIN_TOKEN,
      GEO_GATEWAY_HTTP_PORT: '0',
      GEO_GATEWAY_GRPC_PORT: '0',
      // No nuget app in this test: sites admin does not need it (readiness reports it down).
      GEO_NUGET_GRPC_TARGET: '127.0.0.1:1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 30_000);
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /"httpPort":(\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${match[1]}`, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${output}`));
    });
  });
}

describe('geo sites (against a running gateway)', () => {
  let db: TestDatabase;
  let gateway: RunningGateway | undefined;
  let sql: Client;
  let namespaceId: number;

  beforeAll(async () => {
    db = await createTestDatabase('geo_cli_sites');
    await migrate({ role: 'primary', databaseUrl: db.url });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    namespaceId = Number((await sql.query<{ id: string }>("INSERT INTO namespaces (name, path) VALUES ('Acme', 'acme') RETURNING id")).rows[0]!.id);
    gateway = await startGateway(db.url);
  }, 60_000);

  afterAll(async () => {
    if (gateway !== undefined && gateway.child.exitCode === null) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
    await sql?.end();
    await db?.drop();
  });

  async function geo(argv: string[], env: Record<string, string | undefined> = { GEO_GATEWAY_URL: gateway!.url, GEO_ADMIN_TOKEN: ADMIN_TOKEN }) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, createSitesCommands({ env }), { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('the gateway answers /-/health on its migrated database, and readiness names the missing nuget app', async () => {
    const health = await fetch(`${gateway!.url}/-/health`);
    expect({ status: health.status, text: await health.text() }).toEqual({ status: 200, text: 'GitLab OK' });
    const readiness = await fetch(`${gateway!.url}/-/readiness`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({ db_check: [{ status: 'ok' }], nuget_check: [{ status: 'failed' }] });
  });

  it('adds a primary, then a secondary whose credentials are printed once', async () => {
    const primary = await geo(['sites', 'add', '--name', SITE_NAME, '--site-url', 'https://primary.example.com', '--primary']);
    expect(primary).toMatchObject({ code: ExitCodes.OK, err: '' });
    expect(primary.out).toMatch(/primary\s+primary\s+yes\s+yes\s+https:\/\/primary\.example\.com\/\s+all/);
    expect(primary.out).not.toContain('access key');

    const secondary = await geo([
      'sites', 'add', '--name', 'london', '--site-url', 'https://london.example.com', '--files-max-capacity', '20',
      '--selective-sync-type', 'namespaces', '--selective-sync-namespace-ids', String(namespaceId),
    ]);
    expect(secondary.code).toBe(ExitCodes.OK);
    expect(secondary.out).toMatch(new RegExp(`london\\s+secondary\\s+yes\\s+no\\s+https://london\\.example\\.com/\\s+namespaces ${namespaceId}`));
    const { rows } = await sql.query<{ access_key: string; secret_access_key: string; files_max_capacity: number }>(
      "SELECT access_key, secret_access_key, files_max_capacity FROM geo_sites WHERE name = 'london'",
    );
    expect(secondary.out).toContain(`access key:        ${rows[0]!.access_key}`);
    expect(secondary.out).toContain(`secret access key: ${rows[0]!.secret_access_key}`);
    expect(rows[0]!.files_max_capacity).toBe(20);

    const listed = await geo(['sites', 'list']);
    expect(listed.code).toBe(ExitCodes.OK);
    expect(listed.out.split('\n')).toHaveLength(3);
    expect(listed.out).not.toContain(rows[0]!.secret_access_key);
  });

  it('prints JSON with --json (add includes the credentials, list never does)', async () => {
    const added = await geo(['sites', 'add', '--name', 'tokyo', '--site-url', 'https://tokyo.example.com', '--json']);
    expect(added.code).toBe(ExitCodes.OK);
    const site = JSON.parse(added.out) as { id: number; access_key: string; secret_access_key: string; minimum_reverification_interval: number };
    expect(site).toMatchObject({ name: 'tokyo', minimum_reverification_interval: 7, access_key: expect.any(String), secret_access_key: expect.any(String) });
    const listed = JSON.parse((await geo(['sites', 'list', '--json'])).out) as Array<Record<string, unknown>>;
    expect(listed.map((s) => s['name'])).toContain('tokyo');
    expect(JSON.stringify(listed)).not.toContain(site.secret_access_key);
  });

  it('updates settings and removes a site', async () => {
    const created = JSON.parse((await geo(['sites', 'add', '--name', 'paris', '--site-url', 'https://paris.example.com', '--json'])).out) as { id: number };
    const updated = await geo(['sites', 'update', '--id', String(created.id), '--enabled', 'false', '--verification-max-capacity', '5']);
    expect(updated.code).toBe(ExitCodes.OK);
    expect(updated.out).toMatch(/paris\s+secondary\s+no\s+no/);
    const stored = await sql.query<{ enabled: boolean; verification_max_capacity: number }>('SELECT enabled, verification_max_capacity FROM geo_sites WHERE id = $1', [created.id]);
    expect(stored.rows[0]).toEqual({ enabled: false, verification_max_capacity: 5 });

    expect(await geo(['sites', 'remove', '--id', String(created.id)])).toMatchObject({ code: ExitCodes.OK, out: `removed site ${created.id}` });
    expect((await sql.query('SELECT 1 FROM geo_sites WHERE id = $1', [created.id])).rowCount).toBe(0);
    expect(await geo(['sites', 'remove', '--id', String(created.id)])).toMatchObject({
      code: ExitCodes.FAILURE,
      err: `geo: 404 GeoSite Not Found [${ErrorCodes.NOT_FOUND}]`,
    });
  });

  it('exits 1 with the gateway\'s message and code when it refuses', async () => {
    expect(await geo(['sites', 'list'], { GEO_GATEWAY_URL: gateway!.url, GEO_ADMIN_TOKEN: 'wrong-token' })).toMatchObject({
      code: ExitCodes.FAILURE,
      err: `geo: 401 Unauthorized [${ErrorCodes.UNAUTHENTICATED}]`,
    });
    const invalid = await geo(['sites', 'add', '--name', 'bad', '--site-url', 'ftp://bad.example.com']);
    expect(invalid.code).toBe(ExitCodes.FAILURE);
    expect(invalid.err).toContain(`url is blocked: Only allowed schemes are http, https`);
    expect(invalid.err).toContain(ErrorCodes.INVALID_ARGUMENT);
    const taken = await geo(['sites', 'add', '--name', 'LONDON', '--site-url', 'https://other.example.com']);
    expect(taken).toMatchObject({ code: ExitCodes.FAILURE, err: `geo: name has already been taken [${ErrorCodes.ALREADY_EXISTS}]` });
  });

  it('exits 1 when the gateway is unreachable, and 2 on usage errors', async () => {
    const down = await geo(['sites', 'list'], { GEO_GATEWAY_URL: 'http://127.0.0.1:1', GEO_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(down.code).toBe(ExitCodes.FAILURE);
    expect(down.err).toContain(`cannot reach the gateway at http://127.0.0.1:1`);
    expect(down.err).toContain(ErrorCodes.UNAVAILABLE);
    for (const argv of [['sites', 'add', '--name', 'x'], ['sites', 'update', '--id', '1'], ['sites', 'list', '--jsn'], ['sites', 'add', '--name', 'x', '--site-url', 'https://x', '--files-max-capacity', 'many']]) {
      const usage = await geo(argv);
      expect(usage.code).toBe(ExitCodes.USAGE);
      expect(usage.err).toContain('usage: geo sites');
    }
    expect((await geo(['sites', 'list'], {})).err).toContain('missing --url (or set GEO_GATEWAY_URL)');
  });

  it('is registered in the geo binary', async () => {
    const { stdout } = await run(join(ROOT, 'tools', 'bin', 'geo'), ['sites', 'list', '--json', '--url', gateway!.url], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], GEO_ADMIN_TOKEN: ADMIN_TOKEN },
      timeout: 60_000,
    });
    expect((JSON.parse(stdout) as Array<{ name: string }>).map((s) => s.name)).toContain(SITE_NAME);
  }, 60_000);

  it('the gateway stops cleanly on SIGTERM', async () => {
    gateway!.child.kill('SIGTERM');
    expect(await gateway!.exited).toBe(0);
  }, 10_000);
});
