import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * Addresses of the real services integration tests run against. `tools/dev/services up` starts
 * (or reuses) them and writes `.dev/services.env`; explicit environment variables win.
 */
export interface TestServiceUrls {
  /** Admin connection to a PostgreSQL server (tests create their own databases through it). */
  readonly pgAdminUrl: string;
  readonly natsUrl: string;
  readonly s3Endpoint: string;
}

const WORKSPACE_ROOT = join(__dirname, '..', '..', '..');

function readServicesEnvFile(): Record<string, string> {
  const file = join(WORKSPACE_ROOT, '.dev', 'services.env');
  if (!existsSync(file)) return {};
  const entries: [string, string][] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) entries.push([m[1], m[2]]);
  }
  return Object.fromEntries(entries);
}

export function testServiceUrls(): TestServiceUrls {
  const file = readServicesEnvFile();
  const pick = (key: string, fallback: string): string => process.env[key] ?? file[key] ?? fallback;
  return {
    pgAdminUrl: pick('GEO_TEST_PG_URL', 'postgres://postgres@127.0.0.1:5432/postgres'),
    natsUrl: pick('GEO_TEST_NATS_URL', 'nats://127.0.0.1:4222'),
    s3Endpoint: pick('GEO_TEST_S3_ENDPOINT', 'http://127.0.0.1:4568'),
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database (terminating leftover connections). */
  drop(): Promise<void>;
}

/** Creates an empty, uniquely named database on the test server. */
export async function createTestDatabase(prefix = 'geo_test'): Promise<TestDatabase> {
  const { pgAdminUrl } = testServiceUrls();
  const name = uniqueName(prefix);
  const admin = new Client({ connectionString: pgAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: pgAdminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
