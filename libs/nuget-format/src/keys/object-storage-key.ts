import { ValidationError } from '@geo/domain';
import { isValidPackageId, isValidPackageVersion } from '../nuspec/nuget-identity';
import { sha256Hex } from '../pdb/checksum';
import { assertPositiveId, assertSafeFileName } from './key-parts';

/**
 * `Gitlab::HashedPath` root for a project: `<h[0..1]>/<h[2..3]>/<h>` with h = SHA-256 hex of the
 * decimal project id (spec geo-framework §10.1).
 */
function projectHashedRoot(projectId: number): string {
  assertPositiveId(projectId, 'projectId');
  const hash = sha256Hex(String(projectId));
  return `${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}`;
}

/**
 * Blob key of a symbol file: GitLab's `object_storage_key`
 * (`HashedPath('packages','nuget',package_id,'symbols',sha256hex(signature), root_hash: project_id)`)
 * plus the stored file name. The signature is hashed exactly as stored (`…FFFFFFFF`). Our flat
 * blob store keys the blob by this whole path (ADR 0002).
 */
export function symbolObjectStorageKey(input: { projectId: number; packageId: number; signature: string; fileName: string }): string {
  assertPositiveId(input.packageId, 'packageId');
  assertSafeFileName(input.fileName, 'symbol file name');
  if (input.signature === '') throw new ValidationError('signature must not be empty', { details: { field: 'signature' } });
  return `${projectHashedRoot(input.projectId)}/packages/nuget/${input.packageId}/symbols/${sha256Hex(input.signature)}/${input.fileName}`;
}

/** Blob key of a `.nupkg`: `<hashed root>/packages/nuget/<packageId>/<id lower>.<version lower>.nupkg`. */
export function packageFileObjectStorageKey(input: { projectId: number; packageId: number; packageName: string; version: string }): string {
  assertPositiveId(input.packageId, 'packageId');
  if (!isValidPackageId(input.packageName)) {
    throw new ValidationError(`${JSON.stringify(input.packageName)} is not a valid NuGet package id`, { details: { field: 'packageName' } });
  }
  if (!isValidPackageVersion(input.version)) {
    throw new ValidationError(`${JSON.stringify(input.version)} is not a valid NuGet version`, { details: { field: 'version' } });
  }
  const fileName = `${input.packageName.toLowerCase()}.${input.version.toLowerCase()}.nupkg`;
  return `${projectHashedRoot(input.projectId)}/packages/nuget/${input.packageId}/${fileName}`;
}
