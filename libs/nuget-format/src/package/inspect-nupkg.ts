import { type PackageLimits } from '../limits';
import { checkRegularPackageNuspec } from '../nuspec/nuspec-rules';
import { type NuspecMetadata, parseNuspec } from '../nuspec/parse-nuspec';
import { keptEntry, readZipArchive } from '../zip/read-zip';
import { findRootNuspec } from './package-layout';

export interface InspectedPackage {
  readonly metadata: NuspecMetadata;
  /** Entry name of the nuspec inside the package. */
  readonly nuspecPath: string;
}

/**
 * Validates a `.nupkg` held in memory: every zip rule (each entry inflated and checked, nothing
 * kept but the nuspec), one root nuspec that parses, with id, version, description and authors,
 * and not a symbol package. Throws a ValidationError with `details.reason` (see reject.ts).
 */
export async function inspectNupkg(bytes: Uint8Array, limits: PackageLimits): Promise<InspectedPackage> {
  let nuspecPath: string | undefined;
  const entries = await readZipArchive(bytes, {
    limits,
    checkLayout: (list) => {
      nuspecPath = findRootNuspec(list).name;
    },
    keep: (entry) => entry.name === nuspecPath,
  });
  const nuspec = keptEntry(entries, nuspecPath);
  const metadata = parseNuspec(nuspec.bytes, nuspec.name);
  checkRegularPackageNuspec(metadata, nuspec.name);
  return { metadata, nuspecPath: nuspec.name };
}
