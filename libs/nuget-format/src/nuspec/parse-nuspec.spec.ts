import { MAX_NUSPEC_BYTES } from '../limits';
import { rejectReasonOf } from '../reject';
import { EXPECTED } from '../spec-fixtures';
import { checkRegularPackageNuspec, checkSymbolsPackageNuspec } from './nuspec-rules';
import { type NuspecMetadata, parseNuspec } from './parse-nuspec';

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const doc = (metadata: string): Buffer => utf8(`<?xml version="1.0" encoding="utf-8"?><package xmlns="http://schemas.microsoft.com/packaging/2012/06/nuspec.xsd"><metadata>${metadata}</metadata></package>`);

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return rejectReasonOf(error) ?? `unexpected: ${String(error)}`;
  }
  return undefined;
}

/** Every nuspec embedded in expected.json, with its package's path. */
const FIXTURE_NUSPECS = Object.entries(EXPECTED.files).flatMap(([path, file]) =>
  (file.entries ?? []).filter((entry) => entry.nuspec !== undefined).map((entry) => [path, entry.name, entry.nuspec!] as const),
);

describe('parseNuspec on the fixture packages', () => {
  it('has fixture nuspecs', () => {
    expect(FIXTURE_NUSPECS.length).toBeGreaterThanOrEqual(3);
  });

  it.each(FIXTURE_NUSPECS)('%s (%s)', (path, name, text) => {
    const metadata = parseNuspec(utf8(text), name);
    // The fixture file names are <id>.<version>.(s)nupkg.
    expect(path.split('/').pop()).toBe(`${metadata.id}.${metadata.version}.${path.endsWith('.snupkg') ? 'snupkg' : 'nupkg'}`);
    expect(metadata.description).toEqual(expect.any(String));
    if (path.endsWith('.snupkg')) {
      expect(metadata.packageTypes).toEqual(['SymbolsPackage']);
      expect(() => checkSymbolsPackageNuspec(metadata, name)).not.toThrow();
    } else {
      expect(metadata.authors).toEqual(expect.any(String));
      expect(() => checkRegularPackageNuspec(metadata, name)).not.toThrow();
    }
  });
});

