import type { Command } from '../command';
import { dbMigrate } from './db-migrate';

/** The command table. A new subcommand is one module plus one entry here. */
export const COMMANDS: readonly Command[] = [dbMigrate];
