import type { SiteJson } from './sites-api';
import { credentialLines, jsonLines, sitesTable } from './sites-output';

const site = (over: Partial<SiteJson>): SiteJson => ({
  id: 1,
  name: 'primary',
  url: 'https://primary.example.com/',
  internal_url: 'https://primary.example.com/',
  primary: true,
  enabled: true,
  current: true,
  selective_sync_type: null,
  selective_sync_namespace_ids: [],
  selective_sync_shards: [],
  ...over,
});

describe('sitesTable', () => {
  it('aligns a header and one line per site', () => {
    expect(
      sitesTable([
        site({}),
        site({ id: 12, name: 'london', primary: false, current: false, enabled: false, url: 'https://l.example.com/', selective_sync_type: 'namespaces', selective_sync_namespace_ids: [3, 5] }),
        site({ id: 13, name: 'tokyo', primary: false, current: false, selective_sync_type: 'shards', selective_sync_shards: ['default'] }),
      ]),
    ).toEqual([
      'ID  NAME     ROLE       ENABLED  CURRENT  URL                           SELECTIVE SYNC',
      '1   primary  primary    yes      yes      https://primary.example.com/  all',
      '12  london   secondary  no       no       https://l.example.com/        namespaces 3,5',
      '13  tokyo    secondary  yes      no       https://primary.example.com/  shards default',
    ]);
  });

  it('prints only the header for no sites', () => {
    expect(sitesTable([])).toEqual(['ID  NAME  ROLE  ENABLED  CURRENT  URL  SELECTIVE SYNC']);
  });
});

describe('credentialLines', () => {
  it('shows a secondary\'s credentials with what to do with them', () => {
    const lines = credentialLines({ ...site({ primary: false }), access_key: 'AK', secret_access_key: 'SK' });
    expect(lines).toContain('access key:        AK');
    expect(lines).toContain('secret access key: SK');
    expect(lines.join('\n')).toContain('shown only once');
  });

  it('shows nothing for a primary', () => {
    expect(credentialLines(site({}))).toEqual([]);
  });
});

describe('jsonLines', () => {
  it('prints parseable indented JSON', () => {
    const [line] = jsonLines([site({})]);
    expect(JSON.parse(line!)).toEqual([site({})]);
  });
});
