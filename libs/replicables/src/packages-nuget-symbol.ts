import { defineReplicable } from '@geo/domain';

/** `Packages::Nuget::Symbol`: one portable PDB extracted from a `.snupkg` (spec §10). */
export const packagesNugetSymbol = defineReplicable({
  name: 'packages_nuget_symbol',
  title: { one: 'NuGet Symbol', many: 'NuGet Symbols' },
  gitlab: { modelClass: 'Packages::Nuget::Symbol', uploaderClass: 'Packages::Nuget::SymbolUploader' },
  strategy: { kind: 'blob', immutable: true },
  source: {
    table: 'packages_nuget_symbols',
    blobKeyColumn: 'object_storage_key',
    fileStoreColumn: 'file_store',
    projectIdColumn: 'project_id',
    sizeColumn: 'size',
    // The symbol server's lookup (SSQP file + signature, SymbolChecksum against file_sha256).
    attributeColumns: ['file', 'signature', 'file_sha256'],
  },
});
