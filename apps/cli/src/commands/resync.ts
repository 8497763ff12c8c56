import { ErrorCodes, GeoError, ValidationError } from '@geo/domain';
import { packagesNugetSymbol } from '@geo/replicables';
import { rejectUnknownFlags, type ParsedArgs } from '../argv';
import { ExitCodes, type CliIo, type Command } from '../command';
import { bulkProgress, finishedLine, progressLine, type BulkProgress } from './bulk-progress';
import { GraphqlApi } from './graphql-api';
import { createProgressSink, type ProgressSink } from './progress-sink';
import {
  BULK_MUTATION,
  bulkEnqueuedLine,
  bulkVariables,
  CURRENT_NODE_QUERY,
  geoNodeIdOf,
  registryGlobalId,
  UPDATE_MUTATION,
  updatedLines,
  updateVariables,
  type BulkData,
  type CurrentNodeData,
  type RegistryAction,
  type UpdateData,
} from './registry-actions';
import { SitesApi, type SiteStatusJson } from './sites-api';
import { ADMIN_TOKEN_ENV, CONNECTION_FLAGS, gatewayConnection, GATEWAY_URL_ENV, type GatewayConnection } from './sites-flags';
import { jsonLines } from './sites-output';

export interface RegistryActionDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch;
  /** Where a bulk action's progress goes (the binary: stderr, redrawn on a TTY). */
  readonly progress: ProgressSink;
  /** Epoch ms. */
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How often a bulk action's wait reads the status (default 2 s). */
  readonly pollMs?: number;
}

/** Until a bulk action is done, at most this long by default. */
export const DEFAULT_WAIT_TIMEOUT_SECONDS = 600;

export type RegistryActionRequest =
  | { readonly kind: 'one'; readonly registryId: string }
  | { readonly kind: 'all'; readonly wait: false }
  | { readonly kind: 'all'; readonly wait: true; readonly timeoutSeconds: number };

function bare(args: ParsedArgs, flag: string): boolean {
  const value = args.flags.get(flag);
  if (value !== undefined && value !== true) throw new ValidationError(`--${flag} takes no value, got ${JSON.stringify(value)}`);
  return value === true;
}

/** `<registry id>` or `--all [--no-wait | --timeout SECONDS]`; anything else is a usage error. */
export function parseRegistryActionArgs(args: ParsedArgs, commandWords: readonly string[]): RegistryActionRequest {
  const operands = args.words.slice(commandWords.length);
  const all = bare(args, 'all');
  const noWait = bare(args, 'no-wait');
  const timeout = args.flags.get('timeout');
  if (!all) {
    if (noWait || timeout !== undefined) throw new ValidationError('--no-wait and --timeout apply to --all only');
    if (operands.length === 0) throw new ValidationError('missing registry id (or --all)');
    if (operands.length > 1) throw new ValidationError(`one registry id at a time, got ${operands.length}`);
    return { kind: 'one', registryId: registryGlobalId(operands[0]!) };
  }
  if (operands.length > 0) throw new ValidationError('give a registry id or --all, not both');
  if (noWait) {
    if (timeout !== undefined) throw new ValidationError('--timeout makes no sense with --no-wait');
    return { kind: 'all', wait: false };
  }
  if (timeout === undefined) return { kind: 'all', wait: true, timeoutSeconds: DEFAULT_WAIT_TIMEOUT_SECONDS };
  if (timeout === true || !/^\d+$/.test(timeout) || Number(timeout) === 0 || !Number.isSafeInteger(Number(timeout))) {
    throw new ValidationError(`--timeout must be a positive whole number of seconds, got ${JSON.stringify(timeout === true ? '' : timeout)}`);
  }
  return { kind: 'all', wait: true, timeoutSeconds: Number(timeout) };
}

const CONNECTION_USAGE = `[--url GATEWAY_URL] [--token ADMIN_TOKEN] (defaults: $${GATEWAY_URL_ENV}, $${ADMIN_TOKEN_ENV})`;

/** This site's status in the gateway's list: by the id GraphQL named, else the only one (a secondary lists only its own). */
function ownStatus(statuses: readonly SiteStatusJson[], nodeId: number | null): SiteStatusJson | undefined {
  if (nodeId !== null) return statuses.find((s) => s.geo_node_id === nodeId);
  return statuses.length === 1 ? statuses[0] : undefined;
}

function computedAt(status: SiteStatusJson): number {
  return typeof status['updated_at'] === 'string' ? Date.parse(status['updated_at']) : NaN;
}

/**
 * One command per action (`geo resync`, `geo reverify`): a registry by id through
 * `geoRegistriesUpdate`, or every registry of the type through `geoRegistriesBulkUpdate`, then (by
 * default) following the site's status until the affected rows are done.
 */
