import { Kind } from 'graphql';
import { formatTime, GeoBaseRegistryIdScalar, NugetSymbolRegistryIdScalar, TimeScalar } from './scalars';

describe('Time (GitLab Time#iso8601)', () => {
  it.each([
    [new Date('2026-12-08T01:20:00.000Z'), '2026-12-08T01:20:00Z'],
    [new Date('2026-12-08T01:20:00.999Z'), '2026-12-08T01:20:00Z'],
  ])('%s -> %s (whole seconds, Z)', (date, text) => {
    expect(formatTime(date)).toBe(text);
    expect(TimeScalar.serialize(date)).toBe(text);
  });

  it('parses ISO input and refuses the rest', () => {
    expect(TimeScalar.parseValue('2026-12-08T01:20:00+01:00')).toEqual(new Date('2026-12-08T00:20:00Z'));
    expect(() => TimeScalar.parseValue('yesterday')).toThrow('"yesterday" is not a valid ISO 8601 time');
    expect(() => TimeScalar.serialize(5)).toThrow('Time cannot represent 5');
  });
});

describe('global id scalars', () => {
  it('parse variables and literals to { modelName, id }', () => {
    expect(GeoBaseRegistryIdScalar.parseValue('gid://gitlab/Geo::PackagesNugetSymbolRegistry/5')).toEqual({ modelName: 'Geo::PackagesNugetSymbolRegistry', id: 5 });
    expect(NugetSymbolRegistryIdScalar.parseLiteral({ kind: Kind.STRING, value: 'gid://gitlab/Geo::PackagesNugetSymbolRegistry/9' })).toEqual({
      modelName: 'Geo::PackagesNugetSymbolRegistry',
      id: 9,
    });
  });

  it('refuse other values with GitLab messages', () => {
    expect(() => GeoBaseRegistryIdScalar.parseValue('gid://gitlab/Project/1')).toThrow('does not represent an instance of Geo::BaseRegistry');
    expect(() => NugetSymbolRegistryIdScalar.parseValue(5)).toThrow('5 is not a valid Global ID');
    expect(() => NugetSymbolRegistryIdScalar.parseLiteral({ kind: Kind.INT, value: '5' })).toThrow('is not a valid Global ID');
  });
});
