import { hexToBytea, mappingPgErrors, withTransaction, type GeoEventWriter, type NewGeoEvent, type SqlExecutor } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import type { Pool } from 'pg';
import {
  NUGET_PACKAGE_TYPE,
  PACKAGE_STATUS_DEFAULT,
  type NewPackageFile,
  type NewSymbol,
  type PackageRecord,
  type ProjectCredentials,
  type SymbolRecord,
} from '../domain/model';
import type { LockedPackage, PackageStore, PackageWriteTx } from '../ports';
import { fromSymbolDbRow, SYMBOL_COLUMNS, type SymbolDbRow } from './symbol-rows';
import { toId } from './sql-values';

// Table and column names of the replicable come from its definition, like every other adapter.
const STATES_TABLE = packagesNugetSymbol.stateTable;
const STATES_FK = packagesNugetSymbol.modelForeignKey;

interface PackageDbRow {
  id: string;
  project_id: string;
  name: string;
  version: string;
}

function fromPackageDbRow(row: PackageDbRow): PackageRecord {
  return { id: toId(row.id, 'packages_packages.id'), projectId: toId(row.project_id, 'packages_packages.project_id'), name: row.name, version: row.version };
}

/**
 * Case-insensitive NuGet package match within a project (served by the unique index on
 * `(project_id, lower(name), lower(version), package_type)`).
 */
const PACKAGE_MATCH = 'project_id = $1 AND lower(name) = lower($2) AND lower(version) = lower($3) AND package_type = $4';

class PgPackageWriteTx implements PackageWriteTx {
  constructor(
    private readonly tx: SqlExecutor,
    private readonly events: GeoEventWriter,
  ) {}

