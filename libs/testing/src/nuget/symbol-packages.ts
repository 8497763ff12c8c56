import { createHash } from 'node:crypto';
import { PDB_ID_BYTES, SYMBOLS_PACKAGE_TYPE, readPortablePdb } from '@geo/nuget-format';
import { type ZipEntrySpec, writeZip } from './zip-writer';

export interface NuspecOptions {
  readonly id: string;
  readonly version: string;
  /** `null` omits the element. Default: a short description. */
  readonly description?: string | null;
  /** `null` omits the element. Default: "Geo Tests". */
  readonly authors?: string | null;
  /** Package type names; an empty list omits `<packageTypes>`. */
  readonly packageTypes?: readonly string[];
}

/** A nuspec document as `nuget pack` writes it (values are XML-escaped). */
export function nuspecXml(options: NuspecOptions): string {
  const element = (name: string, value: string | null | undefined): string[] => (value == null ? [] : [`    <${name}>${escapeXml(value)}</${name}>`]);
  const types = options.packageTypes ?? [];
  const packageTypes =
    types.length === 0 ? [] : ['    <packageTypes>', ...types.map((type) => `      <packageType name="${escapeXml(type)}" />`), '    </packageTypes>'];
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<package xmlns="http://schemas.microsoft.com/packaging/2012/06/nuspec.xsd">',
    '  <metadata>',
    ...element('id', options.id),
    ...element('version', options.version),
    ...element('authors', options.authors === undefined ? 'Geo Tests' : options.authors),
    ...element('description', options.description === undefined ? `Test package ${options.id}` : options.description),
    ...packageTypes,
    '  </metadata>',
    '</package>',
    '',
  ].join('\r\n');
}

export interface BuildNupkgOptions {
  readonly id: string;
  readonly version: string;
  /** A single package type to declare (e.g. `Dependency`); none by default. */
  readonly packageType?: string;
  /** Replaces the generated nuspec text; `null` leaves the nuspec out. */
  readonly nuspec?: string | null;
  /** Added after the generated entries (payload or hostile entries). */
  readonly extraEntries?: readonly ZipEntrySpec[];
}

/** A `.nupkg` with the usual OPC parts, a nuspec and any extra entries. */
export function buildNupkg(options: BuildNupkgOptions): Buffer {
  const nuspec = options.nuspec === undefined ? nuspecXml({ ...options, packageTypes: options.packageType ? [options.packageType] : [] }) : options.nuspec;
  return writeZip(packageEntries(options.id, options.version, nuspec, options.extraEntries ?? []));
}

export interface BuildSnupkgOptions {
  readonly id: string;
  readonly version: string;
  /** PDBs at their entry paths (e.g. `lib/net8.0/Foo.pdb`). */
  readonly pdbs: ReadonlyArray<{ readonly path: string; readonly bytes: Buffer }>;
  /** Replaces the generated nuspec text; `null` leaves the nuspec out. */
  readonly nuspec?: string | null;
  /** Package types of the generated nuspec. Default `["SymbolsPackage"]`. */
  readonly packageTypes?: readonly string[];
  /** Added after the PDBs (payload or hostile entries). */
  readonly extraEntries?: readonly ZipEntrySpec[];
}

/** A `.snupkg` laid out as `dotnet pack` writes one: OPC parts, a symbols nuspec (no authors), the PDBs. */
export function buildSnupkg(options: BuildSnupkgOptions): Buffer {
  const nuspec =
    options.nuspec === undefined
      ? nuspecXml({ id: options.id, version: options.version, authors: null, packageTypes: options.packageTypes ?? [SYMBOLS_PACKAGE_TYPE] })
      : options.nuspec;
  const pdbEntries = options.pdbs.map((pdb): ZipEntrySpec => ({ name: pdb.path, data: pdb.bytes }));
  return writeZip(packageEntries(options.id, options.version, nuspec, [...pdbEntries, ...(options.extraEntries ?? [])]));
}

/**
 * A copy of a portable PDB with a different, deterministic PDB id, so one fixture yields many
 * distinct symbols. The id is located by walking the metadata streams (`readPortablePdb`) and
 * replaced by the first 20 bytes of SHA-256(original id ‖ seed): the same (PDB, seed) always gives
 * the same id, different seeds or templates give different ones. The id-zeroed checksum
 * (`fileSha256`) is unchanged by design; the plain SHA-256 changes.
 */
export function patchPortablePdbId(pdbBytes: Uint8Array, seed: number): Buffer {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  const { idOffset } = readPortablePdb(pdbBytes);
  const copy = Buffer.from(pdbBytes);
  const originalId = copy.subarray(idOffset, idOffset + PDB_ID_BYTES);
  const newId = createHash('sha256').update(originalId).update(`geo-test-pdb-id:${seed}`).digest().subarray(0, PDB_ID_BYTES);
  newId.copy(copy, idOffset);
  return copy;
}

/** OPC parts + nuspec + entries, in the order NuGet writes them. */
function packageEntries(id: string, version: string, nuspec: string | null, entries: readonly ZipEntrySpec[]): ZipEntrySpec[] {
  const partId = createHash('sha256').update(`${id}/${version}`).digest('hex').slice(0, 32);
  return [
    { name: '_rels/.rels', data: relsXml(id, partId) },
    ...(nuspec === null ? [] : [{ name: `${id}.nuspec`, data: nuspec }]),
    ...entries,
    { name: '[Content_Types].xml', data: CONTENT_TYPES_XML },
    { name: `package/services/metadata/core-properties/${partId}.psmdcp`, data: corePropertiesXml(id, version) },
  ];
}

function relsXml(id: string, partId: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    `<Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/${escapeXml(id)}.nuspec" Id="R${partId.slice(0, 16)}" />` +
    `<Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/package/services/metadata/core-properties/${partId}.psmdcp" Id="R${partId.slice(16)}" />` +
    '</Relationships>'
  );
}

const CONTENT_TYPES_XML =
  '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />' +
  '<Default Extension="nuspec" ContentType="application/octet" />' +
  '<Default Extension="pdb" ContentType="application/octet" />' +
  '<Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" />' +
  '</Types>';

function corePropertiesXml(id: string, version: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" ' +
    'xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">' +
    `<dc:identifier>${escapeXml(id)}</dc:identifier><version>${escapeXml(version)}</version></coreProperties>`
  );
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
