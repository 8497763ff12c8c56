import { APP_NAMES } from './apps';
import { ENV_VARS, type EnvVarSpec, type Requirement } from './env-vars';

const REQUIREMENT_LABEL: Record<Requirement, string> = {
  yes: 'yes',
  no: 'no',
  'on-secondary': 'on secondaries',
  'if-fs': 'if `BLOB_STORE_KIND=fs`',
  'if-s3': 'if `BLOB_STORE_KIND=s3`',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function appsCell(spec: EnvVarSpec): string {
  return spec.apps.length === APP_NAMES.length ? 'all' : spec.apps.join(', ');
}

/**
 * The environment-variable table of the README (between the `env-table` markers), rendered from
 * `ENV_VARS`. Rewrite it with `npx tsx libs/config/src/print-env-table.ts --write`; a unit test
 * fails when the README differs.
 */
export function renderEnvTable(): string {
  const rows = ENV_VARS.map(
    (v) =>
      `| \`${v.name}\` | ${REQUIREMENT_LABEL[v.required]} | ${v.default === undefined ? '—' : `\`${v.default}\``} | ${cell(appsCell(v))} | ${cell(v.description)} |`,
  );
  return [
    '<!-- Generated from ENV_VARS in libs/config/src/env-vars.ts by',
    '     `npx tsx libs/config/src/print-env-table.ts --write`. Do not edit by hand. -->',
    'An empty value counts as unset. `{app}` in a default stands for the app name (e.g. `geo-registry`).',
    '',
    '| Variable | Required | Default | Apps | Description |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export const ENV_TABLE_START = '<!-- env-table:start -->';
export const ENV_TABLE_END = '<!-- env-table:end -->';

/** `readme` with the block between the env-table markers replaced by the current table. */
export function withEnvTable(readme: string): string {
  const start = readme.indexOf(ENV_TABLE_START);
  const end = readme.indexOf(ENV_TABLE_END);
  if (start < 0 || end < start) throw new Error(`README has no ${ENV_TABLE_START} … ${ENV_TABLE_END} block`);
  return `${readme.slice(0, start + ENV_TABLE_START.length)}\n${renderEnvTable()}\n${readme.slice(end)}`;
}
