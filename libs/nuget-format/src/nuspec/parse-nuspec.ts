import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MAX_NUSPEC_BYTES } from '../limits';
import { packageRejection } from '../reject';
import { isValidPackageId, isValidPackageVersion } from './nuget-identity';
import { decodeXmlText } from './xml-text';

export interface NuspecMetadata {
  readonly id: string;
  readonly version: string;
  /** `<packageTypes><packageType name="…"/>` names in document order; empty when none are declared. */
  readonly packageTypes: string[];
  readonly description: string | undefined;
  readonly authors: string | undefined;
}

/**
 * Entity and DTD processing stay off: the parser never expands anything, a DOCTYPE is rejected
 * before parsing (NuGet reads nuspecs with DtdProcessing.Prohibit), and values are decoded by
 * xml-text.ts. Tag values are kept as strings (no number parsing: `1.10` is not `1.1`).
 */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (tagName) => tagName === 'packageType',
});

/**
 * Parses a nuspec and checks what every NuGet package needs: one `<package><metadata>` with a
 * valid `id` and `version`. Which other fields are required depends on the package kind (see
 * nuspec-rules.ts). `path` is the entry name, used in messages.
 */
export function parseNuspec(bytes: Uint8Array, path: string): NuspecMetadata {
  const shown = JSON.stringify(path);
  if (bytes.length > MAX_NUSPEC_BYTES) {
    throw packageRejection('nuspec.too_large', `nuspec ${shown} is ${bytes.length} bytes, above the limit of ${MAX_NUSPEC_BYTES} bytes`, { entry: path });
  }
  const text = decodeXmlBytes(bytes, path);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw packageRejection('nuspec.dtd', `nuspec ${shown} contains a DTD or entity declaration; DTDs are not allowed`, { entry: path });
  }
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    throw packageRejection('nuspec.invalid_xml', `nuspec ${shown} is not well-formed XML (line ${line}, column ${col}): ${msg}`, { entry: path });
  }
  const document: unknown = parser.parse(text);
  const root = asRecord(document);
  const rootNames = root === undefined ? [] : Object.keys(root);
  if (root === undefined || rootNames.length !== 1 || rootNames[0] !== 'package' || Array.isArray(root['package'])) {
    throw packageRejection('nuspec.invalid_xml', `nuspec ${shown} must have a single <package> root element`, { entry: path });
  }
  const metadata = asRecord(asRecord(root['package'])?.['metadata']);
  if (metadata === undefined) {
    throw packageRejection('nuspec.missing_field', `nuspec ${shown} has no <package><metadata> element`, { entry: path, field: 'metadata' });
  }

  const field = (name: string): string | undefined => textField(metadata, name, path);
  const id = field('id');
  const version = field('version');
  if (id === undefined) throw missingField(path, 'id');
  if (version === undefined) throw missingField(path, 'version');
  if (!isValidPackageId(id)) {
    throw packageRejection('nuspec.invalid_id', `nuspec ${shown}: ${JSON.stringify(id)} is not a valid NuGet package id`, { entry: path });
  }
  if (!isValidPackageVersion(version)) {
    throw packageRejection('nuspec.invalid_version', `nuspec ${shown}: ${JSON.stringify(version)} is not a valid NuGet version`, { entry: path });
  }
  return { id, version, packageTypes: packageTypeNames(metadata, path), description: field('description'), authors: field('authors') };
}

export function missingField(path: string, field: string): Error {
  return packageRejection('nuspec.missing_field', `nuspec ${JSON.stringify(path)} has no <${field}> (required)`, { entry: path, field });
}

function decodeXmlBytes(bytes: Uint8Array, path: string): string {
  let encoding = 'utf-8';
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) [encoding, start] = ['utf-16le', 2];
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) [encoding, start] = ['utf-16be', 2];
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(start));
  } catch (cause) {
    throw packageRejection('nuspec.invalid_xml', `nuspec ${JSON.stringify(path)} is not valid ${encoding} text`, { entry: path }, cause);
  }
}

/** A text-only child element, decoded and trimmed; undefined when absent or empty. */
function textField(metadata: Record<string, unknown>, name: string, path: string): string | undefined {
  const value = metadata[name];
  if (value === undefined) return undefined;
  const shown = JSON.stringify(path);
  if (Array.isArray(value)) {
    throw packageRejection('nuspec.invalid_xml', `nuspec ${shown}: <${name}> appears more than once`, { entry: path, field: name });
  }
  const raw = typeof value === 'string' ? value : textOnlyElement(value);
  if (raw === undefined) {
    throw packageRejection('nuspec.invalid_xml', `nuspec ${shown}: <${name}> must contain only text`, { entry: path, field: name });
  }
  const decoded = decodeXmlText(raw);
  if (decoded === undefined) {
    throw packageRejection('nuspec.invalid_xml', `nuspec ${shown}: <${name}> uses an undefined entity reference`, { entry: path, field: name });
  }
  const trimmed = decoded.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** `{ '#text': 'MIT', '@_type': 'expression' }` → 'MIT'; any child element → undefined. */
function textOnlyElement(value: unknown): string | undefined {
  const element = asRecord(value);
  if (element === undefined) return undefined;
  if (Object.keys(element).some((key) => key !== '#text' && !key.startsWith('@_'))) return undefined;
  const text = element['#text'];
  return typeof text === 'string' ? text : '';
}

function packageTypeNames(metadata: Record<string, unknown>, path: string): string[] {
  const container = metadata['packageTypes'];
  if (container === undefined || container === '') return [];
  const shown = JSON.stringify(path);
  const entries = asRecord(container)?.['packageType'];
  if (!Array.isArray(entries)) {
    throw packageRejection('nuspec.invalid_xml', `nuspec ${shown}: <packageTypes> must contain <packageType name="…"/> elements`, { entry: path });
  }
  return entries.map((entry) => {
    const name = asRecord(entry)?.['@_name'];
    const decoded = typeof name === 'string' ? decodeXmlText(name)?.trim() : undefined;
    if (decoded === undefined || decoded === '') {
      throw packageRejection('nuspec.invalid_xml', `nuspec ${shown}: a <packageType> has no name attribute`, { entry: path });
    }
    return decoded;
  });
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
