import { packageRejection } from '../reject';
import { PDB_ID_BYTES } from './checksum';
import { PORTABLE_PDB_MAGIC, detectPdbKind, startsWith } from './detect';
import { formatWindowsGuid } from './guid';

export interface PortablePdbInfo {
  /** 32 lower-case hex digits, GUID byte order already converted (spec nuget-symbols §2). */
  readonly guid: string;
  /** u32 LE of id bytes 16–19. */
  readonly stamp: number;
  /** File offset of the 20-byte PDB id (start of the `#Pdb` stream). */
  readonly idOffset: number;
  /** `${guid}FFFFFFFF`: GitLab's `signature` column and the middle of the SSQP key. */
  readonly signature: string;
}

export interface MetadataStreamHeader {
  readonly name: string;
  /** From the start of the metadata root, which is the start of a standalone PDB. */
  readonly offset: number;
  readonly size: number;
}

/** ECMA-335 II.24.2.1: the version string length is the string plus NUL rounded up to 4, string ≤ 255. */
const MAX_VERSION_LENGTH = 256;
/** ECMA-335 II.24.2.2: stream names are at most 32 bytes including NUL and padding. */
const MAX_STREAM_NAME_BYTES = 32;
/** PDB id (20) + entry point token (4) + referenced type-system tables bit vector (8). */
const MIN_PDB_STREAM_BYTES = 32;
/** Signature of a portable PDB: the GUID followed by the age field SSQP fixes at FFFFFFFF. */
export const PORTABLE_PDB_AGE_SUFFIX = 'FFFFFFFF';

/**
 * Reads the identity of a portable PDB by walking the metadata root's stream headers to `#Pdb` by
 * name: stream order is not fixed (symstore's System.Threading.Thread.pdb has `#Pdb` last), so
 * GitLab's fixed-offset heuristic is wrong and is not reproduced. Every offset and length read from
 * the file is bounds-checked; hostile input ends in a ValidationError, never a RangeError.
 */
export function readPortablePdb(bytes: Uint8Array): PortablePdbInfo {
  if (!startsWith(bytes, PORTABLE_PDB_MAGIC)) {
    if (detectPdbKind(bytes) === 'windows') {
      throw packageRejection('pdb.windows', 'this is a Windows (MSF) PDB; only portable PDBs are accepted');
    }
    throw packageRejection('pdb.not_portable', 'this is not a portable PDB (no "BSJB" metadata signature)');
  }
  const pdbStream = readMetadataStreamHeaders(bytes).find((stream) => stream.name === '#Pdb');
  if (pdbStream === undefined) throw malformed('the metadata has no #Pdb stream (a .NET metadata file, not a PDB?)');
  if (pdbStream.size < MIN_PDB_STREAM_BYTES) {
    throw malformed(`the #Pdb stream is ${pdbStream.size} bytes, shorter than the ${MIN_PDB_STREAM_BYTES} bytes its header needs`);
  }
  const idOffset = pdbStream.offset;
  const id = bytes.subarray(idOffset, idOffset + PDB_ID_BYTES);
  if (id.every((byte) => byte === 0)) throw packageRejection('pdb.zero_id', 'the PDB id (first 20 bytes of #Pdb) is all zeros');
  const guid = formatWindowsGuid(bytes, idOffset);
  const stamp = Buffer.from(id.buffer, id.byteOffset, id.byteLength).readUInt32LE(16);
  return { guid, stamp, idOffset, signature: `${guid}${PORTABLE_PDB_AGE_SUFFIX}` };
}

/** The stream headers of an ECMA-335 metadata root that starts at offset 0, bounds-checked. */
export function readMetadataStreamHeaders(bytes: Uint8Array): MetadataStreamHeader[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.length < 20) throw malformed(`${view.length} bytes is too short for a metadata root`);
  const versionLength = view.readUInt32LE(12);
  if (versionLength === 0 || versionLength > MAX_VERSION_LENGTH || versionLength % 4 !== 0) {
    throw malformed(`invalid metadata version string length ${versionLength} (must be 4..${MAX_VERSION_LENGTH} and a multiple of 4)`);
  }
  const streamCountOffset = 16 + versionLength + 2;
  if (streamCountOffset + 2 > view.length) throw malformed('the stream count lies past the end of the file');
  const streamCount = view.readUInt16LE(streamCountOffset);
  if (streamCount === 0) throw malformed('the metadata root declares no streams');

  const headers: MetadataStreamHeader[] = [];
  let position = streamCountOffset + 2;
  for (let index = 0; index < streamCount; index += 1) {
    if (position + 8 > view.length) throw malformed(`stream header ${index} of ${streamCount} lies past the end of the file`);
    const offset = view.readUInt32LE(position);
    const size = view.readUInt32LE(position + 4);
    position += 8;
    const nameEnd = view.subarray(position, Math.min(position + MAX_STREAM_NAME_BYTES, view.length)).indexOf(0);
    if (nameEnd < 0) throw malformed(`stream header ${index}: name is not NUL-terminated within ${MAX_STREAM_NAME_BYTES} bytes`);
    const nameBytes = view.subarray(position, position + nameEnd);
    if (nameBytes.length === 0 || nameBytes.some((byte) => byte < 0x21 || byte > 0x7e)) {
      throw malformed(`stream header ${index}: name is empty or not printable ASCII`);
    }
    const name = nameBytes.toString('latin1');
    position += (nameEnd + 4) & ~3; // name + NUL, padded to 4
    if (offset + size > view.length) {
      throw malformed(`stream ${name} (offset ${offset}, ${size} bytes) extends past the end of the ${view.length}-byte file`);
    }
    if (headers.some((header) => header.name === name)) throw malformed(`stream ${name} appears twice`);
    headers.push({ name, offset, size });
  }
  return headers;
}

function malformed(message: string): Error {
  return packageRejection('pdb.malformed', `malformed portable PDB: ${message}`);
}
