import { ValidationError } from '@geo/domain';
import { rejectUnknownFlags, type ParsedArgs } from '../argv';
import { ExitCodes, type CliIo, type Command } from '../command';
import { SitesApi, type SiteJson } from './sites-api';
import { CONNECTION_FLAGS, gatewayConnection, PRIMARY_FLAG, SETTING_FLAGS, settingsBody, siteId, ADMIN_TOKEN_ENV, GATEWAY_URL_ENV } from './sites-flags';
import { credentialLines, jsonLines, sitesTable } from './sites-output';

/** What the sites commands need from the outside; tests pass their own. */
export interface SitesCommandDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch;
}

const CONNECTION_USAGE = `[--url GATEWAY_URL] [--token ADMIN_TOKEN] (defaults: $${GATEWAY_URL_ENV}, $${ADMIN_TOKEN_ENV})`;
const SETTINGS_USAGE = [
  '[--internal-url URL] [--enabled true|false]',
  '[--files-max-capacity N] [--repos-max-capacity N] [--verification-max-capacity N]',
  '[--container-repositories-max-capacity N] [--minimum-reverification-interval DAYS]',
  '[--sync-object-storage true|false] [--selective-sync-type namespaces|shards|none]',
  '[--selective-sync-namespace-ids ID,ID] [--selective-sync-shards NAME,NAME]',
].join('\n    ');

const settingFlagNames = SETTING_FLAGS.map((s) => s.flag);

function api(args: ParsedArgs, deps: SitesCommandDeps): SitesApi {
  const connection = gatewayConnection(args, deps.env);
  return new SitesApi({ ...connection, fetch: deps.fetch });
}

function printSites(io: CliIo, args: ParsedArgs, value: unknown, sites: readonly SiteJson[]): void {
  for (const line of args.flags.has('json') ? jsonLines(value) : sitesTable(sites)) io.out(line);
}

/** `geo sites list|add|update|remove`: the gateway's sites admin API from the command line. */
export function createSitesCommands(deps: SitesCommandDeps): Command[] {
  const list: Command = {
    words: ['sites', 'list'],
    summary: 'list the Geo sites',
    usage: `geo sites list [--json] ${CONNECTION_USAGE}`,
    async run(args, io) {
      rejectUnknownFlags(args, [...CONNECTION_FLAGS, 'json']);
      const sites = await api(args, deps).list();
      printSites(io, args, sites, sites);
      return ExitCodes.OK;
    },
  };

  const add: Command = {
    words: ['sites', 'add'],
    summary: 'add a Geo site (prints a secondary\'s access key and secret once)',
    usage: `geo sites add --name NAME --site-url URL [--primary] [--json]\n    ${SETTINGS_USAGE}\n    ${CONNECTION_USAGE}`,
    async run(args, io) {
      rejectUnknownFlags(args, [...CONNECTION_FLAGS, 'json', PRIMARY_FLAG.flag, ...settingFlagNames]);
      for (const required of ['name', 'site-url']) if (!args.flags.has(required)) throw new ValidationError(`missing --${required}`);
      const body = settingsBody(args, [...SETTING_FLAGS, PRIMARY_FLAG]);
      const site = await api(args, deps).create(body);
      if (args.flags.has('json')) {
        for (const line of jsonLines(site)) io.out(line);
      } else {
        for (const line of [...sitesTable([site]), ...credentialLines(site)]) io.out(line);
      }
      return ExitCodes.OK;
    },
  };

  const update: Command = {
    words: ['sites', 'update'],
    summary: 'change a Geo site\'s settings',
    usage: `geo sites update --id ID [--name NAME] [--site-url URL] [--json]\n    ${SETTINGS_USAGE}\n    ${CONNECTION_USAGE}`,
    async run(args, io) {
      rejectUnknownFlags(args, [...CONNECTION_FLAGS, 'json', 'id', ...settingFlagNames]);
      const id = siteId(args);
      const body = settingsBody(args, SETTING_FLAGS);
      if (Object.keys(body).length === 0) throw new ValidationError('nothing to update: give at least one setting flag');
      const site = await api(args, deps).update(id, body);
      printSites(io, args, site, [site]);
      return ExitCodes.OK;
    },
  };

  const remove: Command = {
    words: ['sites', 'remove'],
    summary: 'remove a Geo site',
    usage: `geo sites remove --id ID ${CONNECTION_USAGE}`,
    async run(args, io) {
      rejectUnknownFlags(args, [...CONNECTION_FLAGS, 'id']);
      const id = siteId(args);
      await api(args, deps).remove(id);
      io.out(`removed site ${id}`);
      return ExitCodes.OK;
    },
  };

  return [list, add, update, remove];
}

/** The commands as the `geo` binary registers them: configured from the process environment. */
export const SITES_COMMANDS: readonly Command[] = createSitesCommands({ env: process.env });
