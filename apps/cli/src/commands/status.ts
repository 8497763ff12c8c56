import { REPLICABLES } from '@geo/replicables';
import { rejectUnknownFlags } from '../argv';
import { ExitCodes, type Command } from '../command';
import { SitesApi } from './sites-api';
import { ADMIN_TOKEN_ENV, CONNECTION_FLAGS, gatewayConnection, GATEWAY_URL_ENV } from './sites-flags';
import type { SitesCommandDeps } from './sites';
import { jsonLines } from './sites-output';
import { statusLines } from './status-output';

/**
 * `geo status`: GitLab's status API (`GET /api/v4/geo_sites/status`) of the gateway at `--url`.
 * A primary's gateway answers for every site, a secondary's for itself. `--json` prints the API's
 * JSON unchanged.
 */
export function createStatusCommand(deps: SitesCommandDeps): Command {
  return {
    words: ['status'],
    summary: 'show every Geo site\'s status: counts, progress, health and lag',
    usage: `geo status [--json] [--url GATEWAY_URL] [--token ADMIN_TOKEN] (defaults: $${GATEWAY_URL_ENV}, $${ADMIN_TOKEN_ENV})`,
    async run(args, io) {
      rejectUnknownFlags(args, [...CONNECTION_FLAGS, 'json']);
      const statuses = await new SitesApi({ ...gatewayConnection(args, deps.env), fetch: deps.fetch }).statuses();
      for (const line of args.flags.has('json') ? jsonLines(statuses) : statusLines(statuses, REPLICABLES)) io.out(line);
      return ExitCodes.OK;
    },
  };
}

/** The command as the `geo` binary registers it: configured from the process environment. */
export const STATUS_COMMAND: Command = createStatusCommand({ env: process.env });
