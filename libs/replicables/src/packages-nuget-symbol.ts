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
    // What the symbol server of a secondary needs to answer from its own database (ADR 0004 §1).
    attributeColumns: ['package_id', 'file', 'file_path', 'signature', 'file_sha256'],
  },
});
