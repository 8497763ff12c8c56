/** ECMA-335 metadata root signature "BSJB"; a portable PDB is a standalone metadata blob. */
export const PORTABLE_PDB_MAGIC = Buffer.from('BSJB', 'latin1');
/** MSF 7.00 superblock magic (Windows PDB). */
export const MSF7_MAGIC = Buffer.from('Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0', 'latin1');
/** The obsolete "JG" Windows PDB format; recognised only so it can be rejected by name. */
export const MSF2_MAGIC = Buffer.from('Microsoft C/C++ program database 2.00\r\n\x1aJG\0\0', 'latin1');

export type PdbKind = 'portable' | 'windows' | 'unknown';

/** Classifies bytes by magic only; says nothing about whether the rest of the file is sound. */
export function detectPdbKind(bytes: Uint8Array): PdbKind {
  if (startsWith(bytes, PORTABLE_PDB_MAGIC)) return 'portable';
  if (startsWith(bytes, MSF7_MAGIC) || startsWith(bytes, MSF2_MAGIC)) return 'windows';
  return 'unknown';
}

export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i += 1) if (bytes[i] !== prefix[i]) return false;
  return true;
}
