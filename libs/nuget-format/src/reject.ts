import { ErrorCodes, type ErrorCode, ValidationError, isGeoError } from '@geo/domain';

/**
 * Every reason a package or PDB is rejected, with the error code it carries. The reason is stable
 * (tests, logs and clients switch on `details.reason`); the message is for humans and names the
 * entry and the limit. Size limits map to TOO_LARGE (HTTP 413), everything else to
 * INVALID_ARGUMENT (HTTP 400). Count limits (entries, PDBs) are 400: the package is malformed
 * for us, not merely big.
 */
const REASON_CODES = {
  /** The upload has no bytes. */
  'package.empty': ErrorCodes.INVALID_ARGUMENT,
  /** The upload exceeds `maxPackageBytes`. */
  'package.too_large': ErrorCodes.TOO_LARGE,

  /** No end-of-central-directory record, or a structure runs past the end of the bytes (includes garbage input). */
  'zip.truncated': ErrorCodes.INVALID_ARGUMENT,
  /** Any other structural zip error (bad signatures, multi-disk, bad extra fields). */
  'zip.invalid': ErrorCodes.INVALID_ARGUMENT,
  'zip.too_many_entries': ErrorCodes.INVALID_ARGUMENT,
  'zip.empty_name': ErrorCodes.INVALID_ARGUMENT,
  /** Not decodable (bad UTF-8, non-ASCII without the UTF-8 flag) or `.`/empty path segments. */
  'zip.invalid_name': ErrorCodes.INVALID_ARGUMENT,
  'zip.name_too_long': ErrorCodes.INVALID_ARGUMENT,
  'zip.control_char': ErrorCodes.INVALID_ARGUMENT,
  'zip.backslash': ErrorCodes.INVALID_ARGUMENT,
  /** Leading `/` or a drive letter (`C:`). */
  'zip.absolute_path': ErrorCodes.INVALID_ARGUMENT,
  /** A `..` path segment. */
  'zip.path_traversal': ErrorCodes.INVALID_ARGUMENT,
  /** Same name twice, also when the names differ only in case or Unicode normalisation. */
  'zip.duplicate_entry': ErrorCodes.INVALID_ARGUMENT,
  'zip.symlink': ErrorCodes.INVALID_ARGUMENT,
  'zip.directory_with_data': ErrorCodes.INVALID_ARGUMENT,
  'zip.encrypted': ErrorCodes.INVALID_ARGUMENT,
  /** Compression method other than 0 (stored) or 8 (deflate). */
  'zip.unsupported_method': ErrorCodes.INVALID_ARGUMENT,
  /** The local header disagrees with the central directory (name, method or encryption flag). */
  'zip.local_header_mismatch': ErrorCodes.INVALID_ARGUMENT,
  /** Two entries share bytes (overlapping-entry zip bombs). */
  'zip.overlapping_entries': ErrorCodes.INVALID_ARGUMENT,
  /** Real inflated size differs from the declared one. */
  'zip.size_mismatch': ErrorCodes.INVALID_ARGUMENT,
  'zip.crc_mismatch': ErrorCodes.INVALID_ARGUMENT,
  /** The deflate stream is corrupt or truncated. */
  'zip.corrupt_entry': ErrorCodes.INVALID_ARGUMENT,
  /** Compression ratio above `maxCompressionRatio` (zip bomb). */
  'zip.ratio': ErrorCodes.TOO_LARGE,
  /** One entry or the sum of entries above `maxUncompressedBytes`. */
  'zip.uncompressed_too_large': ErrorCodes.TOO_LARGE,

  'nuspec.missing': ErrorCodes.INVALID_ARGUMENT,
  'nuspec.multiple': ErrorCodes.INVALID_ARGUMENT,
  'nuspec.too_large': ErrorCodes.TOO_LARGE,
  'nuspec.invalid_xml': ErrorCodes.INVALID_ARGUMENT,
  /** A DOCTYPE (and so possibly entities) in the nuspec: never processed, always rejected. */
  'nuspec.dtd': ErrorCodes.INVALID_ARGUMENT,
  'nuspec.missing_field': ErrorCodes.INVALID_ARGUMENT,
  'nuspec.invalid_id': ErrorCodes.INVALID_ARGUMENT,
  'nuspec.invalid_version': ErrorCodes.INVALID_ARGUMENT,
  /** A `.snupkg` whose package types are not exactly `SymbolsPackage`. */
  'nuspec.not_symbols_package': ErrorCodes.INVALID_ARGUMENT,
  /** A `.nupkg` declaring `SymbolsPackage`. */
  'nuspec.symbols_package_in_nupkg': ErrorCodes.INVALID_ARGUMENT,

  /** A payload file whose extension is not exactly `.pdb`. */
  'snupkg.non_pdb_payload': ErrorCodes.INVALID_ARGUMENT,
  'snupkg.too_many_pdbs': ErrorCodes.INVALID_ARGUMENT,
  'snupkg.no_pdbs': ErrorCodes.INVALID_ARGUMENT,
  'snupkg.path_too_long': ErrorCodes.INVALID_ARGUMENT,

  /** A Windows (MSF) PDB where a portable one is required. */
  'pdb.windows': ErrorCodes.INVALID_ARGUMENT,
  /** Neither portable nor Windows: not a PDB at all. */
  'pdb.not_portable': ErrorCodes.INVALID_ARGUMENT,
  /** The right magic, but a structure is out of bounds or missing. */
  'pdb.malformed': ErrorCodes.INVALID_ARGUMENT,
  /** The 20-byte PDB id is all zeros. */
  'pdb.zero_id': ErrorCodes.INVALID_ARGUMENT,
  /** Two PDBs in one package have the same signature. */
  'pdb.duplicate_signature': ErrorCodes.INVALID_ARGUMENT,
} as const satisfies Record<string, ErrorCode>;

export type RejectReason = keyof typeof REASON_CODES;

export const REJECT_REASONS: readonly RejectReason[] = Object.freeze(Object.keys(REASON_CODES) as RejectReason[]);

/** The error code a rejection with this reason carries. */
export function errorCodeForReason(reason: RejectReason): ErrorCode {
  return REASON_CODES[reason];
}

/** A ValidationError carrying `details.reason` and the code that reason maps to. */
export function packageRejection(
  reason: RejectReason,
  message: string,
  details: Readonly<Record<string, unknown>> = {},
  cause?: unknown,
): ValidationError {
  return new ValidationError(message, { details: { ...details, reason }, ...(cause === undefined ? {} : { cause }) }, REASON_CODES[reason]);
}

/** The stable reason of a rejection raised by this lib, or undefined for any other value. */
export function rejectReasonOf(error: unknown): RejectReason | undefined {
  if (!isGeoError(error)) return undefined;
  // isGeoError also accepts foreign errors that merely carry a GEO_ code, so details may be absent.
  const details: unknown = (error as { details?: unknown }).details;
  const reason: unknown = typeof details === 'object' && details !== null ? (details as Record<string, unknown>)['reason'] : undefined;
  return typeof reason === 'string' && Object.hasOwn(REASON_CODES, reason) ? (reason as RejectReason) : undefined;
}
