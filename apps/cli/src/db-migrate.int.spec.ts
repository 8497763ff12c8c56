import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { migrationFiles } from '@geo/pg';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { Client } from 'pg';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

/** Runs `npx geo …` from the workspace root, as an operator would; resolves even on non-zero exit. */
async function geo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['geo', ...args], { cwd: ROOT, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('npx geo db migrate', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('geo_cli_migrate');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('migrates a secondary tracking database, and a second run reports it up to date', async () => {
    const first = await geo(['db', 'migrate', '--role', 'secondary', '--database-url', db.url]);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain(`applied ${migrationFiles('secondary').length} migration(s) to the secondary database`);
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ ok: boolean }>("SELECT to_regclass('packages_nuget_symbol_registry') IS NOT NULL AS ok");
      expect(rows[0]?.ok).toBe(true);
    } finally {
      await c.end();
    }
    const second = await geo(['db', 'migrate', '--role', 'secondary', '--database-url', db.url]);
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout).toContain('secondary database is up to date');
  }, 120_000);

  it('exits 2 on a bad role and 1 when the database is unreachable', async () => {
    const bad = await geo(['db', 'migrate', '--role', 'tertiary', '--database-url', db.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--role must be primary or secondary');
    const down = await geo(['db', 'migrate', '--role', 'primary', '--database-url', 'postgres://postgres@127.0.0.1:1/x']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('GEO_I0001');
  }, 120_000);
});
