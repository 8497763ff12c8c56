import { type PackageLimits, MAX_SYMBOL_PATH_LENGTH } from '../limits';
import { checkSymbolsPackageNuspec } from '../nuspec/nuspec-rules';
import { type NuspecMetadata, parseNuspec } from '../nuspec/parse-nuspec';
import { sha256Hex, symbolChecksum } from '../pdb/checksum';
import { type PortablePdbInfo, readPortablePdb } from '../pdb/portable-pdb';
import { packageRejection, rejectReasonOf } from '../reject';
import { type ZipEntry, keptEntry, readZipArchive } from '../zip/read-zip';
import { findRootNuspec, payloadEntries } from './package-layout';

/** The only payload extension a symbol package may carry; compared ordinally, as nuget.org does. */
export const SYMBOL_FILE_EXTENSION = '.pdb';

export interface SymbolEntry {
  /** Zip entry name as-is, e.g. `lib/net5.0/TestData.pdb` (GitLab's `file_path`). */
  readonly entryPath: string;
  /** Basename lower-cased, e.g. `testdata.pdb` (GitLab's stored `file`; SSQP file part). */
  readonly fileName: string;
  /** The inflated PDB. */
  readonly bytes: Buffer;
  readonly size: number;
  readonly pdb: PortablePdbInfo;
  /** `${guid}FFFFFFFF` (guid lower, FFFFFFFF upper, as GitLab stores it). */
  readonly signature: string;
  /** SHA-256 hex with the 20 id bytes zeroed: the `SymbolChecksum` (GitLab's `file_sha256`). */
  readonly fileSha256: string;
  /** Plain SHA-256 hex of the file: the Geo verification checksum. */
  readonly sha256: string;
}

export interface InspectedSymbolPackage {
  readonly metadata: NuspecMetadata;
  readonly nuspecPath: string;
  /** In archive order. */
  readonly symbols: SymbolEntry[];
}

/**
 * Validates a `.snupkg` fully in memory before anything is stored: zip rules, one root nuspec
 * of type `SymbolsPackage`, payload only `.pdb` files (1..maxSymbolFiles), each a sound portable
 * PDB, no two with the same signature. Every PDB is parsed and hashed before this returns, so a
 * caller that gets a result can write all of it or nothing. Whether a matching `.nupkg` exists
 * (same id and version, else 404) is for the caller to decide.
 */
export async function inspectSnupkg(bytes: Uint8Array, limits: PackageLimits): Promise<InspectedSymbolPackage> {
  let nuspecPath: string | undefined;
  const symbolPaths = new Set<string>();
  const entries = await readZipArchive(bytes, {
    limits,
    checkLayout: (list) => {
      const nuspec = findRootNuspec(list);
      nuspecPath = nuspec.name;
      for (const entry of checkSymbolPayload(payloadEntries(list, nuspec), limits)) symbolPaths.add(entry.name);
    },
    keep: (entry) => entry.name === nuspecPath || symbolPaths.has(entry.name),
  });

  const nuspec = keptEntry(entries, nuspecPath);
  const metadata = parseNuspec(nuspec.bytes, nuspec.name);
  checkSymbolsPackageNuspec(metadata, nuspec.name);

  const symbols: SymbolEntry[] = [];
  const pathBySignature = new Map<string, string>();
  for (const entry of entries) {
    if (!symbolPaths.has(entry.name)) continue;
    const symbol = toSymbolEntry(entry.name, keptEntry(entries, entry.name).bytes);
    const firstPath = pathBySignature.get(symbol.signature);
    if (firstPath !== undefined) {
      throw packageRejection(
        'pdb.duplicate_signature',
        `entries ${JSON.stringify(firstPath)} and ${JSON.stringify(entry.name)} are the same PDB (signature ${symbol.signature}); each PDB may appear once`,
        { entry: entry.name, signature: symbol.signature },
      );
    }
    pathBySignature.set(symbol.signature, entry.name);
    symbols.push(symbol);
  }
  return { metadata, nuspecPath: nuspec.name, symbols };
}

/** Payload rules that need names only; returns the PDB entries. */
function checkSymbolPayload(payload: readonly ZipEntry[], limits: PackageLimits): readonly ZipEntry[] {
  for (const entry of payload) {
    const shown = JSON.stringify(entry.name);
    if (!entry.name.endsWith(SYMBOL_FILE_EXTENSION)) {
      const hint = entry.name.toLowerCase().endsWith(SYMBOL_FILE_EXTENSION) ? ` (the extension must be lower-case "${SYMBOL_FILE_EXTENSION}")` : '';
      throw packageRejection('snupkg.non_pdb_payload', `entry ${shown} is not a .pdb file${hint}; a symbol package may only contain .pdb files`, {
        entry: entry.name,
      });
    }
    if (entry.name.length > MAX_SYMBOL_PATH_LENGTH) {
      throw packageRejection('snupkg.path_too_long', `entry path of ${entry.name.length} characters exceeds the limit of ${MAX_SYMBOL_PATH_LENGTH}`, {
        entry: entry.name.slice(0, 64),
      });
    }
  }
  if (payload.length === 0) throw packageRejection('snupkg.no_pdbs', 'the symbol package contains no .pdb files');
  if (payload.length > limits.maxSymbolFiles) {
    throw packageRejection('snupkg.too_many_pdbs', `the symbol package contains ${payload.length} .pdb files, above the limit of ${limits.maxSymbolFiles}`, {
      count: payload.length,
      limit: limits.maxSymbolFiles,
    });
  }
  return payload;
}

function toSymbolEntry(entryPath: string, bytes: Buffer): SymbolEntry {
  let pdb: PortablePdbInfo;
  try {
    pdb = readPortablePdb(bytes);
  } catch (error) {
    const reason = rejectReasonOf(error);
    if (reason === undefined) throw error;
    // Same reason, but the message names the entry; the reader's error stays the cause.
    throw packageRejection(reason, `entry ${JSON.stringify(entryPath)}: ${(error as Error).message}`, { entry: entryPath }, error);
  }
  const fileName = (entryPath.split('/').pop() ?? entryPath).toLowerCase();
  return {
    entryPath,
    fileName,
    bytes,
    size: bytes.length,
    pdb,
    signature: pdb.signature,
    fileSha256: symbolChecksum(bytes, pdb.idOffset),
    sha256: sha256Hex(bytes),
  };
}
