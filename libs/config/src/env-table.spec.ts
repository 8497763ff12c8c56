import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_VARS, renderConfigurationDoc } from './index';

const DOC = join(__dirname, '..', '..', '..', 'docs', 'configuration.md');

describe('docs/configuration.md', () => {
  it('is up to date with ENV_VARS (regenerate: npx tsx libs/config/src/print-env-table.ts > docs/configuration.md)', () => {
    expect(readFileSync(DOC, 'utf8')).toBe(renderConfigurationDoc());
  });

  it('documents every variable exactly once', () => {
    const names = ENV_VARS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    const doc = renderConfigurationDoc();
    for (const name of names) expect(doc).toContain(`| \`${name}\` |`);
  });
});
