import { NotFoundError, ValidationError } from '@geo/domain';
import { parseSymbolChecksumHeader } from '@geo/nuget-format';

/** A symbol server request (SSQP `<file>/<signature>/<same file>` plus the `SymbolChecksum` header). */
export interface SymbolFileRequest {
  readonly projectId: number;
  readonly fileName: string;
  readonly signature: string;
  readonly sameFileName: string;
  /** The raw header; empty when the client sent none. */
  readonly symbolChecksum: string;
}

/** What the lookup matches on: case-insensitive file and signature, any of the checksums. */
export interface SymbolLookupKey {
  readonly fileName: string;
  readonly signature: string;
  /** Lower-case hex SHA-256 values (id-zeroed checksums). */
  readonly checksums: readonly string[];
}

/** GitLab's message for a missing or blank header (400). */
export const MISSING_CHECKSUM_MESSAGE = 'Missing checksum header';

/**
 * Validates a symbol request the way GitLab's public endpoint does (spec nuget-symbols §6.4):
 * a blank `SymbolChecksum` is 400; a key whose two file names differ, or a header without any
 * `SHA256:<hex>` value, cannot match anything (404). The key parts stay data: they are only ever
 * compared in SQL, never used as paths.
 */
export function symbolLookupKey(request: SymbolFileRequest): SymbolLookupKey {
  if (request.symbolChecksum.trim() === '') throw new ValidationError(MISSING_CHECKSUM_MESSAGE);
  if (request.fileName.toLowerCase() !== request.sameFileName.toLowerCase()) {
    throw new NotFoundError(`Symbol file not found: the key's file names differ (${request.fileName} / ${request.sameFileName})`);
  }
  const checksums = parseSymbolChecksumHeader(request.symbolChecksum);
  if (checksums.length === 0) throw new NotFoundError('Symbol file not found: the SymbolChecksum header has no SHA256 value');
  return { fileName: request.fileName, signature: request.signature, checksums };
}
