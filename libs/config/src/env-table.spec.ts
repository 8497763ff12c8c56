import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_VARS, renderEnvTable, withEnvTable } from './index';

const README = join(__dirname, '..', '..', '..', 'README.md');

describe('README environment-variable table', () => {
  it('is up to date with ENV_VARS (regenerate: npx tsx libs/config/src/print-env-table.ts --write)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toBe(withEnvTable(readme));
  });

  it('documents every variable exactly once', () => {
    const names = ENV_VARS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    const table = renderEnvTable();
    for (const name of names) expect(table.split(`| \`${name}\` |`)).toHaveLength(2);
  });

  it('refuses a README without the markers instead of silently dropping the table', () => {
    expect(() => withEnvTable('# no markers\n')).toThrow(/env-table/);
  });
});
