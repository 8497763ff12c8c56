import { packageRejection } from '../reject';
import { missingField, type NuspecMetadata } from './parse-nuspec';

export const SYMBOLS_PACKAGE_TYPE = 'SymbolsPackage';

function isSymbolsPackageType(name: string): boolean {
  return name.toLowerCase() === SYMBOLS_PACKAGE_TYPE.toLowerCase();
}

/**
 * A `.snupkg` nuspec: exactly one package type and it is `SymbolsPackage` (case-insensitive), as
 * nuget.org's `SymbolPackageService` requires; a description, as GitLab requires (its
 * metadata check wants name, version and description, but not authors, for symbol packages).
 * Authors/owners are tolerated (nuget.org forbids them, GitLab does not check).
 */
export function checkSymbolsPackageNuspec(metadata: NuspecMetadata, path: string): void {
  const shown = JSON.stringify(path);
  const types = metadata.packageTypes;
  if (types.length === 0) {
    throw packageRejection('nuspec.not_symbols_package', `nuspec ${shown} declares no package type; a symbol package must declare exactly "${SYMBOLS_PACKAGE_TYPE}"`, {
      entry: path,
    });
  }
  if (types.length !== 1 || !isSymbolsPackageType(types[0]!)) {
    throw packageRejection(
      'nuspec.not_symbols_package',
      `nuspec ${shown} declares package type(s) ${types.map((type) => JSON.stringify(type)).join(', ')}; a symbol package must declare exactly "${SYMBOLS_PACKAGE_TYPE}"`,
      { entry: path, packageTypes: types },
    );
  }
  if (metadata.description === undefined) throw missingField(path, 'description');
}

/**
 * A `.nupkg` nuspec: must not be a symbol package, and needs description and authors (GitLab's
 * metadata check for non-symbol packages; `nuget pack` refuses to build without them either).
 */
export function checkRegularPackageNuspec(metadata: NuspecMetadata, path: string): void {
  if (metadata.packageTypes.some(isSymbolsPackageType)) {
    throw packageRejection(
      'nuspec.symbols_package_in_nupkg',
      `nuspec ${JSON.stringify(path)} declares package type "${SYMBOLS_PACKAGE_TYPE}"; push it as a symbol package (.snupkg), not as a package`,
      { entry: path },
    );
  }
  if (metadata.description === undefined) throw missingField(path, 'description');
  if (metadata.authors === undefined) throw missingField(path, 'authors');
}
