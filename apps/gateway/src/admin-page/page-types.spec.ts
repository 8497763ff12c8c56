import { packagesNugetSymbol } from '@geo/replicables';
import { pageTypesJson, registriesFieldName } from './page-types';

describe('registriesFieldName (GitLab GeoNode connection names)', () => {
  it.each([
    ['PackagesNugetSymbolRegistry', 'packagesNugetSymbolRegistries'],
    ['PackageFileRegistry', 'packageFileRegistries'],
    ['LfsObjectRegistry', 'lfsObjectRegistries'],
  ])('%s → %s', (type, field) => {
    expect(registriesFieldName(type)).toBe(field);
  });

  it('refuses a type name that is not a registry type', () => {
    expect(() => registriesFieldName('PackagesNugetSymbol')).toThrow(/ends with "Registry"/);
  });
});

describe('pageTypesJson', () => {
  it('gives the page the status prefix, titles, the GraphQL field and the bulk registry class of each type', () => {
    expect(pageTypesJson([packagesNugetSymbol])).toEqual([
      {
        name: 'packages_nuget_symbol',
        statusPrefix: 'packages_nuget_symbols',
        title: { one: 'NuGet Symbol', many: 'NuGet Symbols' },
        registriesField: 'packagesNugetSymbolRegistries',
        registryClass: 'PACKAGES_NUGET_SYMBOL_REGISTRY',
      },
    ]);
  });
});
