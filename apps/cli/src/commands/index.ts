import type { Command } from '../command';
import { CHECK_COMMAND } from './check';
import { dbMigrate } from './db-migrate';
import { REGISTRY_ACTION_COMMANDS } from './resync';
import { SITES_COMMANDS } from './sites';
import { STATUS_COMMAND } from './status';

/** The command table. A new subcommand is one module plus one entry here. */
export const COMMANDS: readonly Command[] = [dbMigrate, ...SITES_COMMANDS, STATUS_COMMAND, CHECK_COMMAND, ...REGISTRY_ACTION_COMMANDS];
