import { byteaToHex } from '@geo/pg';
import type { FileStore, SymbolRecord } from '../domain/model';
import { FileStores } from '../domain/model';
import { requiredId, toId } from './sql-values';

/** `packages_nuget_symbols` columns read into a `SymbolRecord`. */
export const SYMBOL_COLUMNS =
  'id, created_at, project_id, package_id, file, file_path, signature, size, file_sha256, file_store, object_storage_key';

export interface SymbolDbRow {
  id: string;
  created_at: Date;
  project_id: string | null;
  package_id: string | null;
  file: string;
  file_path: string;
  signature: string;
  size: number;
  file_sha256: Buffer | null;
  file_store: number | null;
  object_storage_key: string;
}

function toFileStore(value: number | null): FileStore {
  // GitLab's column default is 1 (local); NULL reads as local too.
  return value === FileStores.remote ? FileStores.remote : FileStores.local;
}

export function fromSymbolDbRow(row: SymbolDbRow): SymbolRecord {
  return {
    id: toId(row.id, 'packages_nuget_symbols.id'),
    createdAt: row.created_at,
    projectId: requiredId(row.project_id, 'packages_nuget_symbols.project_id'),
    packageId: requiredId(row.package_id, 'packages_nuget_symbols.package_id'),
    file: row.file,
    filePath: row.file_path,
    signature: row.signature,
    size: row.size,
    fileSha256: byteaToHex(row.file_sha256) ?? '',
    fileStore: toFileStore(row.file_store),
    objectStorageKey: row.object_storage_key,
  };
}
