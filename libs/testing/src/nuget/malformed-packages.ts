import { DEFAULT_PACKAGE_LIMITS, type PackageLimits, type RejectReason, readPortablePdb } from '@geo/nuget-format';
import { readFixture } from './fixtures';
import { buildNupkg, buildSnupkg, nuspecXml, patchPortablePdbId } from './symbol-packages';
import { type ZipEntrySpec, truncateZip } from './zip-writer';

const MIB = 1024 * 1024;

/**
 * Limits the malformed cases are built against: small enough that size cases stay fast, large
 * enough for every honest case. A server under test must run with exactly these
 * (`NUGET_MAX_*` settings), or the size cases will not trip.
 */
export const TEST_PACKAGE_LIMITS: PackageLimits = Object.freeze({
  ...DEFAULT_PACKAGE_LIMITS,
  maxPackageBytes: 8 * MIB,
  maxUncompressedBytes: 32 * MIB,
});

export interface MalformedPackageContext {
  /** Id and version of the package the case targets (for `.snupkg` cases the matching `.nupkg` exists). */
  readonly id: string;
  readonly version: string;
}

export interface MalformedPackageCase {
  /** Unique, readable; used as the test title. */
  readonly name: string;
  /** Which push endpoint receives it. */
  readonly kind: 'nupkg' | 'snupkg';
  build(ctx: MalformedPackageContext): Buffer;
  /** 400/413 from validation, 404 when the package parses but names another id/version. */
  readonly expectedStatus: 400 | 404 | 413;
  /** A substring the response message must contain. */
  readonly messageIncludes: string;
  /** The `details.reason` inspectNupkg/inspectSnupkg reject it with; null for the 404 cases, which parse. */
  readonly expectedReason: RejectReason | null;
}

/** A valid portable PDB (cecil EmptyPdb, 232 bytes) with an id unique to `seed`. */
function validPdb(seed: number): Buffer {
  return patchPortablePdbId(readFixture('cecil/EmptyPdb.pdb'), 90_000 + seed);
}

/** A valid `.snupkg` for ctx with one PDB plus the given hostile entries. */
function snupkgWith(ctx: MalformedPackageContext, extraEntries: readonly ZipEntrySpec[], withValidPdb = true): Buffer {
  return buildSnupkg({ ...ctx, pdbs: withValidPdb ? [{ path: 'lib/net8.0/Valid.pdb', bytes: validPdb(1) }] : [], extraEntries });
}

/** A `.snupkg` for ctx whose only PDB is `bytes`. */
function snupkgWithPdb(ctx: MalformedPackageContext, bytes: Buffer, path = 'lib/net8.0/Broken.pdb'): Buffer {
  return buildSnupkg({ ...ctx, pdbs: [{ path, bytes }] });
}

/** A `.snupkg` for ctx with this nuspec text. */
function snupkgWithNuspec(ctx: MalformedPackageContext, nuspec: string | null): Buffer {
  return buildSnupkg({ ...ctx, pdbs: [{ path: 'lib/net8.0/Valid.pdb', bytes: validPdb(2) }], nuspec });
}

/** Where the header of metadata stream `name` starts in a PDB (its offset field). Test data only. */
function streamHeaderPosition(pdb: Buffer, name: string): number {
  const at = pdb.subarray(0, 512).indexOf(Buffer.from(`${name}\0`, 'latin1'));
  if (at < 8) throw new Error(`stream header ${name} not found in template PDB`);
  return at - 8;
}

/** EmptyPdb with `mutate` applied to a copy. */
function mutatedPdb(mutate: (pdb: Buffer) => void): Buffer {
  const pdb = validPdb(3);
  mutate(pdb);
  return pdb;
}

/** Deterministic bytes that deflate at roughly 9:1 (4 random bytes per 64): honest, not a bomb. */
function moderatelyCompressible(size: number, seed: number): Buffer {
  const data = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  for (let block = 0; block + 4 <= size; block += 64) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    data.writeUInt32LE(state >>> 0, block);
  }
  return data;
}

/** Deterministic text that barely compresses (for a large nuspec that is not a bomb). */
function incompressibleText(size: number): string {
  const chunks: string[] = [];
  let state = 0x9e3779b9;
  for (let produced = 0; produced < size; produced += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    chunks.push((state >>> 0).toString(36).padStart(7, '0').slice(0, 4));
  }
  return chunks.join('').slice(0, size);
}

