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
 * `docs/configuration.md`, rendered from `ENV_VARS`. Regenerate with
 * `npx tsx libs/config/src/print-env-table.ts > docs/configuration.md`; a unit test fails when
 * the committed file differs.
 */
export function renderConfigurationDoc(): string {
  const rows = ENV_VARS.map(
    (v) =>
      `| \`${v.name}\` | ${REQUIREMENT_LABEL[v.required]} | ${v.default === undefined ? '—' : `\`${v.default}\``} | ${cell(appsCell(v))} | ${cell(v.description)} |`,
  );
  return [
    '# Configuration',
    '',
    '<!-- Generated from ENV_VARS in libs/config/src/env-vars.ts by',
    '     `npx tsx libs/config/src/print-env-table.ts > docs/configuration.md`. Do not edit by hand. -->',
    '',
    'Every service is configured only through these environment variables. Each app validates the',
    'variables it reads once at start-up and refuses to start, listing every bad or missing variable.',
    'An empty value counts as unset. `{app}` in a default stands for the app name (e.g. `geo-registry`).',
    '',
    '| Variable | Required | Default | Apps | Description |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