describe('parseNuspec', () => {
  it.each<[string, Buffer, Partial<NuspecMetadata>]>([
    ['a minimal nuspec', doc('<id>A</id><version>1.0.0</version>'), { id: 'A', version: '1.0.0', packageTypes: [], description: undefined, authors: undefined }],
    ['versions stay strings', doc('<id>A</id><version>1.10</version>'), { version: '1.10' }],
    ['values are trimmed', doc('<id>\n  A.B  \n</id><version> 2.0.0-beta.1+sha.5 </version>'), { id: 'A.B', version: '2.0.0-beta.1+sha.5' }],
    ['predefined and numeric entities decode', doc('<id>A</id><version>1.0.0</version><description>Fish &amp; chips &#233;&#x263A;</description>'), { description: 'Fish & chips é☺' }],
    ['CDATA', doc('<id>A</id><version>1.0.0</version><authors><![CDATA[Me & <you>]]></authors>'), { authors: 'Me & <you>' }],
    ['several package types in order', doc('<id>A</id><version>1.0.0</version><packageTypes><packageType name="Dependency"/><packageType name="DotnetTool" version="1.0"/></packageTypes>'), { packageTypes: ['Dependency', 'DotnetTool'] }],
    ['empty packageTypes', doc('<id>A</id><version>1.0.0</version><packageTypes/>'), { packageTypes: [] }],
    ['attributes on a text element', doc('<id>A</id><version>1.0.0</version><description type="x">D</description>'), { description: 'D' }],
    ['namespace prefixes', utf8('<n:package xmlns:n="urn:x"><n:metadata><n:id>A</n:id><n:version>1.0.0</n:version></n:metadata></n:package>'), { id: 'A' }],
    ['a UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), doc('<id>Bom</id><version>1.0.0</version>')]), { id: 'Bom' }],
    ['UTF-16LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<package><metadata><id>Wide</id><version>1.0.0</version></metadata></package>', 'utf16le')]), { id: 'Wide' }],
    ['a Unicode package id', doc('<id>Café.Lib</id><version>1.0.0</version>'), { id: 'Café.Lib' }],
  ])('parses %s', (_name, bytes, expected) => {
    expect(parseNuspec(bytes, 'A.nuspec')).toMatchObject(expected);
  });

  it.each<[string, Buffer, string, string]>([
    ['a DOCTYPE', utf8('<!DOCTYPE package [<!ENTITY x "y">]><package><metadata><id>&x;</id><version>1.0.0</version></metadata></package>'), 'nuspec.dtd', 'DTD'],
    ['an external entity', utf8('<!DOCTYPE package SYSTEM "http://example.com/x.dtd"><package/>'), 'nuspec.dtd', 'DTD'],
    ['broken XML', utf8('<package><metadata><id>A</metadata></package>'), 'nuspec.invalid_xml', 'not well-formed XML (line 1'],
    ['an unknown entity', doc('<id>A&foo;</id><version>1.0.0</version>'), 'nuspec.invalid_xml', 'undefined entity'],
    ['an invalid character reference', doc('<id>A&#0;</id><version>1.0.0</version>'), 'nuspec.invalid_xml', 'undefined entity'],
    ['invalid UTF-8', Buffer.concat([utf8('<package><metadata><id>'), Buffer.from([0xc3, 0x28]), utf8('</id></metadata></package>')]), 'nuspec.invalid_xml', 'not valid utf-8'],
    ['two root elements', utf8('<package><metadata><id>A</id><version>1.0.0</version></metadata></package><package/>'), 'nuspec.invalid_xml', 'single <package> root'],
    ['another root element', utf8('<manifest><metadata><id>A</id></metadata></manifest>'), 'nuspec.invalid_xml', 'single <package> root'],
    ['no metadata', utf8('<package><files/></package>'), 'nuspec.missing_field', 'no <package><metadata>'],
    ['no id', doc('<version>1.0.0</version>'), 'nuspec.missing_field', 'has no <id>'],
    ['an empty id', doc('<id>  </id><version>1.0.0</version>'), 'nuspec.missing_field', 'has no <id>'],
    ['no version', doc('<id>A</id>'), 'nuspec.missing_field', 'has no <version>'],
    ['two ids', doc('<id>A</id><id>B</id><version>1.0.0</version>'), 'nuspec.invalid_xml', 'more than once'],
    ['markup inside the id', doc('<id>A<b>c</b></id><version>1.0.0</version>'), 'nuspec.invalid_xml', 'only text'],
    ['an id with a slash', doc('<id>A/B</id><version>1.0.0</version>'), 'nuspec.invalid_id', 'not a valid NuGet package id'],
    ['an id with ..', doc('<id>A..B</id><version>1.0.0</version>'), 'nuspec.invalid_id', 'not a valid NuGet package id'],
    ['an id over 100 characters', doc(`<id>${'a'.repeat(101)}</id><version>1.0.0</version>`), 'nuspec.invalid_id', 'not a valid NuGet package id'],
    ['a version with a slash', doc('<id>A</id><version>1.0/0</version>'), 'nuspec.invalid_version', 'not a valid NuGet version'],
    ['a version with five parts', doc('<id>A</id><version>1.2.3.4.5</version>'), 'nuspec.invalid_version', 'not a valid NuGet version'],
    ['a packageType without name', doc('<id>A</id><version>1.0.0</version><packageTypes><packageType/></packageTypes>'), 'nuspec.invalid_xml', 'no name attribute'],
    ['packageTypes with text', doc('<id>A</id><version>1.0.0</version><packageTypes>SymbolsPackage</packageTypes>'), 'nuspec.invalid_xml', '<packageType name'],
    ['a nuspec over 4 MiB', Buffer.alloc(MAX_NUSPEC_BYTES + 1, 0x20), 'nuspec.too_large', 'above the limit of 4194304'],
  ])('rejects %s', (_name, bytes, reason, message) => {
    expect(reasonOf(() => parseNuspec(bytes, 'A.nuspec'))).toBe(reason);
    expect(() => parseNuspec(bytes, 'A.nuspec')).toThrow(message);
  });
});

describe('nuspec rules per package kind', () => {
  const base: NuspecMetadata = { id: 'A', version: '1.0.0', packageTypes: ['SymbolsPackage'], description: 'D', authors: undefined };

  it.each<[string, Partial<NuspecMetadata>, string | undefined]>([
    ['SymbolsPackage', {}, undefined],
    ['symbolspackage in any case', { packageTypes: ['SYMBOLSPACKAGE'] }, undefined],
    ['authors tolerated (GitLab does not check)', { authors: 'Me' }, undefined],
    ['no package type', { packageTypes: [] }, 'nuspec.not_symbols_package'],
    ['another package type', { packageTypes: ['Dependency'] }, 'nuspec.not_symbols_package'],
    ['SymbolsPackage plus another', { packageTypes: ['SymbolsPackage', 'Dependency'] }, 'nuspec.not_symbols_package'],
    ['no description', { description: undefined }, 'nuspec.missing_field'],
  ])('.snupkg: %s', (_name, change, reason) => {
    expect(reasonOf(() => checkSymbolsPackageNuspec({ ...base, ...change }, 'A.nuspec'))).toBe(reason);
  });

  it.each<[string, Partial<NuspecMetadata>, string | undefined]>([
    ['no package type', { packageTypes: [] }, undefined],
    ['Dependency', { packageTypes: ['Dependency'] }, undefined],
    ['SymbolsPackage', {}, 'nuspec.symbols_package_in_nupkg'],
    ['SymbolsPackage among others', { packageTypes: ['Dependency', 'symbolspackage'] }, 'nuspec.symbols_package_in_nupkg'],
    ['no description', { packageTypes: [], description: undefined }, 'nuspec.missing_field'],
    ['no authors', { packageTypes: [], authors: undefined }, 'nuspec.missing_field'],
  ])('.nupkg: %s', (_name, change, reason) => {
    const metadata = { ...base, authors: 'Me', ...change };
    expect(reasonOf(() => checkRegularPackageNuspec(metadata, 'A.nuspec'))).toBe(reason);
  });
});