const PDB_PATH = 'lib/net8.0/Hostile.pdb';

/**
 * Malformed pushes, each with the status and message a server must answer and the reason
 * `inspectSnupkg`/`inspectNupkg` (with {@link TEST_PACKAGE_LIMITS}) rejects it with. Every case is
 * otherwise valid for ctx, so exactly one rule is under test. Integration tests push each one and
 * assert that nothing was stored.
 */
export const MALFORMED_SYMBOL_PACKAGES: readonly MalformedPackageCase[] = [
  // --- archive-level ---
  { name: 'empty body', kind: 'snupkg', build: () => Buffer.alloc(0), expectedStatus: 400, messageIncludes: 'empty', expectedReason: 'package.empty' },
  {
    name: 'garbage bytes',
    kind: 'snupkg',
    build: () => Buffer.from('this is not a zip archive, just text pretending to be one'.repeat(10)),
    expectedStatus: 400,
    messageIncludes: 'not a zip archive',
    expectedReason: 'zip.truncated',
  },
  {
    name: 'truncated zip',
    kind: 'snupkg',
    build: (ctx) => {
      const whole = snupkgWith(ctx, []);
      return truncateZip(whole, Math.floor(whole.length / 2));
    },
    expectedStatus: 400,
    messageIncludes: 'truncated',
    expectedReason: 'zip.truncated',
  },
  {
    name: 'corrupt central directory',
    kind: 'snupkg',
    build: (ctx) => {
      const zip = snupkgWith(ctx, []);
      const centralStart = zip.readUInt32LE(zip.length - 22 + 16);
      zip.writeUInt32LE(0xdeadbeef, centralStart);
      return zip;
    },
    expectedStatus: 400,
    messageIncludes: 'corrupt zip archive',
    expectedReason: 'zip.invalid',
  },
  {
    name: 'too many zip entries',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, Array.from({ length: 1000 }, (_, i): ZipEntrySpec => ({ name: `lib/net8.0/Empty${i}.pdb` }))),
    expectedStatus: 400,
    messageIncludes: 'above the limit of 1000',
    expectedReason: 'zip.too_many_entries',
  },
  {
    name: 'zip bomb (compression ratio)',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: 'lib/net8.0/Bomb.pdb', data: Buffer.alloc(4 * MIB), level: 9 }]),
    expectedStatus: 413,
    messageIncludes: 'ratio',
    expectedReason: 'zip.ratio',
  },
  {
    name: 'total uncompressed size over the limit',
    kind: 'snupkg',
    build: (ctx) =>
      snupkgWith(
        ctx,
        Array.from({ length: 5 }, (_, i): ZipEntrySpec => ({ name: `lib/net8.0/Big${i}.pdb`, data: moderatelyCompressible(7 * MIB, i + 1), level: 1 })),
      ),
    expectedStatus: 413,
    messageIncludes: 'in total',
    expectedReason: 'zip.uncompressed_too_large',
  },
  {
    name: 'lying declared size (smaller than real)',
    kind: 'snupkg',
    build: (ctx) => {
      const pdb = validPdb(4);
      return snupkgWith(ctx, [{ name: PDB_PATH, data: pdb, declaredSize: pdb.length - 100 }], false);
    },
    expectedStatus: 400,
    messageIncludes: 'but inflates to',
    expectedReason: 'zip.size_mismatch',
  },
  {
    name: 'CRC-32 mismatch',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: PDB_PATH, data: validPdb(5), crc32: 0x12345678 }], false),
    expectedStatus: 400,
    messageIncludes: 'CRC-32',
    expectedReason: 'zip.crc_mismatch',
  },
  {
    name: 'corrupt deflate data',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: PDB_PATH, compressedData: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x11]), declaredSize: 232 }], false),
    expectedStatus: 400,
    messageIncludes: 'corrupt deflate data',
    expectedReason: 'zip.corrupt_entry',
  },
  {
    name: 'encrypted entry',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: PDB_PATH, data: validPdb(6), encrypted: true }], false),
    expectedStatus: 400,
    messageIncludes: 'encrypted',
    expectedReason: 'zip.encrypted',
  },
  {
    name: 'unsupported compression method',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: PDB_PATH, data: validPdb(7), method: 12 }], false),
    expectedStatus: 400,
    messageIncludes: 'compression method 12',
    expectedReason: 'zip.unsupported_method',
  },
  {
    name: 'local header disagrees with central directory',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: PDB_PATH, data: validPdb(8), localName: 'lib/net8.0/Other.pdb' }], false),
    expectedStatus: 400,
    messageIncludes: 'disagrees with the central directory',
    expectedReason: 'zip.local_header_mismatch',
  },
  {
    name: 'overlapping entries',
    kind: 'snupkg',
    build: (ctx) =>
      snupkgWith(
        ctx,
        [
          { name: 'lib/net8.0/Host.pdb', data: validPdb(9), method: 0 },
          { name: 'lib/net8.0/Inner.pdb', data: validPdb(10), method: 0, overlapsDataOf: 'lib/net8.0/Host.pdb' },
        ],
        false,
      ),
    expectedStatus: 400,
    messageIncludes: 'overlap',
    expectedReason: 'zip.overlapping_entries',
  },
  {
    name: 'symbolic link entry',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: 'lib/net8.0/Link.pdb', data: '/etc/passwd', unixMode: 0o120777 }]),
    expectedStatus: 400,
    messageIncludes: 'symbolic link',
    expectedReason: 'zip.symlink',
  },
  {
    name: 'directory entry with data',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: 'lib/net8.0/', data: 'surprise' }]),
    expectedStatus: 400,
    messageIncludes: 'carries 8 bytes',
    expectedReason: 'zip.directory_with_data',
  },
  // --- entry names ---
  {
    name: '"../" entry (path traversal)',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: '../Escape.pdb', data: validPdb(11) }], false),
    expectedStatus: 400,
    messageIncludes: 'path traversal',
    expectedReason: 'zip.path_traversal',
  },
  {
    name: 'nested "../" segment',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: 'lib/../../Escape.pdb', data: validPdb(12) }], false),
    expectedStatus: 400,
    messageIncludes: 'path traversal',
    expectedReason: 'zip.path_traversal',
  },
  {
    name: 'absolute entry',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: '/tmp/Absolute.pdb', data: validPdb(13) }], false),
    expectedStatus: 400,
    messageIncludes: 'absolute path',
    expectedReason: 'zip.absolute_path',
  },
  {
    name: 'drive-letter entry',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: 'C:/Windows/Drive.pdb', data: validPdb(14) }], false),
    expectedStatus: 400,
    messageIncludes: 'drive letter',
    expectedReason: 'zip.absolute_path',
  },
  {
    name: 'backslash entry',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: 'lib\\net8.0\\Backslash.pdb', data: validPdb(15) }], false),
    expectedStatus: 400,
    messageIncludes: 'backslash',
    expectedReason: 'zip.backslash',
  },
  {
    name: 'control character in name',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: 'lib/net8.0/Bell\u0007.pdb', data: validPdb(16) }], false),
    expectedStatus: 400,
    messageIncludes: 'control character',
    expectedReason: 'zip.control_char',
  },
  {
    name: 'empty entry name',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: '', data: validPdb(17) }]),
    expectedStatus: 400,
    messageIncludes: 'empty name',
    expectedReason: 'zip.empty_name',
  },
  {
    name: 'non-ASCII name without the UTF-8 flag',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: Buffer.from('lib/net8.0/Caf\xe9.pdb', 'latin1'), data: validPdb(18) }], false),
    expectedStatus: 400,
    messageIncludes: 'no UTF-8 flag',
    expectedReason: 'zip.invalid_name',
  },
  {
    name: 'entry name over 1024 characters',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: `lib/${'a'.repeat(1100)}.pdb`, data: validPdb(19) }], false),
    expectedStatus: 400,
    messageIncludes: 'exceeds the limit of 1024',
    expectedReason: 'zip.name_too_long',
  },
  {
    name: 'duplicate entries',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: 'lib/net8.0/Valid.pdb', data: validPdb(20) }]),
    expectedStatus: 400,
    messageIncludes: 'appears twice',
    expectedReason: 'zip.duplicate_entry',
  },
  {
    name: 'case-insensitive duplicate entries',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: 'LIB/NET8.0/VALID.pdb', data: validPdb(21) }]),
    expectedStatus: 400,
    messageIncludes: 'only in case',
    expectedReason: 'zip.duplicate_entry',
  },
  // --- payload ---
  {
    name: '101 PDBs',
    kind: 'snupkg',
    build: (ctx) => buildSnupkg({ ...ctx, pdbs: Array.from({ length: 101 }, (_, i) => ({ path: `lib/net8.0/P${i}.pdb`, bytes: validPdb(100 + i) })) }),
    expectedStatus: 400,
    messageIncludes: 'above the limit of 100',
    expectedReason: 'snupkg.too_many_pdbs',
  },
  {
    name: 'no PDBs',
    kind: 'snupkg',
    build: (ctx) => buildSnupkg({ ...ctx, pdbs: [] }),
    expectedStatus: 400,
    messageIncludes: 'no .pdb files',
    expectedReason: 'snupkg.no_pdbs',
  },
  {
    name: 'non-PDB payload (.dll)',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: 'lib/net8.0/Library.dll', data: readFixture('cecil/EmptyPdb.dll') }]),
    expectedStatus: 400,
    messageIncludes: 'is not a .pdb file',
    expectedReason: 'snupkg.non_pdb_payload',
  },
  {
    // nuget.org compares the extension ordinally; GitLab's case-sensitive glob would silently skip it.
    name: 'upper-case .PDB extension',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: 'lib/net8.0/Upper.PDB', data: validPdb(22) }], false),
    expectedStatus: 400,
    messageIncludes: 'must be lower-case',
    expectedReason: 'snupkg.non_pdb_payload',
  },
  {
    name: 'PDB path over 255 characters',
    kind: 'snupkg',
    build: (ctx) => snupkgWithPdb(ctx, validPdb(23), `lib/${'d'.repeat(260)}.pdb`),
    expectedStatus: 400,
    messageIncludes: 'exceeds the limit of 255',
    expectedReason: 'snupkg.path_too_long',
  },
  // --- PDB content ---
  {
    name: 'Windows (MSF) PDB',
    kind: 'snupkg',
    build: (ctx) => snupkgWithPdb(ctx, readFixture('cecil/libpdb.pdb'), 'lib/net8.0/Windows.pdb'),
    expectedStatus: 400,
    messageIncludes: 'Windows (MSF) PDB',
    expectedReason: 'pdb.windows',
  },
  {
    name: 'garbage .pdb',
    kind: 'snupkg',
    build: (ctx) => snupkgWithPdb(ctx, Buffer.from('definitely not a program database '.repeat(8))),
    expectedStatus: 400,
    messageIncludes: 'not a portable PDB',
    expectedReason: 'pdb.not_portable',
  },
  {
    name: 'BSJB with a broken stream table',
    kind: 'snupkg',
    build: (ctx) =>
      snupkgWithPdb(
        ctx,
        mutatedPdb((pdb) => pdb.writeUInt16LE(0xffff, 16 + pdb.readUInt32LE(12) + 2)),
      ),
    expectedStatus: 400,
    messageIncludes: 'stream header',
    expectedReason: 'pdb.malformed',
  },
  {
    name: 'BSJB with a bad version-string length',
    kind: 'snupkg',
    build: (ctx) => snupkgWithPdb(ctx, mutatedPdb((pdb) => pdb.writeUInt32LE(7, 12))),
    expectedStatus: 400,
    messageIncludes: 'version string length',
    expectedReason: 'pdb.malformed',
  },
  {
    name: '#Pdb stream out of bounds',
    kind: 'snupkg',
    build: (ctx) => snupkgWithPdb(ctx, mutatedPdb((pdb) => pdb.writeUInt32LE(0x00100000, streamHeaderPosition(pdb, '#Pdb') + 4))),
    expectedStatus: 400,
    messageIncludes: 'extends past the end',
    expectedReason: 'pdb.malformed',
  },
  {
    name: '#Pdb stream shorter than its header',
    kind: 'snupkg',
    build: (ctx) => snupkgWithPdb(ctx, mutatedPdb((pdb) => pdb.writeUInt32LE(16, streamHeaderPosition(pdb, '#Pdb') + 4))),
    expectedStatus: 400,
    messageIncludes: 'shorter than',
    expectedReason: 'pdb.malformed',
  },
  {
    name: 'missing #Pdb stream',
    kind: 'snupkg',
    build: (ctx) => snupkgWithPdb(ctx, mutatedPdb((pdb) => pdb.write('#Pdx', streamHeaderPosition(pdb, '#Pdb') + 8, 'latin1'))),
    expectedStatus: 400,
    messageIncludes: 'no #Pdb stream',
    expectedReason: 'pdb.malformed',
  },
  {
    name: 'all-zero PDB id',
    kind: 'snupkg',
    build: (ctx) =>
      snupkgWithPdb(
        ctx,
        mutatedPdb((pdb) => pdb.fill(0, readPortablePdb(pdb).idOffset, readPortablePdb(pdb).idOffset + 20)),
      ),
    expectedStatus: 400,
    messageIncludes: 'all zeros',
    expectedReason: 'pdb.zero_id',
  },
  {
    name: 'duplicate signature',
    kind: 'snupkg',
    build: (ctx) =>
      buildSnupkg({
        ...ctx,
        pdbs: [
          { path: 'lib/net6.0/Same.pdb', bytes: validPdb(30) },
          { path: 'lib/net8.0/Same.pdb', bytes: validPdb(30) },
        ],
      }),
    expectedStatus: 400,
    messageIncludes: 'same PDB',
    expectedReason: 'pdb.duplicate_signature',
  },
  // --- nuspec ---
  { name: 'missing nuspec', kind: 'snupkg', build: (ctx) => snupkgWithNuspec(ctx, null), expectedStatus: 400, messageIncludes: 'no .nuspec', expectedReason: 'nuspec.missing' },
  {
    name: 'two nuspecs',
    kind: 'snupkg',
    build: (ctx) => snupkgWith(ctx, [{ name: 'Second.nuspec', data: nuspecXml({ ...ctx, packageTypes: ['SymbolsPackage'] }) }]),
    expectedStatus: 400,
    messageIncludes: 'exactly one is allowed',
    expectedReason: 'nuspec.multiple',
  },
  {
    name: 'invalid nuspec XML',
    kind: 'snupkg',
    build: (ctx) => snupkgWithNuspec(ctx, `<package><metadata><id>${ctx.id}</id><version>${ctx.version}</metadata></package>`),
    expectedStatus: 400,
    messageIncludes: 'not well-formed XML',
    expectedReason: 'nuspec.invalid_xml',
  },
  {
    name: 'nuspec with DTD and entity',
    kind: 'snupkg',
    build: (ctx) =>
      snupkgWithNuspec(
        ctx,
        `<?xml version="1.0"?><!DOCTYPE package [<!ENTITY lol "lol">]><package><metadata><id>${ctx.id}</id><version>${ctx.version}</version>` +
          '<description>&lol;</description><packageTypes><packageType name="SymbolsPackage" /></packageTypes></metadata></package>',
      ),
    expectedStatus: 400,
    messageIncludes: 'DTD',
    expectedReason: 'nuspec.dtd',
  },
  {
    name: 'nuspec over 4 MiB',
    kind: 'snupkg',
    build: (ctx) => {
      const nuspec = nuspecXml({ ...ctx, authors: null, packageTypes: ['SymbolsPackage'] }).replace('<metadata>', `<!-- ${incompressibleText(4 * MIB + 1024)} --><metadata>`);
      return snupkgWithNuspec(ctx, nuspec);
    },
    expectedStatus: 413,
    messageIncludes: 'above the limit of 4194304',
    expectedReason: 'nuspec.too_large',
  },
  {
    name: 'nuspec without version',
    kind: 'snupkg',
    build: (ctx) =>
      snupkgWithNuspec(
        ctx,
        `<package><metadata><id>${ctx.id}</id><description>d</description><packageTypes><packageType name="SymbolsPackage" /></packageTypes></metadata></package>`,
      ),
    expectedStatus: 400,
    messageIncludes: 'has no <version>',
    expectedReason: 'nuspec.missing_field',
  },
  {
    name: 'nuspec without description',
    kind: 'snupkg',
    build: (ctx) => snupkgWithNuspec(ctx, nuspecXml({ ...ctx, authors: null, description: null, packageTypes: ['SymbolsPackage'] })),
    expectedStatus: 400,
    messageIncludes: 'has no <description>',
    expectedReason: 'nuspec.missing_field',
  },
  {
    name: 'invalid package id',
    kind: 'snupkg',
    build: (ctx) => snupkgWithNuspec(ctx, nuspecXml({ ...ctx, id: `${ctx.id}/../x`, authors: null, packageTypes: ['SymbolsPackage'] })),
    expectedStatus: 400,
    messageIncludes: 'not a valid NuGet package id',
    expectedReason: 'nuspec.invalid_id',
  },
  {
    name: 'invalid version',
    kind: 'snupkg',
    build: (ctx) => snupkgWithNuspec(ctx, nuspecXml({ ...ctx, version: 'not-a-version', authors: null, packageTypes: ['SymbolsPackage'] })),
    expectedStatus: 400,
    messageIncludes: 'not a valid NuGet version',
    expectedReason: 'nuspec.invalid_version',
  },
  {
    name: 'wrong package type',
    kind: 'snupkg',
    build: (ctx) => buildSnupkg({ ...ctx, pdbs: [{ path: 'lib/net8.0/Valid.pdb', bytes: validPdb(40) }], packageTypes: ['Dependency'] }),
    expectedStatus: 400,
    messageIncludes: 'must declare exactly "SymbolsPackage"',
    expectedReason: 'nuspec.not_symbols_package',
  },
  {
    name: 'no package type',
    kind: 'snupkg',
    build: (ctx) => buildSnupkg({ ...ctx, pdbs: [{ path: 'lib/net8.0/Valid.pdb', bytes: validPdb(41) }], packageTypes: [] }),
    expectedStatus: 400,
    messageIncludes: 'declares no package type',
    expectedReason: 'nuspec.not_symbols_package',
  },
  // --- parse fine, but no matching package (GitLab: "matching package does not exist") ---
  {
    name: 'id mismatch',
    kind: 'snupkg',
    build: (ctx) => buildSnupkg({ id: `${ctx.id}.Other`, version: ctx.version, pdbs: [{ path: 'lib/net8.0/Valid.pdb', bytes: validPdb(50) }] }),
    expectedStatus: 404,
    messageIncludes: 'matching package',
    expectedReason: null,
  },
  {
    name: 'version mismatch',
    kind: 'snupkg',
    build: (ctx) => buildSnupkg({ id: ctx.id, version: `${ctx.version}-other`, pdbs: [{ path: 'lib/net8.0/Valid.pdb', bytes: validPdb(51) }] }),
    expectedStatus: 404,
    messageIncludes: 'matching package',
    expectedReason: null,
  },
  // --- .nupkg pushes ---
  {
    name: 'nupkg: garbage bytes',
    kind: 'nupkg',
    build: () => Buffer.from('PK but not really a zip'),
    expectedStatus: 400,
    messageIncludes: 'not a zip archive',
    expectedReason: 'zip.truncated',
  },
  {
    name: 'nupkg: path traversal',
    kind: 'nupkg',
    build: (ctx) => buildNupkg({ ...ctx, extraEntries: [{ name: 'content/../../evil.txt', data: 'x' }] }),
    expectedStatus: 400,
    messageIncludes: 'path traversal',
    expectedReason: 'zip.path_traversal',
  },
  { name: 'nupkg: missing nuspec', kind: 'nupkg', build: (ctx) => buildNupkg({ ...ctx, nuspec: null }), expectedStatus: 400, messageIncludes: 'no .nuspec', expectedReason: 'nuspec.missing' },
  {
    name: 'nupkg: declares SymbolsPackage',
    kind: 'nupkg',
    build: (ctx) => buildNupkg({ ...ctx, packageType: 'SymbolsPackage' }),
    expectedStatus: 400,
    messageIncludes: 'push it as a symbol package',
    expectedReason: 'nuspec.symbols_package_in_nupkg',
  },
  {
    name: 'nupkg: nuspec without authors',
    kind: 'nupkg',
    build: (ctx) => buildNupkg({ ...ctx, nuspec: nuspecXml({ ...ctx, authors: null }) }),
    expectedStatus: 400,
    messageIncludes: 'has no <authors>',
    expectedReason: 'nuspec.missing_field',
  },
];
