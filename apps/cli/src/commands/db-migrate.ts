import { ValidationError } from '@geo/domain';
import { isDatabaseRole, migrate } from '@geo/pg';
import { rejectUnknownFlags, requireFlag } from '../argv';
import { ExitCodes, type Command } from '../command';

/** `geo db migrate`: applies the role's pending migrations; a no-op when up to date. */
export const dbMigrate: Command = {
  words: ['db', 'migrate'],
  summary: 'apply pending database migrations for a site role',
  usage: 'geo db migrate --role primary|secondary --database-url postgres://user@host:port/db',
  async run(args, io) {
    rejectUnknownFlags(args, ['role', 'database-url']);
    const role = requireFlag(args, 'role');
    if (!isDatabaseRole(role)) throw new ValidationError(`--role must be primary or secondary, got ${JSON.stringify(role)}`);
    const databaseUrl = requireFlag(args, 'database-url');
    const { applied } = await migrate({ role, databaseUrl });
    io.out(applied.length === 0 ? `${role} database is up to date` : `applied ${applied.length} migration(s) to the ${role} database:`);
    for (const name of applied) io.out(`  ${name}`);
    return ExitCodes.OK;
  },
};
