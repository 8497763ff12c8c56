import { packageRejection } from '../reject';
import { MSF2_MAGIC, MSF7_MAGIC, startsWith } from './detect';
import { formatWindowsGuid } from './guid';

export interface WindowsPdbInfo {
  readonly guid: string;
  /** DBI age when the DBI header is valid, else the PDB-info-stream age (symstore's rule). */
  readonly age: number;
  /** Age in the PDB info stream (stream 1); tools such as pdbstr bump it. */
  readonly pdbInfoAge: number;
  /** The PDB info stream's signature (a timestamp). */
  readonly signature: number;
  /** SSQP key middle: `${guid}${age.toString(16)}`, lower case. */
  readonly key: string;
}

const SUPERBLOCK_BYTES = 56;
const BLOCK_MAP_OFFSET = 52;
const PDB_INFO_STREAM = 1;
const DBI_STREAM = 3;
const PDB_INFO_BYTES = 28; // version, signature, age, GUID
const DBI_HEADER_SIGNATURE = -1;
const DBI_VERSION_V70 = 19990903;
/** Stream size marking a nil stream in the MSF directory. */
const NIL_STREAM_SIZE = 0xffffffff;

/**
 * Reads GUID and age of a Windows MSF 7.00 PDB (spec nuget-symbols §3): superblock → block map →
 * directory → stream 1 (PDB info) and the head of stream 3 (DBI). Every block number is checked
 * against the block count and the file size, and every loop is bounded by a count that was
 * itself checked against the directory size, so hostile block numbers cannot make it loop or
 * read out of bounds.
 */
export function readWindowsPdb(bytes: Uint8Array): WindowsPdbInfo {
  if (startsWith(bytes, MSF2_MAGIC)) throw malformed('the obsolete "program database 2.00" (JG) format is not supported');
  if (!startsWith(bytes, MSF7_MAGIC)) throw malformed('no "Microsoft C/C++ MSF 7.00" signature');
  const msf = openMsf(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

  const info = msf.readStreamPrefix(PDB_INFO_STREAM, PDB_INFO_BYTES);
  if (info.length < PDB_INFO_BYTES) throw malformed(`the PDB info stream has ${info.length} bytes, fewer than ${PDB_INFO_BYTES}`);
  const signature = info.readUInt32LE(4);
  const pdbInfoAge = info.readUInt32LE(8);
  const guid = formatWindowsGuid(info, 12);

  let age = pdbInfoAge;
  if (msf.streamCount > DBI_STREAM) {
    const dbi = msf.readStreamPrefix(DBI_STREAM, 12);
    if (dbi.length >= 12 && dbi.readInt32LE(0) === DBI_HEADER_SIGNATURE && dbi.readUInt32LE(4) === DBI_VERSION_V70) {
      age = dbi.readUInt32LE(8);
    }
  }
  return { guid, age, pdbInfoAge, signature, key: `${guid}${age.toString(16)}` };
}

interface MsfFile {
  readonly streamCount: number;
  /** Up to `maxBytes` from the start of a stream (less when the stream is shorter). */
  readStreamPrefix(stream: number, maxBytes: number): Buffer;
}

function openMsf(file: Buffer): MsfFile {
  if (file.length < SUPERBLOCK_BYTES) throw malformed(`${file.length} bytes is too short for an MSF superblock`);
  const blockSize = file.readUInt32LE(32);
  // MSF 7.00 uses 512–4096; newer toolsets write larger power-of-two pages for big PDBs.
  if (blockSize < 512 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0) throw malformed(`invalid block size ${blockSize}`);
  const blockCount = file.readUInt32LE(40);
  const directoryBytes = file.readUInt32LE(44);
  const usableBlocks = Math.min(blockCount, Math.floor(file.length / blockSize));
  if (directoryBytes < 4 || directoryBytes > usableBlocks * blockSize) throw malformed(`invalid directory size ${directoryBytes}`);

  const blockAt = (index: number, what: string): Buffer => {
    if (index === 0 || index >= usableBlocks) throw malformed(`${what} points at block ${index}, outside 1..${usableBlocks - 1}`);
    return file.subarray(index * blockSize, (index + 1) * blockSize);
  };
  const readBlocks = (blockNumbers: readonly number[], length: number, what: string): Buffer =>
    Buffer.concat(
      blockNumbers.map((block) => blockAt(block, what)),
      length,
    );

  const directoryBlockCount = Math.ceil(directoryBytes / blockSize);
  const blockMapBlockCount = Math.ceil((directoryBlockCount * 4) / blockSize);
  if (BLOCK_MAP_OFFSET + blockMapBlockCount * 4 > blockSize) throw malformed('the directory block map does not fit in the superblock');
  const blockMapBlocks = u32List(file, BLOCK_MAP_OFFSET, blockMapBlockCount);
  const directoryBlocks = u32List(readBlocks(blockMapBlocks, directoryBlockCount * 4, 'the block map'), 0, directoryBlockCount);
  const directory = readBlocks(directoryBlocks, directoryBytes, 'the directory');

  const streamCount = directory.readUInt32LE(0);
  if (4 + streamCount * 4 > directory.length) throw malformed(`the directory declares ${streamCount} streams but holds ${directory.length} bytes`);
  const sizes = u32List(directory, 4, streamCount).map((size) => (size === NIL_STREAM_SIZE ? 0 : size));
  // Where each stream's block list starts; every list must lie inside the directory.
  const blockListStart: number[] = [];
  let position = 4 + streamCount * 4;
  for (const size of sizes) {
    blockListStart.push(position);
    position += Math.ceil(size / blockSize) * 4;
    if (position > directory.length) throw malformed('stream block lists run past the end of the directory');
  }

  return {
    streamCount,
    readStreamPrefix(stream, maxBytes) {
      const size = sizes[stream];
      const listStart = blockListStart[stream];
      if (size === undefined || listStart === undefined) throw malformed(`stream ${stream} does not exist (${streamCount} streams)`);
      const length = Math.min(size, maxBytes);
      const blocks = u32List(directory, listStart, Math.ceil(length / blockSize));
      return readBlocks(blocks, length, `stream ${stream}`);
    },
  };
}

function u32List(buffer: Buffer, offset: number, count: number): number[] {
  const values: number[] = [];
  for (let i = 0; i < count; i += 1) values.push(buffer.readUInt32LE(offset + i * 4));
  return values;
}

function malformed(message: string): Error {
  return packageRejection('pdb.malformed', `malformed Windows PDB: ${message}`);
}
