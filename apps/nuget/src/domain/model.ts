/**
 * The records the `nuget` service owns, as its use cases see them (no SQL or proto types here).
 * Ids are bigint in SQL and safe integers here.
 */

/** GitLab `packages_packages.package_type` for NuGet. */
export const NUGET_PACKAGE_TYPE = 4;
/** GitLab `packages_packages.status` `default`: installable. */
export const PACKAGE_STATUS_DEFAULT = 0;

/** GitLab `file_store`: where a blob lives. */
export const FileStores = { local: 1, remote: 2 } as const;
export type FileStore = (typeof FileStores)[keyof typeof FileStores];

/** Our local filesystem store is GitLab's "local" storage; S3 is object storage ("remote"). */
export function fileStoreFor(blobStoreKind: 'fs' | 's3'): FileStore {
  return blobStoreKind === 'fs' ? FileStores.local : FileStores.remote;
}

export interface ProjectCredentials {
  readonly id: number;
  /** SHA-256 hex of the project's NuGet API key; null when the project has none (nobody may push). */
  readonly nugetApiKeyDigest: string | null;
}

export interface PackageRecord {
  readonly id: number;
  readonly projectId: number;
  readonly name: string;
  readonly version: string;
}

/** A `packages_package_files` row to insert (the `.nupkg` blob). */
export interface NewPackageFile {
  readonly packageId: number;
  readonly fileName: string;
  readonly size: number;
  readonly fileSha256: string;
  readonly fileStore: FileStore;
  readonly objectStorageKey: string;
}

/** A `packages_nuget_symbols` row to insert. */
export interface NewSymbol {
  readonly projectId: number;
  readonly packageId: number;
  /** Stored file name: the PDB's base name, lower case. */
  readonly file: string;
  /** Entry path inside the `.snupkg`, as-is. */
  readonly filePath: string;
  /** `<guid>FFFFFFFF`. */
  readonly signature: string;
  readonly size: number;
  /** Lower-case hex SHA-256 with the PDB id zeroed (the `SymbolChecksum` value). */
  readonly fileSha256: string;
  readonly fileStore: FileStore;
  readonly objectStorageKey: string;
}

export interface SymbolRecord extends NewSymbol {
  readonly id: number;
  readonly createdAt: Date;
}

export interface NamespaceRecord {
  readonly id: number;
  readonly name: string;
  readonly path: string;
  readonly parentId: number | null;
  /** `/`-joined paths from the top-level group. */
  readonly fullPath: string;
}

export interface ProjectRecord {
  readonly id: number;
  readonly name: string;
  readonly path: string;
  readonly namespaceId: number;
  readonly pathWithNamespace: string;
  readonly repositoryStorage: string;
}
