import { MAX_NUSPEC_BYTES } from '../limits';
import { packageRejection } from '../reject';
import { type ZipEntry } from '../zip/read-zip';

const NON_PAYLOAD_PREFIXES = ['_rels/', 'package/'];
const NON_PAYLOAD_ROOT_FILES = ['[content_types].xml', '.signature.p7s'];
const NON_PAYLOAD_EXTENSION = '.nupkg.sha512';

/**
 * OPC and NuGet bookkeeping parts that are never payload (NuGet.Client `PackageHelper`, plus the
 * root package signature). Compared case-insensitively, as NuGet does.
 */
export function isNonPayloadPart(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    NON_PAYLOAD_PREFIXES.some((prefix) => lower.startsWith(prefix)) ||
    NON_PAYLOAD_ROOT_FILES.includes(lower) ||
    lower.endsWith(NON_PAYLOAD_EXTENSION)
  );
}

export function isRootNuspec(entry: ZipEntry): boolean {
  return !entry.isDirectory && !entry.name.includes('/') && entry.name.toLowerCase().endsWith('.nuspec');
}

/** The one root-level `*.nuspec`, size-checked before it is inflated. */
export function findRootNuspec(entries: readonly ZipEntry[]): ZipEntry {
  const nuspecs = entries.filter(isRootNuspec);
  const [nuspec] = nuspecs;
  if (nuspec === undefined) throw packageRejection('nuspec.missing', 'the package has no .nuspec file at its root');
  if (nuspecs.length > 1) {
    throw packageRejection('nuspec.multiple', `the package has ${nuspecs.length} .nuspec files at its root (${nuspecs.map((entry) => JSON.stringify(entry.name)).join(', ')}); exactly one is allowed`);
  }
  if (nuspec.size > MAX_NUSPEC_BYTES) {
    throw packageRejection('nuspec.too_large', `nuspec ${JSON.stringify(nuspec.name)} is ${nuspec.size} bytes, above the limit of ${MAX_NUSPEC_BYTES} bytes`, {
      entry: nuspec.name,
    });
  }
  return nuspec;
}

/** Files that are neither the nuspec, nor bookkeeping parts, nor directories. */
export function payloadEntries(entries: readonly ZipEntry[], nuspec: ZipEntry): ZipEntry[] {
  return entries.filter((entry) => entry !== nuspec && !entry.isDirectory && !isNonPayloadPart(entry.name));
}
