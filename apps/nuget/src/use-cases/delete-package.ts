import { NotFoundError, type LoggerPort } from '@geo/domain';
import type { BlobStore } from '@geo/storage';
import { symbolDeletedEvents } from '../domain/symbol-events';
import type { PackageStore } from '../ports';
import { authenticateProject } from './authenticate-project';
import { deleteBlobsLoggingFailures } from './blob-cleanup';

export interface DeletePackageDeps {
  readonly store: PackageStore;
  readonly blobs: BlobStore;
  readonly logger: LoggerPort;
}

export interface DeletePackageInput {
  readonly projectId: number;
  readonly apiKey: string;
  readonly packageName: string;
  readonly packageVersion: string;
  readonly correlationId: string;
}

export interface DeletePackageResult {
  readonly packageId: number;
  readonly deletedSymbolCount: number;
  /** Blob keys that could not be deleted after the commit (logged; left for an orphan sweep). */
  readonly blobsLeftBehind: readonly string[];
}

/**
 * Deletes a package version with all its symbols: GitLab's batch destroy (issue 3 item 5, DESIGN flow 7).
 *
 * Order: project (404) → API key (401) → in ONE transaction: lock the package (404 when none), write
 * one `deleted` event per symbol (with the blob key), delete the symbol rows (their verification
 * state rows cascade), the package file rows and the package. Only AFTER the commit are the blobs
 * deleted: a rolled-back delete must still find its files. A blob that cannot be deleted then is
 * logged with its key and does not fail the request (the rows are gone; the leftover is an orphan).
 */
export async function deletePackage(deps: DeletePackageDeps, input: DeletePackageInput): Promise<DeletePackageResult> {
  await authenticateProject(deps.store, input.projectId, input.apiKey);
  const deleted = await deps.store.transaction(async (tx) => {
    const pkg = await tx.lockPackage(input.projectId, input.packageName, input.packageVersion);
    if (pkg === null) {
      throw new NotFoundError(`Package ${input.packageName} ${input.packageVersion} not found in project ${input.projectId}`, {
        details: { projectId: input.projectId, name: input.packageName, version: input.packageVersion },
      });
    }
    const symbols = await tx.listSymbols(pkg.id);
    await tx.appendEvents(symbolDeletedEvents(symbols, input.correlationId));
    const deletedSymbolCount = await tx.deleteSymbols(symbols.map((s) => s.id));
    const packageFileKeys = await tx.deletePackageFiles(pkg.id);
    await tx.deletePackage(pkg.id);
    return { packageId: pkg.id, deletedSymbolCount, blobKeys: [...symbols.map((s) => s.objectStorageKey), ...packageFileKeys] };
  });
  const blobsLeftBehind = await deleteBlobsLoggingFailures(deps.blobs, deleted.blobKeys, deps.logger, 'package deleted');
  return { packageId: deleted.packageId, deletedSymbolCount: deleted.deletedSymbolCount, blobsLeftBehind };
}