function registryActionCommand(action: RegistryAction, deps: RegistryActionDeps): Command {
  const words = [action];
  const clock = deps.clock ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pollMs = deps.pollMs ?? 2_000;

  async function one(connection: GatewayConnection, registryId: string, json: boolean, io: CliIo): Promise<number> {
    const data = await new GraphqlApi({ ...connection, fetch: deps.fetch }).request<UpdateData>(UPDATE_MUTATION, updateVariables(action, registryId));
    const payload = data.geoRegistriesUpdate;
    if (payload === null) throw new GeoError(ErrorCodes.INTERNAL, 'the gateway answered geoRegistriesUpdate without a payload');
    if (json) for (const line of jsonLines(payload)) io.out(line);
    if (payload.errors.length > 0) {
      for (const error of payload.errors) io.err(`geo: ${error}`);
      return ExitCodes.FAILURE;
    }
    if (!json) for (const line of updatedLines(action, payload.registry, registryId)) io.out(line);
    return ExitCodes.OK;
  }

  /** Polls the status until the action's rows are done; throws TIMEOUT after `timeoutSeconds`. */
  async function follow(sites: SitesApi, nodeId: number | null, after: number, timeoutSeconds: number): Promise<BulkProgress | null> {
    const deadline = clock() + timeoutSeconds * 1000;
    let latest: BulkProgress | null = null;
    try {
      for (;;) {
        const status = ownStatus(await sites.statuses(), nodeId);
        // A status computed before the mutation returned still shows the old counts: wait for a newer one.
        if (status !== undefined && computedAt(status) >= after) {
          latest = bulkProgress(action, status, packagesNugetSymbol);
          if (latest === null) return null;
          deps.progress.update(progressLine(latest));
          if (latest.finished) return latest;
        } else {
          deps.progress.update(`${action}: waiting for a site status computed after the request`);
        }
        if (clock() >= deadline) {
          const where = latest === null ? 'no newer site status arrived' : progressLine(latest).replace(/\s+/g, ' ');
          throw new GeoError(ErrorCodes.TIMEOUT, `${action} not finished after ${timeoutSeconds} s (${where}); it goes on in the background: \`geo status\` shows the progress`);
        }
        await sleep(pollMs);
      }
    } finally {
      deps.progress.end();
    }
  }

  async function all(connection: GatewayConnection, request: Extract<RegistryActionRequest, { kind: 'all' }>, json: boolean, io: CliIo): Promise<number> {
    const graphql = new GraphqlApi({ ...connection, fetch: deps.fetch });
    const nodeId = request.wait ? geoNodeIdOf(await graphql.request<CurrentNodeData>(CURRENT_NODE_QUERY)) : null;
    const answer = await graphql.answer<BulkData>(BULK_MUTATION, bulkVariables(action));
    const payload = answer.data.geoRegistriesBulkUpdate;
    if (payload === null) throw new GeoError(ErrorCodes.INTERNAL, 'the gateway answered geoRegistriesBulkUpdate without a payload');
    if (payload.errors.length > 0) {
      if (json) for (const line of jsonLines(payload)) io.out(line);
      for (const error of payload.errors) io.err(`geo: ${error}`);
      return ExitCodes.FAILURE;
    }
    if (!json) io.out(bulkEnqueuedLine(action));
    if (!request.wait) {
      if (json) for (const line of jsonLines(payload)) io.out(line);
      return ExitCodes.OK;
    }
    // The Date header truncates to the second: a status computed from the next second on is surely after the mutation.
    const after = (answer.date ?? clock()) + 1000;
    const progress = await follow(new SitesApi({ ...connection, fetch: deps.fetch }), nodeId, after, request.timeoutSeconds);
    if (json) for (const line of jsonLines({ ...payload, progress })) io.out(line);
    if (progress === null) {
      io.err(`geo: this site's status has no registry counts (only a secondary's has): not waiting`);
      return ExitCodes.OK;
    }
    if (!json) io.out(finishedLine(progress));
    return progress.failed > 0 ? ExitCodes.FAILURE : ExitCodes.OK;
  }

  return {
    words,
    takesOperands: true,
    summary:
      action === 'resync' ? 'resync a registry entry by id, or every one with --all (shows progress)' : 'reverify a registry entry by id, or every synced one with --all (shows progress)',
    usage: `geo ${action} <registry id> | --all [--no-wait | --timeout SECONDS] [--json] ${CONNECTION_USAGE}\n    registry id: N or gid://gitlab/Geo::PackagesNugetSymbolRegistry/N; --all waits up to --timeout (default ${DEFAULT_WAIT_TIMEOUT_SECONDS} s) for the site's status to show every row done`,
    async run(args, io) {
      rejectUnknownFlags(args, [...CONNECTION_FLAGS, 'json', 'all', 'no-wait', 'timeout']);
      const request = parseRegistryActionArgs(args, words);
      const connection = gatewayConnection(args, deps.env);
      const json = args.flags.has('json');
      return request.kind === 'one' ? one(connection, request.registryId, json, io) : all(connection, request, json, io);
    },
  };
}

export function createRegistryActionCommands(deps: RegistryActionDeps): Command[] {
  return [registryActionCommand('resync', deps), registryActionCommand('reverify', deps)];
}

/** The commands as the `geo` binary registers them: the process environment, progress on stderr. */
export const REGISTRY_ACTION_COMMANDS: readonly Command[] = createRegistryActionCommands({ env: process.env, progress: createProgressSink(process.stderr) });
