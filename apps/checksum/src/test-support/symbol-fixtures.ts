import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { BlobStore } from '@geo/storage';

/**
 * Test data for the checksum app's integration specs: symbol model rows inserted with SQL
 * (namespace → project → package → symbols, the `nuget` app's tables) and their blobs in a real
 * store. Only specs import this file.
 */

export interface SeededSymbol {
  readonly id: number;
  readonly key: string;
  readonly size: number;
  /** SHA-256 hex of the bytes written, computed here, independently of the store. */
  readonly sha256: string;
}

export interface SeedOptions {
  /** Insert a pending state row per symbol (what the `nuget` app does); default true. */
  readonly withStates?: boolean;
  /** Blob sizes in bytes are drawn from [min, max]; default 1–8 KiB. */
  readonly minSize?: number;
  readonly maxSize?: number;
}

let seedBatch = 0;

export async function seedSymbols(pool: Pool, store: BlobStore, count: number, options: SeedOptions = {}): Promise<SeededSymbol[]> {
  seedBatch += 1;
  const tag = `${process.pid}-${seedBatch}-${randomBytes(3).toString('hex')}`;
  const minSize = options.minSize ?? 1024;
  const maxSize = options.maxSize ?? 8192;
  const blobs = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const bytes = randomBytes(minSize + Math.floor(Math.random() * (maxSize - minSize + 1)));
      const key = `packages/nuget/symbols/${tag}/${i}/file.pdb`;
      await store.put(key, bytes);
      return { key, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    }),
  );
  const ns = await pool.query<{ id: string }>('INSERT INTO namespaces (name, path) VALUES ($1, $1) RETURNING id', [`group-${tag}`]);
  const project = await pool.query<{ id: string }>("INSERT INTO projects (name, path, namespace_id) VALUES ('p', 'p', $1) RETURNING id", [ns.rows[0]?.id]);
  const pkg = await pool.query<{ id: string }>(
    "INSERT INTO packages_packages (project_id, name, version, package_type) VALUES ($1, 'Pkg', '1.0.0', 4) RETURNING id",
    [project.rows[0]?.id],
  );
  const rows = await pool.query<{ id: string; object_storage_key: string }>(
    `INSERT INTO packages_nuget_symbols (created_at, updated_at, package_id, project_id, size, file_store, file, file_path, signature, object_storage_key)
     SELECT now(), now(), $1, $2, s, 1, 'file.pdb', 'file.pdb', $3 || '-' || n, k
     FROM unnest($4::text[], $5::int[]) WITH ORDINALITY AS t(k, s, n)
     RETURNING id, object_storage_key`,
    [pkg.rows[0]?.id, project.rows[0]?.id, tag, blobs.map((b) => b.key), blobs.map((b) => b.size)],
  );
  const idByKey = new Map(rows.rows.map((r) => [r.object_storage_key, Number(r.id)]));
  const seeded = blobs.map((b) => ({ ...b, id: idByKey.get(b.key) ?? 0 })).sort((a, b) => a.id - b.id);
  if (options.withStates !== false) {
    await pool.query('INSERT INTO packages_nuget_symbol_states (packages_nuget_symbol_id) SELECT unnest($1::bigint[])', [seeded.map((s) => s.id)]);
  }
  return seeded;
}

/** Registers the primary site row with the given verification settings. */
export async function setPrimarySite(pool: Pool, settings: { verificationMaxCapacity?: number; minimumReverificationInterval?: number } = {}): Promise<void> {
  await pool.query(
    `INSERT INTO geo_sites (name, url, "primary", verification_max_capacity, minimum_reverification_interval)
     VALUES ('primary', 'http://primary.test', true, $1, $2)
     ON CONFLICT (name) DO UPDATE SET verification_max_capacity = $1, minimum_reverification_interval = $2`,
    [settings.verificationMaxCapacity ?? 100, settings.minimumReverificationInterval ?? 7],
  );
}

/** Adds an enabled secondary, so Geo events are written (spec §4.4). */
export async function addSecondarySite(pool: Pool): Promise<void> {
  await pool.query(`INSERT INTO geo_sites (name, url, "primary", enabled) VALUES ('secondary', 'http://secondary.test', false, true) ON CONFLICT (name) DO NOTHING`);
}

export interface StateRow {
  readonly model_id: number;
  readonly verification_state: number;
  readonly checksum: string | null;
  readonly verification_failure: string | null;
  readonly verification_retry_count: number;
  readonly verification_retry_at: Date | null;
  readonly verified_at: Date | null;
}

export async function stateRows(pool: Pool): Promise<StateRow[]> {
  const result = await pool.query<StateRow>(
    `SELECT packages_nuget_symbol_id::int AS model_id, verification_state, encode(verification_checksum, 'hex') AS checksum,
            verification_failure, verification_retry_count, verification_retry_at, verified_at
     FROM packages_nuget_symbol_states ORDER BY packages_nuget_symbol_id`,
  );
  return result.rows;
}

/** `checksum_succeeded` events in the outbox, as model ids in id order. */
export async function checksumSucceededEvents(pool: Pool): Promise<number[]> {
  const result = await pool.query<{ payload: { model_record_id: number } }>(
    "SELECT payload FROM geo_events WHERE event_name = 'checksum_succeeded' AND replicable_name = 'packages_nuget_symbol' ORDER BY id",
  );
  return result.rows.map((r) => r.payload.model_record_id);
}

/** Polls `check` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
