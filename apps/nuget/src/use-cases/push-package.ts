import { ErrorCodes, GeoError, isGeoError, type LoggerPort } from '@geo/domain';
import { inspectNupkg, packageFileObjectStorageKey, type PackageLimits } from '@geo/nuget-format';
import type { BlobStore } from '@geo/storage';
import type { FileStore, PackageRecord } from '../domain/model';
import type { PackageStore } from '../ports';
import { assertNotCancelled } from './cancellation';
import { authenticateProject } from './authenticate-project';
import { deleteBlobsLoggingFailures } from './blob-cleanup';

export interface PushPackageDeps {
  readonly store: PackageStore;
  readonly blobs: BlobStore;
  readonly limits: PackageLimits;
  /** `file_store` of blobs this site writes (1 local fs, 2 object storage). */
  readonly fileStore: FileStore;
  readonly logger: LoggerPort;
}

export interface PushPackageInput {
  readonly projectId: number;
  readonly apiKey: string;
  /** The whole `.nupkg`. */
  readonly bytes: Uint8Array;
  /** Aborted when the client goes away; checked last before COMMIT (see `assertNotCancelled`). */
  readonly signal?: AbortSignal;
}

/** nuget.org's wording for a version that already exists (409). */
export function packageExistsMessage(name: string, version: string): string {
  return `A package with ID '${name}' and version '${version}' already exists and cannot be modified.`;
}

/** GitLab's stored file name of a package file: `<id>.<version>.nupkg`, lower case. */
export function nupkgFileName(name: string, version: string): string {
  return `${name}.${version}.nupkg`.toLowerCase();
}

/**
 * Pushes a `.nupkg`: registers id + version in the project and keeps the file as a blob.
 *
 * Order: project (404) → API key (401) → full validation (400/413) → duplicate (409) → blob →
 * one transaction (package + package file row). The package id is reserved from its sequence first,
 * so the blob key is unique to this push: a losing concurrent duplicate (caught by the unique
 * index, also 409) removes only its own blob. On any failure after the blob write the blob is
 * deleted before the error is rethrown.
 */
export async function pushPackage(deps: PushPackageDeps, input: PushPackageInput): Promise<PackageRecord> {
  await authenticateProject(deps.store, input.projectId, input.apiKey);
  const { metadata } = await inspectNupkg(input.bytes, deps.limits);
  const { id: name, version } = metadata;
  if (await deps.store.packageExists(input.projectId, name, version)) {
    throw new GeoError(ErrorCodes.ALREADY_EXISTS, packageExistsMessage(name, version), { details: { name, version } });
  }

  const packageId = await deps.store.reservePackageId();
  const pkg: PackageRecord = { id: packageId, projectId: input.projectId, name, version };
  const key = packageFileObjectStorageKey({ projectId: input.projectId, packageId, packageName: name, version });
  try {
    const written = await deps.blobs.put(key, input.bytes);
    await deps.store.transaction(async (tx) => {
      await tx.insertPackage(pkg);
      await tx.insertPackageFile({
        packageId,
        fileName: nupkgFileName(name, version),
        size: written.size,
        fileSha256: written.sha256,
        fileStore: deps.fileStore,
        objectStorageKey: key,
      });
      assertNotCancelled(input.signal);
    });
  } catch (error: unknown) {
    // The put may have failed half-way; deleting a missing key is a no-op, so always clean up.
    await deleteBlobsLoggingFailures(deps.blobs, [key], deps.logger, 'package push failed');
    if (isGeoError(error) && error.code === ErrorCodes.ALREADY_EXISTS) {
      throw new GeoError(ErrorCodes.ALREADY_EXISTS, packageExistsMessage(name, version), { cause: error, details: { name, version } });
    }
    throw error;
  }
  return pkg;
}
