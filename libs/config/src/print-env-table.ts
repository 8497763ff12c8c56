/** Prints docs/configuration.md: `npx tsx libs/config/src/print-env-table.ts > docs/configuration.md`. */
import { renderConfigurationDoc } from './env-table';

process.stdout.write(renderConfigurationDoc());
