import { createHash } from 'node:crypto';
import { packageRejection } from '../reject';

/** Length of the portable PDB id: 16-byte GUID + 4-byte stamp. */
export const PDB_ID_BYTES = 20;
const ZERO_ID = new Uint8Array(PDB_ID_BYTES);

/** Lower-case hex SHA-256 of bytes or a string (UTF-8). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The `SymbolChecksum` of a portable PDB (PE-COFF addendum, spec nuget-symbols §5): SHA-256 of the
 * whole file with the 20 PDB-id bytes at `idOffset` replaced by zeros. Hashes around the id instead
 * of copying the file. This is GitLab's `file_sha256`, not the plain file hash Geo verifies.
 */
export function symbolChecksum(bytes: Uint8Array, idOffset: number): string {
  if (!Number.isSafeInteger(idOffset) || idOffset < 0 || idOffset + PDB_ID_BYTES > bytes.length) {
    throw packageRejection('pdb.malformed', `PDB id offset ${idOffset} is outside the ${bytes.length}-byte file`);
  }
  return createHash('sha256')
    .update(bytes.subarray(0, idOffset))
    .update(ZERO_ID)
    .update(bytes.subarray(idOffset + PDB_ID_BYTES))
    .digest('hex');
}

const SHA256_VALUE = /^SHA256:([0-9a-f]{64})$/i;

/**
 * Parses a `SymbolChecksum` request header: `;`-separated `<ALG>:<hex>` values. Returns every
 * SHA-256 value lower-cased, in order, without duplicates; other algorithms and junk are ignored
 * (GitLab understands only SHA256 and matches it case-insensitively). Empty when none is usable.
 */
export function parseSymbolChecksumHeader(value: string): string[] {
  const checksums: string[] = [];
  for (const part of value.split(';')) {
    const match = SHA256_VALUE.exec(part.trim());
    const hex = match?.[1]?.toLowerCase();
    if (hex !== undefined && !checksums.includes(hex)) checksums.push(hex);
  }
  return checksums;
}
