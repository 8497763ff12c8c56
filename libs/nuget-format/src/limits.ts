/**
 * Resource limits for one uploaded package. `@geo/config` uses this type as `NugetLimits` and takes
 * the `NUGET_*` defaults from {@link DEFAULT_PACKAGE_LIMITS}, so the defaults have one source.
 */
export interface PackageLimits {
  /** Size of the upload itself (the zip bytes). */
  readonly maxPackageBytes: number;
  /** Sum of the inflated sizes of all entries; also the cap for any single entry. */
  readonly maxUncompressedBytes: number;
  /** Largest allowed inflated/compressed ratio for entries above {@link RATIO_CHECK_FLOOR_BYTES}. */
  readonly maxCompressionRatio: number;
  /** Entries in the central directory (files, directories and OPC parts alike). */
  readonly maxZipEntries: number;
  /** `.pdb` files in one `.snupkg` (GitLab's limit is 100). */
  readonly maxSymbolFiles: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_PACKAGE_LIMITS: PackageLimits = Object.freeze({
  maxPackageBytes: 500 * MIB,
  maxUncompressedBytes: 1024 * MIB,
  maxCompressionRatio: 100,
  maxZipEntries: 1000,
  maxSymbolFiles: 100,
});

/**
 * Entries whose inflated size is at most this are exempt from the ratio check: small XML parts
 * (`.rels`, `[Content_Types].xml`, the nuspec) legitimately compress far better than 100:1 when they are
 * mostly whitespace, and a bomb needs volume to hurt anyway (the total cap bounds the rest).
 */
export const RATIO_CHECK_FLOOR_BYTES = 64 * 1024;

/** GitLab's cap on the nuspec it reads (`ExtractMetadataFileService::MAX_FILE_SIZE`). */
export const MAX_NUSPEC_BYTES = 4 * MIB;

/** Longest entry name accepted anywhere in a package (bytes of the decoded name, in UTF-16 units). */
export const MAX_ENTRY_NAME_LENGTH = 1024;

/** GitLab's `packages_nuget_symbols.file_path` is `text` limited to 255 characters. */
export const MAX_SYMBOL_PATH_LENGTH = 255;
