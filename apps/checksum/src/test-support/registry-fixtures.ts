import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { UnavailableError, type ReplicableRecord, type SiteSettings } from '@geo/domain';
import type { CatalogDescription } from '@geo/grpc';
import { packagesNugetSymbol } from '@geo/replicables';
import type { BlobStore } from '@geo/storage';
import type { PrimaryCatalogue } from '../secondary/primary-checksums';

/**
 * Test data for the secondary verification specs: synced registry rows and their
 * `geo_replicable_records` rows inserted with SQL (what the sync worker leaves behind), the blobs in
 * a real store, and an in-memory primary catalogue. Only specs import this file.
 */

export const REGISTRY_TABLE = packagesNugetSymbol.registryTable;
export const REGISTRY_FK = packagesNugetSymbol.modelForeignKey;

export interface SyncedBlob {
  /** Model record id on the primary. */
  readonly id: number;
  readonly key: string;
  readonly bytes: Buffer;
  /** SHA-256 hex of `bytes`, computed here, independently of the code under test. */
  readonly sha256: string;
}

export interface SeedRegistryOptions {
  /** First model id; default 1. */
  readonly firstId?: number;
  /** Blob sizes in bytes are drawn from [min, max]; default 1–8 KiB. */
  readonly minSize?: number;
  readonly maxSize?: number;
  /** The registry's verification state (smallint); default 0 (pending, as a sync leaves it). */
  readonly verificationState?: number;
  readonly lastSyncedAt?: Date;
}

export const SEEDED_LAST_SYNCED_AT = new Date('2026-11-01T10:00:00.000Z');

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes `count` blobs and inserts a synced registry row and a record row for each. */
export async function seedSyncedRegistries(pool: Pool, store: BlobStore, count: number, options: SeedRegistryOptions = {}): Promise<SyncedBlob[]> {
  const first = options.firstId ?? 1;
  const minSize = options.minSize ?? 1024;
  const maxSize = options.maxSize ?? 8192;
  const blobs = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const id = first + i;
      const bytes = randomBytes(minSize + Math.floor(Math.random() * (maxSize - minSize + 1)));
      const key = `packages/nuget/symbols/${id % 16}/${id}/file.pdb`;
      await store.put(key, bytes);
      return { id, key, bytes, sha256: sha256Hex(bytes) };
    }),
  );
  await pool.query(
    `INSERT INTO ${REGISTRY_TABLE} (${REGISTRY_FK}, created_at, state, last_synced_at, verification_state)
     SELECT id, now(), 2, $2, $3 FROM unnest($1::bigint[]) AS ids(id)`,
    [blobs.map((b) => b.id), options.lastSyncedAt ?? SEEDED_LAST_SYNCED_AT, options.verificationState ?? 0],
  );
  await pool.query(
    `INSERT INTO geo_replicable_records (replicable_name, model_record_id, blob_key, size, created_at)
     SELECT $1, id, key, size, now() FROM unnest($2::bigint[], $3::text[], $4::bigint[]) AS r(id, key, size)`,
    [packagesNugetSymbol.name, blobs.map((b) => b.id), blobs.map((b) => b.key), blobs.map((b) => b.bytes.length)],
  );
  return blobs;
}

export interface RegistryTestRow {
  readonly model_id: number;
  readonly id: number;
  readonly state: number;
  readonly verification_state: number;
  readonly verification_checksum: string | null;
  readonly verification_checksum_mismatched: string | null;
  readonly checksum_mismatch: boolean;
  readonly verification_failure: string | null;
  readonly verification_retry_count: number;
  readonly verification_retry_at: Date | null;
  readonly verification_started_at: Date | null;
  readonly verified_at: Date | null;
  readonly retry_count: number;
  readonly retry_at: Date | null;
  readonly last_synced_at: Date | null;
  readonly last_sync_failure: string | null;
}

/** Every registry row, checksums as hex, by model id. */
export async function registryRows(pool: Pool): Promise<Map<number, RegistryTestRow>> {
  const result = await pool.query<RegistryTestRow>(
    `SELECT ${REGISTRY_FK}::int AS model_id, id::int AS id, state, verification_state,
            encode(verification_checksum, 'hex') AS verification_checksum,
            encode(verification_checksum_mismatched, 'hex') AS verification_checksum_mismatched,
            checksum_mismatch, verification_failure, verification_retry_count, verification_retry_at, verification_started_at,
            verified_at, retry_count, retry_at, last_synced_at, last_sync_failure
     FROM ${REGISTRY_TABLE} ORDER BY ${REGISTRY_FK}`,
  );
  return new Map(result.rows.map((r) => [r.model_id, r]));
}

export const TEST_SECONDARY_SITE: SiteSettings = {
  id: 2,
  name: 'secondary-test',
  enabled: true,
  filesMaxCapacity: 10,
  verificationMaxCapacity: 100,
  minimumReverificationInterval: 7,
  scope: { selectiveSync: { type: 'all' }, syncObjectStorage: false },
};

/** The primary's catalogue entry of a blob: verified with `checksum`, or not verified yet when null. */
export function primaryRecord(blob: Pick<SyncedBlob, 'id' | 'key' | 'bytes'>, checksum: string | null): ReplicableRecord {
  return {
    replicableName: packagesNugetSymbol.name,
    modelRecordId: blob.id,
    blobKey: blob.key,
    size: blob.bytes.length,
    fileStore: 'local',
    projectId: 1,
    primaryVerificationState: checksum === null ? 'verification_pending' : 'verification_succeeded',
    primaryChecksum: checksum,
    primaryVerifiedAt: checksum === null ? null : new Date('2026-11-01T09:00:00.000Z'),
    attributes: {},
    createdAt: new Date('2026-11-01T08:00:00.000Z'),
  };
}

/**
 * The primary's catalogue in memory: `records` plays the primary's model and state tables,
 * `failWith` an unreachable primary; every `getReplicables` call's ids are kept in `lookups`.
 */
export class InMemoryPrimaryCatalogue implements PrimaryCatalogue {
  readonly records = new Map<number, ReplicableRecord>();
  readonly lookups: number[][] = [];
  site: SiteSettings = TEST_SECONDARY_SITE;
  failWith: Error | undefined;

  set(records: readonly ReplicableRecord[]): void {
    for (const r of records) this.records.set(r.modelRecordId, r);
  }

  async getReplicables(_replicableName: string, modelRecordIds: readonly number[]): Promise<ReplicableRecord[]> {
    if (this.failWith !== undefined) throw this.failWith;
    this.lookups.push([...modelRecordIds]);
    return modelRecordIds.flatMap((id) => {
      const record = this.records.get(id);
      return record === undefined ? [] : [record];
    });
  }

  async describeCatalog(): Promise<CatalogDescription> {
    if (this.failWith !== undefined) throw this.failWith;
    return { site: this.site, maxModelRecordId: Math.max(0, ...this.records.keys()) };
  }

  /** Makes the primary unreachable until `restore()`. */
  goDown(): void {
    this.failWith = new UnavailableError('primary registry unreachable (test)');
  }

  restore(): void {
    this.failWith = undefined;
  }
}
