import { decodeSyncState, decodeVerificationState, type RegistryRow } from '@geo/domain';
import { byteaToHex } from '../bytea-hex';

/** A registry row as stored: the domain row plus its identity. */
export interface StoredRegistryRow extends RegistryRow {
  /** Registry row id (local to this tracking database). */
  readonly id: number;
  /** Id of the model record on the primary (`<name>_id`). */
  readonly modelId: number;
  readonly createdAt: Date;
}

/** Raw shape node-postgres returns (bigint as string, smallint as number, bytea as Buffer). */
export interface RegistryDbRow {
  id: string;
  model_id: string;
  created_at: Date;
  last_synced_at: Date | null;
  retry_at: Date | null;
  verified_at: Date | null;
  verification_started_at: Date | null;
  verification_retry_at: Date | null;
  state: number;
  verification_state: number;
  retry_count: number;
  verification_retry_count: number;
  checksum_mismatch: boolean;
  verification_checksum: Buffer | null;
  verification_checksum_mismatched: Buffer | null;
  verification_failure: string | null;
  last_sync_failure: string | null;
}

/** Ids are bigint in SQL; they stay exact as JS numbers up to 2^53, far beyond any table here. */
export function toId(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`id ${value} exceeds Number.MAX_SAFE_INTEGER`);
  return n;
}

/** Column list selecting a registry row in `RegistryDbRow` shape (`<fk>` aliased as `model_id`). */
export function registryColumns(modelForeignKey: string): string {
  return [
    'id',
    `${modelForeignKey} AS model_id`,
    'created_at',
    'last_synced_at',
    'retry_at',
    'verified_at',
    'verification_started_at',
    'verification_retry_at',
    'state',
    'verification_state',
    'retry_count',
    'verification_retry_count',
    'checksum_mismatch',
    'verification_checksum',
    'verification_checksum_mismatched',
    'verification_failure',
    'last_sync_failure',
  ].join(', ');
}

export function fromRegistryDbRow(row: RegistryDbRow): StoredRegistryRow {
  return {
    id: toId(row.id),
    modelId: toId(row.model_id),
    createdAt: row.created_at,
    state: decodeSyncState(row.state),
    retryCount: row.retry_count,
    retryAt: row.retry_at,
    lastSyncedAt: row.last_synced_at,
    lastSyncFailure: row.last_sync_failure,
    verificationState: decodeVerificationState(row.verification_state),
    verificationStartedAt: row.verification_started_at,
    verificationRetryAt: row.verification_retry_at,
    verificationRetryCount: row.verification_retry_count,
    verifiedAt: row.verified_at,
    verificationChecksum: byteaToHex(row.verification_checksum),
    verificationFailure: row.verification_failure,
    checksumMismatch: row.checksum_mismatch,
    verificationChecksumMismatched: byteaToHex(row.verification_checksum_mismatched),
  };
}
