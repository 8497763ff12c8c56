/**
 * Prints the README's environment-variable table, or with `--write` rewrites it in README.md:
 * `npx tsx libs/config/src/print-env-table.ts --write`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderEnvTable, withEnvTable } from './env-table';

const README = join(__dirname, '..', '..', '..', 'README.md');

if (process.argv.includes('--write')) writeFileSync(README, withEnvTable(readFileSync(README, 'utf8')));
else process.stdout.write(`${renderEnvTable()}\n`);
