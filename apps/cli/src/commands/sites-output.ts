import type { CreatedSiteJson, SiteJson } from './sites-api';

const COLUMNS = ['ID', 'NAME', 'ROLE', 'ENABLED', 'CURRENT', 'URL', 'SELECTIVE SYNC'] as const;

function selectiveSync(site: SiteJson): string {
  switch (site.selective_sync_type) {
    case null:
    case '':
      return 'all';
    case 'namespaces':
      return `namespaces ${site.selective_sync_namespace_ids.join(',') || '(none)'}`;
    case 'shards':
      return `shards ${site.selective_sync_shards.join(',') || '(none)'}`;
    default:
      return site.selective_sync_type;
  }
}

function row(site: SiteJson): string[] {
  return [
    String(site.id),
    site.name,
    site.primary ? 'primary' : 'secondary',
    site.enabled ? 'yes' : 'no',
    site.current ? 'yes' : 'no',
    site.url,
    selectiveSync(site),
  ];
}

/** Sites as an aligned text table (a header line, then one line per site). */
export function sitesTable(sites: readonly SiteJson[]): string[] {
  const rows = [[...COLUMNS], ...sites.map(row)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}

/** The once-only credentials of a new secondary, with what to do with them. */
export function credentialLines(site: CreatedSiteJson): string[] {
  if (site.access_key === undefined || site.secret_access_key === undefined) return [];
  return [
    '',
    `access key:        ${site.access_key}`,
    `secret access key: ${site.secret_access_key}`,
    '',
    'Store these now: they are shown only once. Give them to the secondary as GEO_ACCESS_KEY and GEO_SECRET_ACCESS_KEY.',
  ];
}

/** `--json` output: the gateway's answer, indented. */
export function jsonLines(value: unknown): string[] {
  return [JSON.stringify(value, null, 2)];
}
