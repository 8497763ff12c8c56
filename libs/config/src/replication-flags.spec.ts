import { replicationEnabled } from './replication-flags';

describe('replicationEnabled', () => {
  const enabled = replicationEnabled({ replication: { packages_nuget_symbol: { enabled: true } } });

  it.each([
    ['a type whose flag is on', 'packages_nuget_symbol', true],
    ['a type the configuration does not know', 'container_repository', false],
  ])('%s → %s', (_what, name, expected) => {
    expect(enabled(name)).toBe(expected);
  });

  it('is off when the flag is off', () => {
    expect(replicationEnabled({ replication: { packages_nuget_symbol: { enabled: false } } })('packages_nuget_symbol')).toBe(false);
  });
});
