import type { Pool } from 'pg';
import { uniqueName } from './services';

/**
 * `count` NuGet symbol rows on a primary, as the nuget app stores them (namespace → project →
 * package → symbols, each with its verification state row), without blobs: for tests of what the
 * catalogue, sweep and surfaces do with records. Returns the symbols' ids.
 */
export async function seedPrimarySymbols(pool: Pool, count: number): Promise<number[]> {
  const tag = uniqueName('m');
  const ns = await pool.query<{ id: string }>('INSERT INTO namespaces (name, path) VALUES ($1, $1) RETURNING id', [`group-${tag}`]);
  const project = await pool.query<{ id: string }>("INSERT INTO projects (name, path, namespace_id) VALUES ('p', 'p', $1) RETURNING id", [ns.rows[0]!.id]);
  const pkg = await pool.query<{ id: string }>("INSERT INTO packages_packages (project_id, name, version, package_type) VALUES ($1, 'Pkg', '1.0.0', 4) RETURNING id", [project.rows[0]!.id]);
  const rows = await pool.query<{ id: string }>(
    `INSERT INTO packages_nuget_symbols (created_at, updated_at, package_id, project_id, size, file_store, file, file_path, signature, object_storage_key)
     SELECT now(), now(), $1, $2, 100, 1, 'file.pdb', 'file.pdb', $3 || '-' || n, 'packages/nuget/symbols/' || $3 || '/' || n || '/file.pdb'
     FROM generate_series(1, $4::int) AS n RETURNING id`,
    [pkg.rows[0]!.id, project.rows[0]!.id, tag, count],
  );
  const ids = rows.rows.map((r) => Number(r.id));
  await pool.query('INSERT INTO packages_nuget_symbol_states (packages_nuget_symbol_id) SELECT unnest($1::bigint[])', [ids]);
  return ids;
}
