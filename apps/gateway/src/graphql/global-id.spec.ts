import { NUGET_SYMBOL_REGISTRY_MODEL, parseBaseRegistryId, parseGlobalId, parseNugetSymbolRegistryId, toGlobalId } from './global-id';

describe('GitLab global ids', () => {
  it('formats gid://gitlab/<Model>/<id>', () => {
    expect(toGlobalId(NUGET_SYMBOL_REGISTRY_MODEL, 5)).toBe('gid://gitlab/Geo::PackagesNugetSymbolRegistry/5');
    expect(toGlobalId('GeoNode', 2)).toBe('gid://gitlab/GeoNode/2');
  });

  it('parses what it formats', () => {
    expect(parseGlobalId('gid://gitlab/Geo::PackagesNugetSymbolRegistry/5')).toEqual({ modelName: 'Geo::PackagesNugetSymbolRegistry', id: 5 });
    expect(parseGlobalId('gid://gitlab/GeoNode/12')).toEqual({ modelName: 'GeoNode', id: 12 });
  });

  it.each([
    ['5'],
    [''],
    ['gid://gitlab/Geo::PackagesNugetSymbolRegistry/'],
    ['gid://gitlab/Geo::PackagesNugetSymbolRegistry/0'],
    ['gid://gitlab/Geo::PackagesNugetSymbolRegistry/-1'],
    ['gid://gitlab/Geo::PackagesNugetSymbolRegistry/05'],
    ['gid://gitlab/Geo::PackagesNugetSymbolRegistry/1.5'],
    ['gid://gitlab/Geo::PackagesNugetSymbolRegistry/99999999999999999999'],
    ['gid://other/Geo::PackagesNugetSymbolRegistry/5'],
    ['gid://gitlab/geo::packages/5'],
    ['gid://gitlab/Geo::PackagesNugetSymbolRegistry/5/6'],
  ])('refuses %j with GitLab\'s message', (value) => {
    expect(() => parseGlobalId(value)).toThrow(`${JSON.stringify(value)} is not a valid Global ID`);
  });

  it('GeoBaseRegistryID takes any Geo registry model, nothing else', () => {
    expect(parseBaseRegistryId('gid://gitlab/Geo::LfsObjectRegistry/3')).toEqual({ modelName: 'Geo::LfsObjectRegistry', id: 3 });
    expect(() => parseBaseRegistryId('gid://gitlab/Project/3')).toThrow('"gid://gitlab/Project/3" does not represent an instance of Geo::BaseRegistry');
    expect(() => parseBaseRegistryId('gid://gitlab/Geo::Registrar/3')).toThrow('does not represent an instance of Geo::BaseRegistry');
  });

  it('GeoPackagesNugetSymbolRegistryID takes only that model', () => {
    expect(parseNugetSymbolRegistryId('gid://gitlab/Geo::PackagesNugetSymbolRegistry/7').id).toBe(7);
    expect(() => parseNugetSymbolRegistryId('gid://gitlab/Geo::LfsObjectRegistry/7')).toThrow(
      '"gid://gitlab/Geo::LfsObjectRegistry/7" does not represent an instance of Geo::PackagesNugetSymbolRegistry',
    );
  });
});
