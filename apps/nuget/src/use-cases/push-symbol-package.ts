import { ErrorCodes, GeoError, isGeoError, NotFoundError, ValidationError, type LoggerPort } from '@geo/domain';
import { inspectSnupkg, symbolObjectStorageKey, type PackageLimits, type SymbolEntry } from '@geo/nuget-format';
import type { BlobStore } from '@geo/storage';
import type { FileStore, NewSymbol, PackageRecord, SymbolRecord } from '../domain/model';
import { symbolCreatedEvents } from '../domain/symbol-events';
import type { PackageStore } from '../ports';
import { assertNotCancelled } from './cancellation';
import { authenticateProject } from './authenticate-project';
import { deleteBlobsLoggingFailures } from './blob-cleanup';

export interface PushSymbolPackageDeps {
  readonly store: PackageStore;
  readonly blobs: BlobStore;
  readonly limits: PackageLimits;
  readonly fileStore: FileStore;
  readonly logger: LoggerPort;
}

export interface PushSymbolPackageInput {
  readonly projectId: number;
  readonly apiKey: string;
  /** The whole `.snupkg`. */
  readonly bytes: Uint8Array;
  /** Carried in the `created` events' payloads (GitLab's request correlation id). */
  readonly correlationId: string;
  /** Aborted when the client goes away; checked last before COMMIT (see `assertNotCancelled`). */
  readonly signal?: AbortSignal;
}

export interface PushSymbolPackageResult {
  readonly package: PackageRecord;
  readonly symbols: SymbolRecord[];
}

/** `packages_nuget_symbols` text columns are limited to 255 characters (GitLab). */
export const SYMBOL_TEXT_MAX_LENGTH = 255;

/** GitLab's message when no package matches (`symbol package is invalid, matching package does not exist`). */
export function noMatchingPackageMessage(name: string, version: string): string {
  return `symbol package is invalid, matching package does not exist: no package ${name} ${version} in this project`;
}

export function symbolsAlreadyPushedMessage(name: string, version: string): string {
  return `symbol package for ${name} ${version} has already been pushed`;
}

/** A symbol row to insert and the PDB bytes its blob gets. */
export interface PlannedSymbol {
  readonly row: NewSymbol;
  readonly bytes: Uint8Array;
}

/**
 * The rows to insert for the validated PDBs, with their blob keys. Pure. Rejects (400) a symbol whose
 * stored values would not fit GitLab's 255-character columns, before any blob is written.
 */
export function planSymbols(pkg: PackageRecord, entries: readonly SymbolEntry[], fileStore: FileStore): PlannedSymbol[] {
  return entries.map((entry) => {
    const row: NewSymbol = {
      projectId: pkg.projectId,
      packageId: pkg.id,
      file: entry.fileName,
      filePath: entry.entryPath,
      signature: entry.signature,
      size: entry.size,
      fileSha256: entry.fileSha256,
      fileStore,
      objectStorageKey: symbolObjectStorageKey({ projectId: pkg.projectId, packageId: pkg.id, signature: entry.signature, fileName: entry.fileName }),
    };
    for (const [column, value] of [['file', row.file], ['file_path', row.filePath], ['object_storage_key', row.objectStorageKey]] as const) {
      if (Array.from(value).length > SYMBOL_TEXT_MAX_LENGTH) {
        throw new ValidationError(
          `entry "${entry.entryPath}": its ${column} would be longer than ${SYMBOL_TEXT_MAX_LENGTH} characters`,
          { details: { reason: 'snupkg.path_too_long', entry: entry.entryPath, column } },
        );
      }
    }
    return { row, bytes: entry.bytes };
  });
}

/**
 * Writes every blob in parallel. Each key is recorded in `attempted` BEFORE its write starts, so the
 * caller can remove everything this push may have written. Waits for all writes to settle (none is
 * left running behind a cleanup), then throws the first failure.
 */
async function writeSymbolBlobs(blobs: BlobStore, planned: readonly PlannedSymbol[], attempted: string[]): Promise<void> {
  const results = await Promise.allSettled(
    planned.map(({ row, bytes }) => {
      attempted.push(row.objectStorageKey);
      return blobs.put(row.objectStorageKey, bytes);
    }),
  );
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/**
 * A unique violation while inserting: with the package locked and free of symbols, the only one
 * possible is GitLab's (signature, file_path) index, i.e. another package already has one of these PDBs
 * at the same path.
 */
function duplicateSymbolError(error: GeoError, pkg: PackageRecord): GeoError {
  return new GeoError(
    ErrorCodes.ALREADY_EXISTS,
    `a symbol file of ${pkg.name} ${pkg.version} (same signature and path) is already registered for another package`,
    { cause: error, details: { ...error.details, packageId: pkg.id } },
  );
}

/**
 * Pushes a `.snupkg` (issue 3 items 2–3, DESIGN flow 1).
 *
 * Order: project (404) → API key (401) → full validation of the package and every PDB (400/413),
 * all before any write. Then, in ONE transaction: lock the matching package row (404 when none),
 * refuse a second symbol push for it (409), write every blob, insert the symbol rows, their pending
 * verification state rows and one `created` event per symbol, commit.
 *
 * Why the blobs are written inside the transaction: symbol keys derive from package id + signature,
 * so two concurrent pushes of the same `.snupkg` would write the same keys. The package row lock makes
 * the second push wait and then see the first one's symbols (409) without touching any blob, so a
 * losing push can never delete blobs that committed rows point to.
 *
 * Failure rule: if anything fails after the first blob write started (a blob write, an insert, a
 * unique violation, the commit), every blob this push attempted is deleted before the error is
 * rethrown: no rows, no events, no blobs remain. Unique violations become 409.
 */
export async function pushSymbolPackage(deps: PushSymbolPackageDeps, input: PushSymbolPackageInput): Promise<PushSymbolPackageResult> {
  await authenticateProject(deps.store, input.projectId, input.apiKey);
  const { metadata, symbols: entries } = await inspectSnupkg(input.bytes, deps.limits);
  const { id: name, version } = metadata;

  const attempted: string[] = [];
  let matched: PackageRecord | undefined;
  try {
    return await deps.store.transaction(async (tx) => {
      const pkg = await tx.lockPackage(input.projectId, name, version);
      if (pkg === null) throw new NotFoundError(noMatchingPackageMessage(name, version), { details: { name, version } });
      matched = pkg;
      if (pkg.hasSymbols) {
        throw new GeoError(ErrorCodes.ALREADY_EXISTS, symbolsAlreadyPushedMessage(pkg.name, pkg.version), { details: { packageId: pkg.id } });
      }
      const planned = planSymbols(pkg, entries, deps.fileStore);
      await writeSymbolBlobs(deps.blobs, planned, attempted);
      const symbols = await tx.insertSymbolsWithPendingStates(planned.map((p) => p.row));
      await tx.appendEvents(symbolCreatedEvents(symbols, input.correlationId));
      assertNotCancelled(input.signal);
      return { package: pkg, symbols };
    });
  } catch (error: unknown) {
    if (attempted.length > 0) await deleteBlobsLoggingFailures(deps.blobs, attempted, deps.logger, 'symbol package push failed');
    // Our own 409 above has no cause; a unique violation from the database does.
    if (isGeoError(error) && error.code === ErrorCodes.ALREADY_EXISTS && error.cause !== undefined && matched !== undefined) {
      throw duplicateSymbolError(error, matched);
    }
    throw error;
  }
}