  lockPackage(projectId: number, name: string, version: string): Promise<LockedPackage | null> {
    return mappingPgErrors('lock packages_packages', async () => {
      const locked = await this.tx.query<PackageDbRow>(
        `SELECT id, project_id, name, version FROM packages_packages WHERE ${PACKAGE_MATCH} ORDER BY id LIMIT 1 FOR UPDATE`,
        [projectId, name, version, NUGET_PACKAGE_TYPE],
      );
      const row = locked.rows[0];
      if (row === undefined) return null;
      // A separate statement on purpose: it takes a new snapshot AFTER the lock was granted, so it sees
      // the symbols of a concurrent push that held the lock first. An EXISTS inside the locking SELECT
      // would use that statement's older snapshot and miss them.
      const symbols = await this.tx.query<{ exists: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM packages_nuget_symbols WHERE package_id = $1) AS exists',
        [row.id],
      );
      return { ...fromPackageDbRow(row), hasSymbols: symbols.rows[0]?.exists === true };
    });
  }

  insertPackage(pkg: PackageRecord): Promise<void> {
    return mappingPgErrors('insert packages_packages', async () => {
      await this.tx.query(
        'INSERT INTO packages_packages (id, project_id, name, version, package_type, status) VALUES ($1, $2, $3, $4, $5, $6)',
        [pkg.id, pkg.projectId, pkg.name, pkg.version, NUGET_PACKAGE_TYPE, PACKAGE_STATUS_DEFAULT],
      );
    });
  }

  insertPackageFile(file: NewPackageFile): Promise<void> {
    return mappingPgErrors('insert packages_package_files', async () => {
      await this.tx.query(
        `INSERT INTO packages_package_files (package_id, file_name, size, file_sha256, file_store, object_storage_key)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [file.packageId, file.fileName, file.size, hexToBytea(file.fileSha256), file.fileStore, file.objectStorageKey],
      );
    });
  }

  insertSymbolsWithPendingStates(symbols: readonly NewSymbol[]): Promise<SymbolRecord[]> {
    if (symbols.length === 0) return Promise.resolve([]);
    return mappingPgErrors('insert packages_nuget_symbols', async () => {
      // One statement for the whole package (up to 100 PDBs) and its state rows (verification_state
      // defaults to pending); WITH ORDINALITY keeps input order.
      const result = await this.tx.query<SymbolDbRow & { n: string }>(
        `WITH inserted AS (
           INSERT INTO packages_nuget_symbols
             (created_at, updated_at, project_id, package_id, file, file_path, signature, size, file_sha256, file_store, object_storage_key)
           SELECT now(), now(), t.project_id, t.package_id, t.file, t.file_path, t.signature, t.size, decode(t.sha, 'hex'), t.file_store, t.key
           FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::smallint[], $9::text[])
             WITH ORDINALITY AS t(project_id, package_id, file, file_path, signature, size, sha, file_store, key, n)
           ORDER BY t.n
           RETURNING ${SYMBOL_COLUMNS}
         ), states AS (
           INSERT INTO ${STATES_TABLE} (${STATES_FK}) SELECT id FROM inserted
         )
         SELECT * FROM inserted`,
        [
          symbols.map((s) => s.projectId),
          symbols.map((s) => s.packageId),
          symbols.map((s) => s.file),
          symbols.map((s) => s.filePath),
          symbols.map((s) => s.signature),
          symbols.map((s) => s.size),
          symbols.map((s) => s.fileSha256),
          symbols.map((s) => s.fileStore),
          symbols.map((s) => s.objectStorageKey),
        ],
      );
      // RETURNING order follows the insert order in practice but is not guaranteed; ids are.
      return result.rows.map(fromSymbolDbRow).sort((a, b) => a.id - b.id);
    });
  }

  async appendEvents(events: readonly NewGeoEvent[]): Promise<void> {
    await this.events.write(this.tx, events);
  }

  listSymbols(packageId: number): Promise<SymbolRecord[]> {
    return mappingPgErrors('list packages_nuget_symbols', async () => {
      const result = await this.tx.query<SymbolDbRow>(`SELECT ${SYMBOL_COLUMNS} FROM packages_nuget_symbols WHERE package_id = $1 ORDER BY id`, [packageId]);
      return result.rows.map(fromSymbolDbRow);
    });
  }

  deleteSymbols(symbolIds: readonly number[]): Promise<number> {
    if (symbolIds.length === 0) return Promise.resolve(0);
    return mappingPgErrors('delete packages_nuget_symbols', async () => {
      const result = await this.tx.query('DELETE FROM packages_nuget_symbols WHERE id = ANY($1::bigint[])', [symbolIds]);
      return result.rowCount ?? 0;
    });
  }

  deletePackageFiles(packageId: number): Promise<string[]> {
    return mappingPgErrors('delete packages_package_files', async () => {
      const result = await this.tx.query<{ object_storage_key: string }>(
        'DELETE FROM packages_package_files WHERE package_id = $1 RETURNING object_storage_key',
        [packageId],
      );
      return result.rows.map((r) => r.object_storage_key);
    });
  }

  deletePackage(packageId: number): Promise<void> {
    return mappingPgErrors('delete packages_packages', async () => {
      await this.tx.query('DELETE FROM packages_packages WHERE id = $1', [packageId]);
    });
  }
}

/** `PackageStore` on the primary's PostgreSQL; events go through the shared `GeoEventWriter`. */
export class PgPackageStore implements PackageStore {
  constructor(
    private readonly pool: Pool,
    private readonly events: GeoEventWriter,
  ) {}

  findProjectCredentials(projectId: number): Promise<ProjectCredentials | null> {
    return mappingPgErrors('read projects', async () => {
      const result = await this.pool.query<{ id: string; nuget_api_key_digest: string | null }>(
        'SELECT id, nuget_api_key_digest FROM projects WHERE id = $1',
        [projectId],
      );
      const row = result.rows[0];
      return row === undefined ? null : { id: toId(row.id, 'projects.id'), nugetApiKeyDigest: row.nuget_api_key_digest };
    });
  }

  packageExists(projectId: number, name: string, version: string): Promise<boolean> {
    return mappingPgErrors('read packages_packages', async () => {
      const result = await this.pool.query<{ exists: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM packages_packages WHERE ${PACKAGE_MATCH}) AS exists`,
        [projectId, name, version, NUGET_PACKAGE_TYPE],
      );
      return result.rows[0]?.exists === true;
    });
  }

  reservePackageId(): Promise<number> {
    return mappingPgErrors('reserve packages_packages id', async () => {
      const result = await this.pool.query<{ id: string }>("SELECT nextval(pg_get_serial_sequence('packages_packages', 'id')) AS id");
      const row = result.rows[0];
      if (row === undefined) throw new Error('nextval returned no row');
      return toId(row.id, 'packages_packages.id');
    });
  }

  /** BEGIN/COMMIT failures are mapped like any statement's; errors thrown by `fn` pass through as they are. */
  transaction<T>(fn: (tx: PackageWriteTx) => Promise<T>): Promise<T> {
    return mappingPgErrors('nuget package transaction', () => withTransaction(this.pool, (client) => fn(new PgPackageWriteTx(client, this.events))));
  }
}
