import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, GeoError } from '@geo/domain';
import { runner, type RunnerOption } from 'node-pg-migrate';
import { Client, type Pool } from 'pg';
import { mapPgError } from '../errors';
import type { DatabaseRole, MigrationUp, RoleMigration } from './role';

/**
 * Forward-only migrations with node-pg-migrate. Layout: `migrations/<role>/*.ts` hold the role's own
 * migrations (exporting `up`), `migrations/replicables/*.ts` hold one migration per replicable type
 * (exporting `migration: RoleMigration`), applied to both roles. Names sort by their numeric prefix
 * (`YYYYMMDDHHMMSS_kebab-name.ts`) across both directories.
 */
const MIGRATIONS_ROOT = __dirname;
const SHARED_DIR = 'replicables';
const FILE_NAME = /^(\d{14})_[a-z0-9-]+\.ts$/;

/** The table recording applied migrations, one per role so a role's history is self-contained. */
export function migrationsTable(role: DatabaseRole): string {
  return `geo_schema_migrations_${role}`;
}

/** Migration files of a role, absolute paths in application order. */
export function migrationFiles(role: DatabaseRole): string[] {
  const files: string[] = [];
  for (const dir of [role, SHARED_DIR]) {
    for (const name of readdirSync(join(MIGRATIONS_ROOT, dir))) {
      if (name.endsWith('.spec.ts')) continue;
      if (!FILE_NAME.test(name)) {
        throw new GeoError(ErrorCodes.INTERNAL, `migration file ${dir}/${name} does not match YYYYMMDDHHMMSS_name.ts`);
      }
      files.push(join(MIGRATIONS_ROOT, dir, name));
    }
  }
  return files.sort((a, b) => migrationName(a).localeCompare(migrationName(b)));
}

/** node-pg-migrate's name of a migration: its file name without extension. */
export function migrationName(filePath: string): string {
  return (filePath.split('/').pop() ?? filePath).replace(/\.ts$/, '');
}

function isFunction(value: unknown): value is MigrationUp {
  return typeof value === 'function';
}

function upFor(module: unknown, role: DatabaseRole, filePath: string): MigrationUp {
  const exports = (typeof module === 'object' && module !== null ? module : {}) as {
    up?: unknown;
    migration?: Partial<RoleMigration>;
  };
  const up = exports.up ?? exports.migration?.[role];
  if (!isFunction(up)) {
    throw new GeoError(ErrorCodes.INTERNAL, `migration ${filePath} exports neither up() nor migration.${role}()`);
  }
  return up;
}

/**
 * node-pg-migrate normally loads migration files with its own jiti instance, which knows neither
 * tsx's nor jest's module system (so `@geo/*` aliases and shared module instances break). This
 * loader uses the host's `require` instead: tsx and jest both compile `.ts` and map the aliases, and
 * it is also where a role picks its half of a shared `RoleMigration`.
 */
function hostRequireLoader(role: DatabaseRole) {
  return async (filePaths: string[]) =>
    filePaths.map((filePath) => {
      if (!FILE_NAME.test(filePath.split('/').pop() ?? '')) {
        throw new GeoError(ErrorCodes.INTERNAL, `unexpected migration file ${filePath}`);
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- see the doc comment: the host runtime must load migrations
      const module: unknown = require(filePath);
      return { id: filePath, filePaths: [filePath], actions: { up: upFor(module, role, filePath), down: false as const } };
    });
}

export interface MigrateOptions {
  readonly role: DatabaseRole;
  readonly databaseUrl: string;
  /** Receives node-pg-migrate's progress lines; silent by default. */
  readonly log?: (message: string) => void;
}

/** Result of a migration run: the names applied now (empty when the database was up to date). */
export interface MigrateResult {
  readonly applied: readonly string[];
}

/**
 * Brings the role's database up to date. Idempotent (already-applied migrations are skipped), safe
 * to run from every service at start-up (an advisory lock serialises concurrent runs), and all
 * pending migrations run in one transaction.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const log = options.log ?? (() => undefined);
  const files = migrationFiles(options.role);
  // Our own client rather than `databaseUrl`: node-pg-migrate neither awaits `end()` on the client it
  // creates nor listens for its `error` event, so a server-side disconnect right after a run (a
  // restart, DROP DATABASE … FORCE in tests) would crash the process with an unhandled error.
  const client = new Client({ connectionString: options.databaseUrl, application_name: `geo-migrate-${options.role}` });
  client.on('error', (error) => log(`migration connection error: ${error.message}`));
  try {
    await client.connect();
    const config: RunnerOption = {
      dbClient: client,
      migrationsTable: migrationsTable(options.role),
      dir: files,
      useGlob: true,
      direction: 'up',
      singleTransaction: true,
      advisoryLockMode: 'wait',
      migrationLoaderStrategies: [{ extensions: ['.ts'], loader: hostRequireLoader(options.role) }],
      logger: { debug: () => undefined, info: log, warn: log, error: log },
    };
    const applied = await runner(config);
    return { applied: applied.map((m) => m.name) };
  } catch (error) {
    throw mapPgError(error, `migrate ${options.role} database`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Fails start-up with a clear message when the database lacks migrations this code expects (the
 * service was deployed before `geo db migrate` ran). Migrations unknown to this code are tolerated:
 * during a rolling upgrade the database may be ahead of an old replica.
 */
export async function assertMigrated(pool: Pool, role: DatabaseRole): Promise<void> {
  const expected = migrationFiles(role).map(migrationName);
  const table = migrationsTable(role);
  let applied: Set<string>;
  try {
    const exists = await pool.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
    applied = exists.rows[0]?.exists
      ? new Set((await pool.query<{ name: string }>(`SELECT name FROM ${table}`)).rows.map((r) => r.name))
      : new Set();
  } catch (error) {
    throw mapPgError(error, `check ${role} schema version`);
  }
  const missing = expected.filter((name) => !applied.has(name));
  if (missing.length > 0) {
    throw new GeoError(
      ErrorCodes.SCHEMA_OUT_OF_DATE,
      `the ${role} database schema is behind this code: ${missing.length} migration(s) not applied (${missing.join(', ')}). ` +
        `Run: geo db migrate --role ${role} --database-url <url>`,
      { details: { role, missing } },
    );
  }
}
