import type { Command } from '../command';
import { dbMigrate } from './db-migrate';
import { SITES_COMMANDS } from './sites';
import { STATUS_COMMAND } from './status';

/** The command table. A new subcommand is one module plus one entry here. */
export const COMMANDS: readonly Command[] = [dbMigrate, ...SITES_COMMANDS, STATUS_COMMAND];
