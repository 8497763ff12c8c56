import { randomBytes, randomInt } from 'node:crypto';
import type { SqlExecutor } from '@geo/pg';
import type { BlobStore } from '@geo/storage';

/** One benchmark blob: its store key and size. */
export interface BenchBlob {
  readonly key: string;
  readonly size: number;
}

/** Writes `count` blobs of random bytes, sizes uniform in [minSize, maxSize], `concurrency` at a time. */
export async function writeRandomBlobs(store: BlobStore, count: number, minSize: number, maxSize: number, concurrency = 16): Promise<BenchBlob[]> {
  const blobs: BenchBlob[] = Array.from({ length: count }, (_, i) => ({
    // GitLab-like fan-out (two hex levels) so no directory holds all files.
    key: `packages/nuget/symbols/${(i % 256).toString(16).padStart(2, '0')}/${Math.floor(i / 256) % 256}/${i}/file.pdb`,
    size: randomInt(minSize, maxSize + 1),
  }));
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < blobs.length) {
        const blob = blobs[next++]!;
        await store.put(blob.key, randomBytes(blob.size));
      }
    }),
  );
  return blobs;
}

/**
 * The model rows the `nuget` app would have written for these blobs (namespace → project → package →
 * symbols) and one pending verification state row each, in a few set-based statements.
 */
export async function insertSymbolRows(pool: SqlExecutor, blobs: readonly BenchBlob[]): Promise<void> {
  const ns = await pool.query<{ id: string }>("INSERT INTO namespaces (name, path) VALUES ('bench', 'bench') RETURNING id");
  const project = await pool.query<{ id: string }>("INSERT INTO projects (name, path, namespace_id) VALUES ('bench', 'bench', $1) RETURNING id", [ns.rows[0]?.id]);
  const pkg = await pool.query<{ id: string }>(
    "INSERT INTO packages_packages (project_id, name, version, package_type) VALUES ($1, 'Bench', '1.0.0', 4) RETURNING id",
    [project.rows[0]?.id],
  );
  await pool.query(
    `WITH symbols AS (
       INSERT INTO packages_nuget_symbols (created_at, updated_at, package_id, project_id, size, file_store, file, file_path, signature, object_storage_key)
       SELECT now(), now(), $1, $2, s, 1, 'file.pdb', 'file.pdb', 'bench-' || n, k
       FROM unnest($3::text[], $4::int[]) WITH ORDINALITY AS t(k, s, n)
       RETURNING id
     )
     INSERT INTO packages_nuget_symbol_states (packages_nuget_symbol_id) SELECT id FROM symbols`,
    [pkg.rows[0]?.id, project.rows[0]?.id, blobs.map((b) => b.key), blobs.map((b) => b.size)],
  );
}
